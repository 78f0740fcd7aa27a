"""Live detection harness: mamori's agent on the eBPF sensor, the default ruleset as its
sink, and helpers that run real behaviours (on the host, or in podman + runc containers)
and find the alerts they caused.

One `LiveAgent` runs per test module (module-scoped fixture in ``conftest.py``), polled
by a background thread, so many behaviours share one sensor start. Alerts are attributed
to behaviours by unique markers (file names, command lines, pids, container ids), never
by order. `LiveAgent.sync()` runs a marker process and waits until the agent saw it:
every event of the behaviours that finished before it has then been evaluated, which is
how a benign neighbour is shown not to alert (no sleeps).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mamori.app.agent import RULE_STATE_EVENTS, Agent, capture_types
from mamori.rules import RuleSet, load_files
from mamori.rules.default import default_rule_files
from mamori.rules.syscall_extract import EventView
from mamori.runtime.podman import ContainerMetadata
from mamori.sensor import Sensor, ebpf_available
from mamori.sensor.sensor import object_path
from tests.support import need, need_root

HERE = Path(__file__).resolve().parent
PODMAN_GLOBAL = ["--runtime", "runc", "--cgroup-manager", "cgroupfs"]
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
SYNC = "mamori-live-sync-"
# The agent sees the whole host: when other suites run event storms beside these tests
# it falls behind by tens of seconds before it catches up (nothing is lost unless the
# ring overflows, which the failure message reports).
TIMEOUT = 90.0
_counter = itertools.count()


def unique(prefix: str) -> str:
    """A marker no other process on the host will carry."""
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 10**9}-{next(_counter)}"


@dataclass(frozen=True)
class Alert:
    """One rule match, with the raw values of the rule's output fields."""

    rule: str
    priority: str
    output: str
    fields: dict[str, Any]
    tags: tuple[str, ...]

    def has(self, field: str, text: str) -> bool:
        value = self.fields.get(field)
        return value is not None and text in str(value)


Where = Callable[[Alert], bool]


def field_has(field: str, text: str) -> Where:
    return lambda a: a.has(field, text)


def field_is(field: str, value: object) -> Where:
    """Exact (pids: "123" must not match 1234)."""
    return lambda a: a.fields.get(field) is not None and str(a.fields[field]) == str(value)


def any_field_has(text: str) -> Where:
    """The marker appears in any output field (command line, file, parent's cmdline...)."""
    return lambda a: any(v is not None and text in str(v) for v in a.fields.values())


def need_live() -> None:
    need_root()
    ok, detail = ebpf_available()
    need(ok and object_path().exists(), f"the eBPF sensor cannot load: {detail}")


class LiveAgent:
    """The agent with the default ruleset as its sink, polled by a background thread."""

    def __init__(self, metadata: ContainerMetadata | None = None) -> None:
        self.ruleset: RuleSet = load_files(default_rule_files())
        assert not self.ruleset.result.errors, self.ruleset.result.errors
        types = self.ruleset.event_types("syscall")
        wanted = capture_types(types, connections=False)
        assert wanted is not None
        sensor = Sensor(wanted | RULE_STATE_EVENTS)  # as mamori agent: see capture_types
        self.agent = Agent(sensor, metadata=metadata, sinks=[self._sink], sink_types=types)
        self.alerts: list[Alert] = []
        self.synced: set[str] = set()
        self.failure: BaseException | None = None
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="live-agent", daemon=True)

    def start(self) -> LiveAgent:
        self.agent.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self.agent.stop()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                self.agent.poll(0.05)
        except BaseException as exc:  # surfaced by the waiting test, not lost in a thread
            with self._lock:
                self.failure = exc
                self._lock.notify_all()

    def _sink(self, view: EventView) -> None:
        if view.name == "execve":
            args = view.params.get("args")
            if isinstance(args, tuple) and args and str(args[0]).startswith(SYNC):
                with self._lock:
                    self.synced.add(str(args[0]))
                    self._lock.notify_all()
        found = [
            Alert(m.name, m.priority.label, m.output, m.fields, m.tags)
            for m in self.ruleset.match(view, "syscall")
        ]
        if found:
            with self._lock:
                self.alerts.extend(found)
                self._lock.notify_all()

    def _wait(self, ready: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not ready():
                if self.failure is not None:
                    raise AssertionError("the agent's loop failed") from self.failure
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.2))
        return True

    def sync(self, timeout: float = TIMEOUT) -> None:
        """Return once every event of processes that ended before this call was seen."""
        marker = unique(SYNC)
        subprocess.run(["/bin/true", marker], check=True)
        assert self._wait(lambda: marker in self.synced, timeout), "the agent fell behind"

    def matching(self, rule: str | None = None, where: Where | None = None) -> list[Alert]:
        with self._lock:
            return [
                a
                for a in self.alerts
                if (rule is None or a.rule == rule) and (where is None or where(a))
            ]

    def wait(self, rule: str, where: Where, timeout: float = TIMEOUT) -> Alert:
        """The first alert of `rule` that `where` accepts. Call it once the behaviour
        has finished: if the alert is not there yet, a sync settles it either way."""
        if not self.matching(rule, where):
            self.sync(timeout)
        found = self.matching(rule, where)
        if not found:
            near = [a.output for a in self.matching(rule)][-5:]
            raise AssertionError(
                f"no {rule!r} alert matched ({self.agent.events} events, {self.agent.drops} "
                f"dropped); its latest alerts: {near}"
            )
        return found[0]

    def quiet(self, where: Where, rule: str | None = None) -> None:
        """After a sync, no alert (of `rule`, or of any rule) matches `where`."""
        self.sync()
        wrong = [f"{a.rule}: {a.output}" for a in self.matching(rule, where)]
        assert not wrong, wrong


@dataclass(frozen=True)
class Done:
    """A finished behaviour: its pid (the oracle for `proc.pid`) and its output."""

    pid: int
    returncode: int
    stdout: str
    stderr: str


def run(argv: Sequence[str], **kwargs: Any) -> Done:
    """Run a behaviour to completion (its exit code is the behaviour's business)."""
    proc = subprocess.Popen(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )
    out, err = proc.communicate(timeout=60)
    return Done(proc.pid, proc.returncode, out, err)


# -- podman ---------------------------------------------------------------------------


def build_probe(out: Path) -> Path:
    """probe.c as a static binary (it also runs in the busybox image), built with gcc or
    the clang the eBPF build installs."""
    compiler = shutil.which("gcc") or shutil.which("clang")
    need(compiler is not None, "no C compiler (gcc or clang) to build the probe")
    assert compiler is not None
    target = out / "probe"
    if not target.exists():
        cmd = [compiler, "-static", "-O1", "-o", str(target), str(HERE / "probe.c")]
        subprocess.run(cmd, check=True, capture_output=True)
    return target


def ensure_image(podman: str, work: Path) -> str:
    """A busybox image with every applet and the probe, imported once per machine (the
    tag hashes the probe's source, so a changed probe gets a new image)."""
    digest = hashlib.sha256((HERE / "probe.c").read_bytes()).hexdigest()[:12]
    image = f"localhost/mamori-detections:{digest}"
    if subprocess.run([podman, "image", "exists", image], check=False).returncode == 0:
        return image
    busybox = shutil.which("busybox")
    need(busybox is not None, "busybox-static is not installed (scripts/test-deps)")
    assert busybox is not None
    root = work / "rootfs"
    for sub in ("bin", "usr/bin", "usr/local/bin", "etc/cron.d", "root", "tmp", "var/log", "mnt"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    applets = subprocess.run([busybox, "--list"], check=True, capture_output=True, text=True)
    for applet in applets.stdout.split():
        if applet != "busybox" and "/" not in applet:
            (root / "bin" / applet).symlink_to("busybox")
    shutil.copy2(build_probe(work), root / "usr" / "local" / "bin" / "probe")
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    (root / "etc" / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc" / "shadow").chmod(0o640)
    archive = work / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(root, arcname=".")
    subprocess.run([podman, "import", str(archive), image], check=True, capture_output=True)
    return image


class Box:
    """A podman + runc container kept alive with `sleep`; behaviours are `podman exec`s."""

    def __init__(self, podman: str, image: str, prefix: str, extra: Iterable[str] = ()) -> None:
        self.podman = podman
        self.image = image
        self.name = unique(prefix)
        cmd = [podman, *PODMAN_GLOBAL, "run", "-d", *ULIMITS, "--name", self.name, *extra]
        done = run([*cmd, image, "/bin/sleep", "600"])
        assert done.returncode == 0, done.stderr
        self.id = done.stdout.strip()

    def sh(self, script: str, *, tty: bool = False) -> Done:
        cmd = [self.podman, *PODMAN_GLOBAL, "exec", *(["-t"] if tty else []), self.name]
        return run([*cmd, "/bin/sh", "-c", script])

    def in_box(self) -> Where:
        return field_has("container.id", self.id[:12])

    def remove(self) -> None:
        cmd = [self.podman, *PODMAN_GLOBAL, "rm", "-f", "-t", "0", self.name]
        subprocess.run(cmd, capture_output=True, check=False)


def wait_metadata(live: LiveAgent, box: Box, timeout: float = 20.0) -> None:
    """Wait until the agent knows the container's name (asked from podman asynchronously)."""
    box.sh("true")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if live.agent.engine.containers.get(box.id[:12]) is not None:
            return
        time.sleep(0.1)
    raise AssertionError(f"podman metadata for {box.name} never arrived")


def container_fields(alert: Alert, box: Box) -> None:
    """The alert names the container as podman does."""
    assert alert.fields["container.id"] == box.id[:12], alert.output
    assert alert.fields["container.name"] == box.name, alert.output
    assert alert.fields["container.image.repository"] == box.image.rsplit(":", 1)[0]
