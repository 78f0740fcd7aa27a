"""`WebhookSink`: each alert POSTed as Falco's JSON document (as Falco's ``http_output``),
from a background thread so that a slow or unreachable endpoint never blocks the agent.

    sink = WebhookSink("https://hooks.example/falco", headers={"Authorization": "Bearer ..."})

``emit`` only puts the alert on a bounded queue (``queue_size``); when the queue is
full the alert is dropped and counted (``dropped``). One worker thread sends them in
order over one keep-alive connection; a network error, a timeout, 408, 429 or a 5xx is
retried ``retries`` times with exponential backoff (``backoff`` doubling up to
``max_backoff``), then counted as ``failed``; another 4xx is not retried (``failed``).
Losses are logged at the first one and then at most every 10 s, and summed up at
``close``: never silent. Header values (tokens) are never logged, nor the URL's
credentials or query string.

``close`` stops taking alerts and waits up to ``close_timeout`` for the queue to drain;
what is left then is counted as dropped.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import httpx

from mamori.alerts.alert import Alert

log = logging.getLogger(__name__)
_RETRY_STATUS = frozenset({408, 429})


def redact(url: str) -> str:
    """The URL without credentials and query (what may be logged)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class WebhookSink:
    """Alerts to an HTTP(S) endpoint (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        queue_size: int = 1000,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        close_timeout: float = 5.0,
        verify: bool = True,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {redact(url)!r}")
        self.url = url
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.close_timeout = close_timeout
        self.sent = self.dropped = self.failed = self.retried = 0
        self._queue: queue.Queue[Alert] = queue.Queue(max(1, queue_size))
        self._client = httpx.Client(
            timeout=timeout, verify=verify,
            headers={"Content-Type": "application/json", "User-Agent": "mamori",
                     **dict(headers or {})},
        )  # fmt: skip
        self._closed = False
        self._deadline: float | None = None
        self._logged = 0.0
        self._worker = threading.Thread(target=self._run, name="mamori-webhook", daemon=True)
        self._worker.start()

    @property
    def lost(self) -> int:
        return self.dropped + self.failed

    def emit(self, alert: Alert) -> None:
        if self._closed:
            self._lose("dropped", "the sink is closed")
            return
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self._lose("dropped", "queue full")

    def _lose(self, counter: str, why: str) -> None:
        setattr(self, counter, getattr(self, counter) + 1)
        now = time.monotonic()
        if self.lost == 1 or now - self._logged >= 10.0:
            self._logged = now
            log.warning("webhook %s: alert lost (%s); %d dropped, %d failed so far",
                        redact(self.url), why, self.dropped, self.failed)  # fmt: skip

    # -- the worker -------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._closed:
                    return
                continue
            try:
                if self._deadline is not None and time.monotonic() >= self._deadline:
                    self._lose("dropped", "not sent before close")
                else:
                    self._send(item)
            finally:
                self._queue.task_done()

    def _send(self, alert: Alert) -> None:
        body = json.dumps(alert.json(), ensure_ascii=False).encode()
        delay = self.backoff
        for attempt in range(self.retries + 1):
            why = self._post(body)
            if why is None:
                self.sent += 1
                return
            if why.startswith("!") or attempt == self.retries:  # not retriable / no more
                self._lose("failed", why.lstrip("!"))
                return
            self.retried += 1
            wait = min(delay, self.max_backoff)
            if self._deadline is not None:
                wait = min(wait, max(0.0, self._deadline - time.monotonic()))
                if wait <= 0:
                    self._lose("failed", why + ", then closed")
                    return
            time.sleep(wait)
            delay *= 2

    def _post(self, body: bytes) -> str | None:
        """None when delivered; else why not ('!' first: do not retry)."""
        try:
            response = self._client.post(self.url, content=body)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}"
        status = response.status_code
        if status < 300:
            return None
        if status >= 500 or status in _RETRY_STATUS:
            return f"HTTP {status}"
        return f"!HTTP {status}"

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the queue is empty (True) or `timeout` passed (False)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:  # queued or being sent
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._deadline = time.monotonic() + self.close_timeout
        request = self._client.timeout.read or 0.0
        self._worker.join(self.close_timeout + request + 1.0)  # a request may be under way
        left = self._queue.qsize()
        if left:
            self.dropped += left
        self._client.close()
        if self.lost:
            log.warning("webhook %s: %d alerts sent, %d dropped, %d failed",
                        redact(self.url), self.sent, self.dropped, self.failed)  # fmt: skip
