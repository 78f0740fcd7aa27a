"""`SyslogSink` against real receivers on this host: a UDP socket on loopback (v4 and
v6) and a unix datagram socket, parsed with the RFC 5424 ABNF as a regex; a receiver
that is not there costs an error count, not an exception."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from mamori.alerts import SyslogSink
from mamori.alerts.syslog import BOM
from mamori.rules import Priority
from tests.alerts.helpers import make_alert

# RFC 5424 section 6: HEADER SP STRUCTURED-DATA [SP MSG]
RFC5424 = re.compile(
    rb"<(?P<pri>\d{1,3})>1 (?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)) "
    rb"(?P<host>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) "
    rb"(?P<msgid>[!-~]{1,32}) (?P<sd>-|(\[.*?\])+)( (?P<msg>.*))?",
    re.S,
)


def _receive(sock: socket.socket) -> re.Match[bytes]:
    sock.settimeout(5)
    data = sock.recv(65536)
    found = RFC5424.fullmatch(data)
    assert found is not None, data
    return found


@pytest.mark.parametrize("family,host", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_udp_receiver(family: int, host: str) -> None:
    with socket.socket(family, socket.SOCK_DGRAM) as server:
        server.bind((host, 0))
        sink = SyslogSink((host, server.getsockname()[1]), facility="local3")
        alert = make_alert(1)
        sink.emit(alert)
        got = _receive(server)
        sink.close()
    assert int(got["pri"]) == 19 * 8 + Priority.WARNING == 156
    assert got["host"] == b"web-1" and got["app"] == b"mamori" and got["msgid"] == b"syscall"
    assert got["ts"].decode() == alert.iso_time[:26] + "Z"  # the event's time, in µs
    msg = got["msg"]
    assert msg.startswith(BOM)
    assert json.loads(msg[len(BOM) :]) == json.loads(json.dumps(alert.json()))


def test_unix_receiver_text_and_oversize(tmp_path: Path) -> None:
    path = str(tmp_path / "log.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        sink = SyslogSink(path, fmt="text", max_bytes=600)
        sink.emit(make_alert(2))
        assert _receive(server)["msg"] == BOM + make_alert(2).text().encode()
        json_sink = SyslogSink(path, max_bytes=480)  # JSON would not fit: the text, cut
        json_sink.emit(make_alert(3))
        got = _receive(server)
        assert len(got.group(0)) <= 480 and json_sink.truncated == 1
        assert got["msg"].startswith(BOM + make_alert(3).text().encode()[:40])


def test_missing_receiver_is_counted(tmp_path: Path) -> None:
    sink = SyslogSink(str(tmp_path / "nobody"))
    sink.emit(make_alert(1))
    sink.emit(make_alert(2))  # within the retry pause: not even tried
    assert sink.errors == 2 and sink.emitted == 0
    with pytest.raises(ValueError):
        SyslogSink("/dev/log", facility="nope")


def test_unix_stream_receiver_gets_octet_counted_frames(tmp_path: Path) -> None:
    path = str(tmp_path / "stream.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        sink = SyslogSink(path)
        sink.emit(make_alert(1))
        sink.emit(make_alert(2))
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            data = b""
            while data.count(b"<") < 2 or not data.endswith(b"}"):
                data += conn.recv(65536)
        sink.close()
    frames = []
    while data:  # RFC 6587 octet counting: "LEN SP MSG"
        length, _, rest = data.partition(b" ")
        frames.append(rest[: int(length)])
        data = rest[int(length) :]
    assert len(frames) == 2 and all(RFC5424.fullmatch(f) for f in frames)
