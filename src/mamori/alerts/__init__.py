"""Alerts: one shape for every rule match (`Alert`, Falco's text and JSON outputs) and
the sinks that deliver them (stdout, file, syslog, webhook; `open_sinks` from specs).

    sink = open_sinks(["stdout", "file:/var/log/mamori/alerts.json", "webhook:https://..."])
    sink.emit(Alert.from_match(match, ts, hostname="web-1", identity={"host": "web-1"}))
    sink.close()                                   # flushes; the webhook drains its queue
"""

from mamori.alerts.alert import Alert, jsonable
from mamori.alerts.sinks import AlertSink, FanoutSink, FileSink, StreamSink, render
from mamori.alerts.spec import SinkSpecError, open_sink, open_sinks, read_headers
from mamori.alerts.syslog import SyslogSink
from mamori.alerts.webhook import WebhookSink

__all__ = [
    "Alert",
    "AlertSink",
    "FanoutSink",
    "FileSink",
    "SinkSpecError",
    "StreamSink",
    "SyslogSink",
    "WebhookSink",
    "jsonable",
    "open_sink",
    "open_sinks",
    "read_headers",
    "render",
]
