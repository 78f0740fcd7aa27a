"""Where alerts go: the `AlertSink` contract and the local sinks (a stream, a file, and
the fan-out that sends each alert to several sinks).

Every sink takes ``emit(alert)`` on the caller's thread and must return quickly: the
agent calls it from its event loop. Sinks that talk to the network (`SyslogSink`,
`WebhookSink`) live in their own modules.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TextIO, runtime_checkable

from mamori.alerts.alert import Alert

log = logging.getLogger(__name__)
FORMATS = ("json", "text")


@runtime_checkable
class AlertSink(Protocol):
    """Receives alerts. ``emit`` must not block for long; ``close`` flushes."""

    def emit(self, alert: Alert) -> None: ...

    def close(self) -> None: ...


def render(alert: Alert, fmt: str) -> str:
    """One line (no newline): Falco's JSON document or its text line."""
    if fmt == "text":
        return alert.text()
    return json.dumps(alert.json(), ensure_ascii=False, separators=(",", ":"))


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown alert format {fmt!r} (json or text)")
    return fmt


class StreamSink:
    """One line per alert on a text stream (default stdout), flushed per alert so a
    reader of a pipe sees it at once. The stream is not closed (it is not ours)."""

    def __init__(self, stream: TextIO | None = None, fmt: str = "json") -> None:
        self.stream = stream
        self.fmt = _check_format(fmt)
        self.emitted = 0

    def emit(self, alert: Alert) -> None:
        out = self.stream if self.stream is not None else sys.stdout
        out.write(render(alert, self.fmt) + "\n")
        out.flush()
        self.emitted += 1

    def close(self) -> None:
        out = self.stream if self.stream is not None else sys.stdout
        out.flush()


class FileSink:
    """Appends one line per alert to a file, created mode 0600 (alerts carry command
    lines and paths), line-buffered. ``reopen()`` after logrotate moved the file away
    (the CLI calls it on SIGHUP) starts a new file at `path`. A write error is logged
    and counted, never raised into the agent."""

    def __init__(self, path: str | Path, fmt: str = "json") -> None:
        self.path = Path(path)
        self.fmt = _check_format(fmt)
        self.emitted = self.errors = 0
        self._lock = threading.Lock()
        self._out: TextIO | None = self._open()

    def _open(self) -> TextIO:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return os.fdopen(fd, "a", buffering=1, encoding="utf-8", errors="backslashreplace")

    def emit(self, alert: Alert) -> None:
        line = render(alert, self.fmt) + "\n"
        with self._lock:
            try:
                if self._out is None:
                    self._out = self._open()
                self._out.write(line)
                self.emitted += 1
            except OSError as exc:
                self.errors += 1
                if self.errors == 1 or self.errors % 1000 == 0:
                    log.warning("cannot write alerts to %s (%d lost): %s", self.path,
                                self.errors, exc)  # fmt: skip
                self._close_quietly()

    def reopen(self) -> None:
        """Close and open `path` again (a new file if it was renamed or removed)."""
        with self._lock:
            self._close_quietly()
            try:
                self._out = self._open()
            except OSError as exc:
                log.warning("cannot reopen %s (retried at the next alert): %s", self.path, exc)

    def _close_quietly(self) -> None:
        if self._out is not None:
            with contextlib.suppress(OSError):
                self._out.close()
            self._out = None

    def close(self) -> None:
        with self._lock:
            self._close_quietly()


class FanoutSink:
    """Each alert to every sink; one failing sink does not stop the others."""

    def __init__(self, sinks: Sequence[AlertSink]) -> None:
        self.sinks = list(sinks)
        self.errors = 0

    def emit(self, alert: Alert) -> None:
        for sink in self.sinks:
            try:
                sink.emit(alert)
            except Exception as exc:  # a sink's bug must not stop the agent or the others
                self.errors += 1
                log.warning("alert sink %s failed: %s", type(sink).__name__, exc)

    def reopen(self) -> None:
        """``reopen()`` every sink that has one (files, after logrotate)."""
        for sink in self.sinks:
            reopen = getattr(sink, "reopen", None)
            if callable(reopen):
                reopen()

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:
                log.warning("alert sink %s did not close cleanly: %s", type(sink).__name__, exc)
