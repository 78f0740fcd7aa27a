"""`SyslogSink`: alerts as RFC 5424 syslog messages, over UDP or a local unix socket.

    SyslogSink(("127.0.0.1", 514))        # UDP (RFC 5426), one message per datagram
    SyslogSink("/dev/log")                # the local daemon (journald, rsyslog)

Each message is ``<PRI>1 TIMESTAMP HOSTNAME mamori PROCID MSGID - MSG``: PRI is the
facility (default ``user``, as Falco's syslog output) times 8 plus the severity, which is
the alert's priority itself (Falco's priorities are syslog's severities, same order and
numbers); TIMESTAMP the event's time (UTC, microseconds); MSGID the alert's source;
MSG the alert's JSON document (or Falco's text line), preceded by the UTF-8 BOM as RFC
5424 asks for UTF-8 text. A message longer than ``max_bytes`` is sent as the text line,
cut at ``max_bytes`` (``truncated`` counts them): receivers drop oversized datagrams.

Sending never blocks for long (datagrams); a failure (no listener on the unix socket,
network unreachable) is counted in ``errors``, logged at the first and every 1000th,
and the socket is reopened at the next alert, at most once a second.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from mamori.alerts.alert import Alert
from mamori.alerts.sinks import _check_format, render

log = logging.getLogger(__name__)
FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
    "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
    **{f"local{i}": 16 + i for i in range(8)},
}  # fmt: skip
BOM = b"\xef\xbb\xbf"


def _token(text: str, limit: int) -> str:
    """An RFC 5424 header field: printable US-ASCII without spaces, or the NILVALUE."""
    clean = "".join(c for c in text if 33 <= ord(c) <= 126)[:limit]
    return clean or "-"


class SyslogSink:
    """Alerts to a syslog receiver (see the module docstring)."""

    def __init__(
        self,
        address: tuple[str, int] | str = "/dev/log",
        *,
        facility: str = "user",
        fmt: str = "json",
        max_bytes: int = 8192,
        app_name: str = "mamori",
    ) -> None:
        if facility not in FACILITIES:
            raise ValueError(f"unknown syslog facility {facility!r}")
        self.address = address
        self.facility = FACILITIES[facility]
        self.fmt = _check_format(fmt)
        self.max_bytes = max(480, max_bytes)  # RFC 5426: every receiver takes 480
        self.app_name = _token(app_name, 48)
        self.emitted = self.errors = self.truncated = 0
        self._sock: socket.socket | None = None
        self._stream = False
        self._retry_at = 0.0
        self._procid = str(os.getpid())
        self._hostname = _token(socket.gethostname(), 255)

    def format(self, alert: Alert) -> bytes:
        """The whole RFC 5424 message for `alert`."""
        secs, ns = divmod(alert.ts, 1_000_000_000)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ns // 1000:06d}Z"
        pri = self.facility * 8 + int(alert.priority)
        host = _token(alert.hostname, 255) if alert.hostname else self._hostname
        head = f"<{pri}>1 {stamp} {host} {self.app_name} {self._procid} "
        head += f"{_token(alert.source, 32)} - "
        raw = head.encode() + BOM + render(alert, self.fmt).encode("utf-8", "backslashreplace")
        if len(raw) > self.max_bytes:
            self.truncated += 1
            raw = head.encode() + BOM + alert.text().encode("utf-8", "backslashreplace")
            raw = raw[: self.max_bytes].decode("utf-8", "ignore").encode()
        return raw

    def _connect(self) -> socket.socket:
        if isinstance(self.address, tuple):
            host, port = self.address
            info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            sock = socket.socket(info[0], socket.SOCK_DGRAM)
            sock.connect(info[4])
            return sock
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.connect(self.address)
            self._stream = False
        except OSError:  # a stream socket (some syslog daemons): octet-counted framing
            sock.close()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(1.0)
            try:
                sock.connect(self.address)
            except OSError:
                sock.close()
                raise
            self._stream = True
        return sock

    def emit(self, alert: Alert) -> None:
        message = self.format(alert)
        try:
            if self._sock is None:
                if time.monotonic() < self._retry_at:
                    raise OSError("syslog receiver unavailable (retrying)")
                self._sock = self._connect()
            if self._stream:
                self._sock.sendall(f"{len(message)} ".encode() + message)
            else:
                self._sock.send(message)
            self.emitted += 1
        except OSError as exc:
            self.errors += 1
            if self.errors == 1 or self.errors % 1000 == 0:
                log.warning("syslog alert to %s not sent (%d lost): %s", self.address,
                            self.errors, exc)  # fmt: skip
            self._drop_socket()

    def _drop_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._retry_at = time.monotonic() + 1.0

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
