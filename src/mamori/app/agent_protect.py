"""The agent's protection beside the rules: file integrity, malware scanning and host
executable drift (`mamori.protect`), their alerts sent to the same sink as the rules'.

    protection = Protection(sink, fim=FileIntegrityMonitor(), scanner=MalwareScanner(...))
    Agent(sensor, rules=rules, protection=protection)

The agent hands every event of the types in `event_types` to `observe` (cheap: paths
noted, files queued) and calls `tick` after each batch, which turns settled file changes
and finished scans into alerts (at most every ``every`` seconds).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from mamori.alerts import Alert, AlertSink
from mamori.protect import FileIntegrityMonitor, MalwareScanner, host_drift, integrity, malware
from mamori.protect.host_drift import HostDriftMonitor
from mamori.response import Responder, ResponseContext

log = logging.getLogger(__name__)


class Protection:
    """File integrity and/or malware scanning feeding one alert sink."""

    def __init__(
        self,
        sink: AlertSink,
        *,
        fim: FileIntegrityMonitor | None = None,
        scanner: MalwareScanner | None = None,
        drift: HostDriftMonitor | None = None,
        every: float = 0.2,
        responder: Responder | None = None,
    ) -> None:
        self.sink = sink
        self.fim = fim
        self.scanner = scanner
        self.drift = drift
        self.every = every
        self.responder = responder
        self.raised = 0
        self._last = 0.0
        types: frozenset[str] = frozenset()
        if fim is not None:
            types |= integrity.EVENT_TYPES
        if scanner is not None:
            types |= malware.EVENT_TYPES
        if drift is not None:
            types |= host_drift.EVENT_TYPES
        self.event_types = types

    def start(self) -> None:
        """Read the watched files' baseline (before the first event is observed)."""
        if self.fim is not None:
            count = self.fim.baseline()
            log.info("file integrity: %d watched files in the baseline", count)

    def observe(self, view: Any) -> None:
        if self.fim is not None:
            self.fim.observe(view)
        if self.scanner is not None:
            self.scanner.observe(view)
        if self.drift is not None:
            self.drift.observe(view)

    def tick(self, *, force: bool = False) -> int:
        """Emit the alerts that are ready; returns how many."""
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return 0
        self._last = now
        alerts = self.fim.flush(force=force) if self.fim is not None else []
        if self.scanner is not None:
            if force:
                self.scanner.drain(2.0)
            alerts += self.scanner.results()
        if self.drift is not None:
            alerts += self.drift.results()
        for alert in alerts:
            self.sink.emit(alert)
            if self.responder is not None:
                self.responder.submit(alert, _context(alert))
        self.raised += len(alerts)
        return len(alerts)

    def close(self) -> None:
        """Report what is pending, then stop the scanner's worker."""
        self.tick(force=True)
        if self.scanner is not None:
            self.scanner.close()


def _context(alert: Alert) -> ResponseContext:
    """A response's targets from a file or malware alert: the file and the process that
    wrote or ran it. The process's start time is not known here, so a kill refuses it
    (it cannot prove the pid was not reused); quarantining the file works."""
    fields = alert.fields
    pid = fields.get("proc.pid")
    path = fields.get("mal.path") or fields.get("fs.path")
    cid = fields.get("container.id")
    return ResponseContext(
        pid=pid if isinstance(pid, int) else 0,
        event_ts=alert.ts,
        file_path=path if isinstance(path, str) else "",
        container_id=cid if isinstance(cid, str) and cid else "host",
    )
