"""Runtime protection beside the rules: file integrity (drift of watched files) and
malware (IOC hashes and YARA rules on executed and freshly written files).

Both consume the agent's event views (``mamori.app.agent.Sink``: called with each
`EventView`), do their file work off the event loop, and produce `mamori.alerts.Alert`
objects in Falco's shape, so they reach the same outputs as rule alerts::

    fim = FileIntegrityMonitor(DEFAULT_WATCH)
    scanner = MalwareScanner(iocs=load_iocs(path), yara=compile_yara([rules_dir]))
    agent = Agent(sensor, sinks=[fim.observe, scanner.observe], ...)
    for alert in fim.flush() + scanner.results(): ...
"""

from __future__ import annotations

from mamori.protect.hashing import FileState, read_file, state_under
from mamori.protect.integrity import DEFAULT_WATCH, FileChange, FileIntegrityMonitor
from mamori.protect.malware import MalwareHit, MalwareScanner, compile_yara, load_iocs

__all__ = [
    "DEFAULT_WATCH",
    "FileChange",
    "FileIntegrityMonitor",
    "FileState",
    "MalwareHit",
    "MalwareScanner",
    "compile_yara",
    "load_iocs",
    "read_file",
    "state_under",
]
