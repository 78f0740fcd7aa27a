"""The local sinks and the spec parser: stdout/text streams, the file sink through a
real rename-and-SIGHUP rotation (as logrotate's ``create`` mode does), the fan-out
isolating a failing sink, and clear errors for bad specs."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.alerts import (
    Alert,
    FanoutSink,
    FileSink,
    SinkSpecError,
    StreamSink,
    SyslogSink,
    WebhookSink,
    open_sinks,
    read_headers,
)
from tests.alerts.helpers import make_alert


def test_stream_sink_json_and_text() -> None:
    out = io.StringIO()
    StreamSink(out).emit(make_alert(1))
    StreamSink(out, "text").emit(make_alert(2))
    first, second = out.getvalue().splitlines()
    assert json.loads(first)["output_fields"]["fd.name"] == "/tmp/marked-1"
    assert second == make_alert(2).text()
    with pytest.raises(ValueError, match="format"):
        StreamSink(out, "xml")


def test_file_sink_mode_append_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    path.write_text('{"old": 1}\n')
    path.chmod(0o644)  # an existing file keeps its mode: appended to, not truncated
    fresh = tmp_path / "fresh.json"
    sink = FileSink(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600  # alerts hold command lines
    sink.close()
    sink = FileSink(path)
    sink.emit(make_alert(1))
    assert len(path.read_text().splitlines()) == 2  # line-buffered: on disk at once
    rotated = tmp_path / "alerts.json.1"
    os.rename(path, rotated)  # logrotate moves the file away...
    sink.emit(make_alert(2))  # ...still written to the old file until the reopen
    sink.reopen()  # ...then signals the agent (SIGHUP)
    sink.emit(make_alert(3))
    sink.close()
    old = [json.loads(line) for line in rotated.read_text().splitlines()]
    new = [json.loads(line) for line in path.read_text().splitlines()]
    assert [d.get("mamori", {}).get("evt_num") for d in old] == [None, 2, 3]
    assert [d["mamori"]["evt_num"] for d in new] == [4]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_file_sink_survives_a_vanished_directory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    sink = FileSink(folder / "a.json")
    (folder / "a.json").unlink()
    folder.rmdir()
    sink.reopen()  # cannot: logged, retried at the next alert
    with caplog.at_level(logging.WARNING):
        sink.emit(make_alert(1))
    assert sink.errors == 1 and "1 lost" in caplog.text
    folder.mkdir()
    sink.emit(make_alert(2))  # reopened by itself
    sink.close()
    assert len((folder / "a.json").read_text().splitlines()) == 1


class _Broken:
    def emit(self, alert: Alert) -> None:
        raise RuntimeError("boom")

    def close(self) -> None:
        raise RuntimeError("boom")


def test_fanout_isolates_a_failing_sink() -> None:
    out = io.StringIO()
    fan = FanoutSink([_Broken(), StreamSink(out)])
    fan.emit(make_alert(1))
    fan.close()
    assert fan.errors == 1 and len(out.getvalue().splitlines()) == 1


def test_open_sinks_specs(tmp_path: Path) -> None:
    fan = open_sinks([f"file:{tmp_path / 'a'}", "stdout:text", "syslog:127.0.0.1:5514",
                      "syslog:[::1]:5514", "syslog:unix:/dev/log", "syslog",
                      "webhook:http://127.0.0.1:9/x"])  # fmt: skip
    kinds = [type(s) for s in fan.sinks]
    assert kinds == [FileSink, StreamSink, SyslogSink, SyslogSink, SyslogSink, SyslogSink,
                     WebhookSink]  # fmt: skip
    addresses = [s.address for s in fan.sinks if isinstance(s, SyslogSink)]
    assert addresses == [("127.0.0.1", 5514), ("::1", 5514), "/dev/log", "/dev/log"]
    fan.close()
    assert [type(s) for s in open_sinks([]).sinks] == [StreamSink]


@pytest.mark.parametrize("spec", ["nowhere", "file:", "stdout:xml", "syslog:host",
                                  "syslog:host:99999", "syslog:unix:", "webhook:ftp://x/",
                                  "webhook:", "file:/nonexistent-dir/a"])  # fmt: skip
def test_bad_specs_are_clear(spec: str) -> None:
    with pytest.raises(SinkSpecError, match="bad alert output") as info:
        open_sinks(["stdout", spec])
    assert "webhook:URL" in str(info.value)  # the accepted forms are listed


def test_header_file(tmp_path: Path) -> None:
    path = tmp_path / "h"
    path.write_text("# token\nAuthorization: Bearer abc:def\n\nX-Team: sec\n")
    assert read_headers(path) == {"Authorization": "Bearer abc:def", "X-Team": "sec"}
    path.write_text("no colon here\n")
    with pytest.raises(ValueError, match=":1:"):
        read_headers(path)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40) | st.sampled_from(["stdout:", "syslog:", "syslog:unix:", "webhook:",
                                               "syslog:[::1]:", "webhook:http://"]).flatmap(
    lambda head: st.text(max_size=20).map(lambda tail: head + tail)))  # fmt: skip
def test_any_spec_opens_a_sink_or_says_why(spec: str) -> None:
    if spec.partition(":")[0] == "file":  # would create files wherever the text says
        return
    try:
        fan = open_sinks([spec])
    except SinkSpecError as exc:
        assert "Accepted:" in str(exc)
        return
    fan.close()


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_header_file_parses_or_says_where(tmp_path_factory: pytest.TempPathFactory,
                                              text: str) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp("h") / "headers"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        headers = read_headers(path)
    except (ValueError, UnicodeDecodeError) as exc:
        assert isinstance(exc, UnicodeDecodeError) or str(path) in str(exc)
        return
    assert all(name and ":" not in name for name in headers)
