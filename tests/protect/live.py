"""One live agent (eBPF sensor -> state engine) feeding the protection monitors, and a
pump that runs until what a test waits for has arrived."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mamori.app.agent import LIFECYCLE_EVENTS, Agent
from mamori.protect import integrity, malware
from mamori.protect.integrity import FileIntegrityMonitor
from mamori.protect.malware import MalwareScanner
from mamori.sensor import Sensor, ebpf_available
from tests.support import need, need_root

EVENTS = LIFECYCLE_EVENTS | integrity.EVENT_TYPES | malware.EVENT_TYPES


@dataclass
class Protected:
    agent: Agent
    fim: FileIntegrityMonitor
    scanner: MalwareScanner

    def pump_until(self, done: Callable[[], bool], timeout: float = 15.0) -> bool:
        """Poll the sensor until ``done()`` (checked after each batch) or the timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.agent.poll(0.05)
            if done():
                return True
        return False


def start(fim: FileIntegrityMonitor, scanner: MalwareScanner) -> Protected:
    need_root()
    ok, detail = ebpf_available()
    need(ok, f"the eBPF sensor cannot load: {detail}")
    agent = Agent(Sensor(EVENTS), sinks=[fim.observe, scanner.observe])
    agent.start()
    return Protected(agent, fim, scanner)
