"""Real alerts for the sink tests: a rule loaded by the rules engine, matched on an event
that went through the state engine (no hand-built Match)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

from mamori.alerts import Alert
from mamori.model.events import SyscallEvent, ThreadInfo
from mamori.rules import Match, load
from mamori.rules.syscall_extract import Session
from mamori.runtime.state import StateEngine

RULE = {
    "rule": "Read of a marked file",
    "desc": "test",
    "condition": "evt.type = openat and fd.name startswith /tmp/marked",
    "output": "file %fd.name opened by %proc.name (pid=%proc.pid cmd=%proc.cmdline)",
    "priority": "WARNING",
    "tags": ["test", "filesystem"],
}


def match_open(path: str = "/tmp/marked-1", pid: int = 4242, ts: int = 0) -> tuple[Match, int]:
    ruleset = load([("test.yaml", yaml.safe_dump([RULE]))])
    assert not ruleset.result.errors, ruleset.result.errors
    engine = StateEngine()
    engine.load_threads([ThreadInfo(pid, pid, 1, "cat", "cat", "/usr/bin/cat", (path,))])
    ts = ts or 1_764_441_116_746_609_046
    event = SyscallEvent(ts, pid, "openat", "<", {"fd": 3, "dirfd": -100, "name": path,
                                                   "flags": 1, "mode": 0})  # fmt: skip
    found = ruleset.match_first(Session(engine).view(engine.process(event)))
    assert found is not None
    return found, ts


def make_alert(n: int = 0, **kwargs: object) -> Alert:
    match, ts = match_open(f"/tmp/marked-{n}")
    return Alert.from_match(match, ts + n, hostname="web-1", evt_num=n + 1,
                            identity={"host": "web-1"}, **kwargs)  # type: ignore[arg-type]  # fmt: skip


class Server:
    """Records each POST; `answer(n)` gives the status of the n-th request (0-based)."""

    def __init__(self, answer: Callable[[int], int] = lambda n: 200, delay: float = 0.0) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real collectors

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                n = len(outer.requests)
                outer.requests.append((dict(self.headers), body))
                time.sleep(delay)
                self.send_response(answer(n))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/alerts?key=k"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
