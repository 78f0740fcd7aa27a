"""Executable drift on a host: a binary dropped into a system directory and run raises
an alert naming it; packaged programs and unjudged places do not. The oracle for what a
package owns is dpkg itself (`dpkg -S`); the live test runs the real agent (root, eBPF)
and removes the file it dropped."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.protect.host_drift import HostDriftMonitor, PackageFiles
from mamori.protect.integrity import FileIntegrityMonitor
from mamori.protect.malware import MalwareScanner
from tests.protect.live import Protected, start
from tests.support import need_tool


def test_package_files_from_dpkg_and_apk_with_merged_usr(tmp_path: Path) -> None:
    info = tmp_path / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    (info / "coreutils.list").write_text("/.\n/bin\n/bin/ls\n/usr/share/doc/x\n")
    (tmp_path / "usr/bin").mkdir(parents=True)
    (tmp_path / "bin").symlink_to("usr/bin")
    apk = tmp_path / "lib/apk/db"
    apk.mkdir(parents=True)
    (apk / "installed").write_text("P:busybox\nF:usr/sbin\nR:crond\nF:etc\nR:motd\n")
    files = PackageFiles.from_root(str(tmp_path))
    assert files.sources == ["dpkg", "apk"]
    assert "/bin/ls" in files and "/usr/bin/ls" in files  # listed one way, run the other
    assert "/usr/sbin/crond" in files and "/etc/motd" in files
    assert "/usr/bin/evil" not in files and "/bin/evil" not in files and "/." not in files
    assert len(PackageFiles.from_root(str(tmp_path / "empty"))) == 0


def test_this_hosts_packages_agree_with_dpkg() -> None:
    dpkg = need_tool("dpkg")
    files = PackageFiles.from_root("/")
    assert "dpkg" in files.sources
    for path in ("/bin/ls", "/usr/bin/dpkg", "/etc/mamori-no-such-file"):
        owned = subprocess.run([dpkg, "-S", path], capture_output=True).returncode == 0
        assert (path in files) == owned, path
    # dpkg lists /bin/ls; on a merged-/usr host the kernel runs /usr/bin/ls (dpkg -S does
    # not resolve that alias: the monitor must)
    if os.path.realpath("/bin") == "/usr/bin":
        assert "/usr/bin/ls" in files


@pytest.fixture(scope="module")
def live() -> Iterator[Protected]:
    drift = HostDriftMonitor(PackageFiles.from_root("/"))
    protected = start(FileIntegrityMonitor([]), MalwareScanner())
    protected.agent.protection = None  # drive the drift monitor directly below
    protected.agent.sinks.append(drift.observe)
    protected.drift = drift  # type: ignore[attr-defined]
    yield protected
    protected.agent.stop()
    protected.scanner.close()


@pytest.mark.root
@pytest.mark.slow
def test_a_dropped_system_binary_alerts_and_packaged_ones_do_not(live: Protected) -> None:
    drift: HostDriftMonitor = live.drift  # type: ignore[attr-defined]
    dropped = Path(f"/usr/bin/mamori-drift-{uuid.uuid4().hex[:8]}")
    shutil.copy("/bin/sleep", dropped)
    try:
        proc = subprocess.Popen([str(dropped), "0.5"])
        subprocess.run(["/bin/true"], check=True)  # packaged: the benign neighbour
        subprocess.run(["ls", "/"], check=True, capture_output=True)
        found: list[object] = []

        def done() -> bool:
            found.extend(drift.results())
            return proc.poll() is not None and bool(found)

        live.pump_until(done, 20)
    finally:
        dropped.unlink()
    alerts = [a for a in found if getattr(a, "fields", {}).get("proc.exepath") == str(dropped)]
    assert len(alerts) == 1, found
    alert = alerts[0]
    assert alert.rule == "Executable drift on the host"  # type: ignore[attr-defined]
    assert alert.fields["proc.pid"] == proc.pid  # type: ignore[attr-defined]
    others = [a for a in found if a is not alert]
    assert not [a for a in others if "/usr/bin/true" in str(a.fields)]  # type: ignore[attr-defined]
    assert not os.path.exists(dropped)
