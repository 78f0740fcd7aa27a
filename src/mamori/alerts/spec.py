"""`open_sinks`: alert sinks from ``--output`` specs.

stdout | stdout:json    Falco's JSON document, one per line, on stdout (the default)
stdout:text             Falco's text line on stdout
file:PATH               JSON lines appended to PATH (0600; reopened on SIGHUP)
syslog                  RFC 5424 to the local daemon (/dev/log)
syslog:HOST:PORT        RFC 5424 over UDP ([v6 address] in brackets)
syslog:unix:PATH        RFC 5424 to a unix socket
webhook:URL             HTTP(S) POST of the JSON document (background thread)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mamori.alerts.sinks import AlertSink, FanoutSink, FileSink, StreamSink
from mamori.alerts.syslog import SyslogSink
from mamori.alerts.webhook import WebhookSink

SPEC_HELP = __doc__.split("\n\n", 1)[1] if __doc__ else ""


class SinkSpecError(ValueError):
    """An output spec that names no sink; the message shows the accepted forms."""


def _bad(spec: str, why: str) -> SinkSpecError:
    return SinkSpecError(f"bad alert output {spec!r}: {why}. Accepted:\n{SPEC_HELP}")


def _host_port(spec: str, rest: str) -> tuple[str, int]:
    if rest.startswith("["):
        host, sep, port = rest[1:].partition("]:")
    else:
        host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise _bad(spec, "syslog needs HOST:PORT, unix:PATH or nothing")
    return host, int(port)


def open_sink(spec: str, *, webhook_headers: Mapping[str, str] | None = None) -> AlertSink:
    """One sink from one spec (see the module docstring)."""
    kind, _, rest = spec.partition(":")
    if kind == "stdout":
        if rest not in ("", "json", "text"):
            raise _bad(spec, "stdout takes :json or :text")
        return StreamSink(None, rest or "json")
    if kind == "file":
        if not rest:
            raise _bad(spec, "file needs a path")
        try:
            return FileSink(Path(rest))
        except OSError as exc:
            raise _bad(spec, f"cannot open the file: {exc.strerror or exc}") from None
    if kind == "syslog":
        if not rest:
            return SyslogSink("/dev/log")
        if rest.startswith("unix:"):
            path = rest.removeprefix("unix:")
            if not path:
                raise _bad(spec, "syslog:unix needs a socket path")
            return SyslogSink(path)
        return SyslogSink(_host_port(spec, rest))
    if kind == "webhook":
        try:
            return WebhookSink(rest, headers=webhook_headers)
        except ValueError as exc:
            raise _bad(spec, str(exc)) from None
    raise _bad(spec, f"unknown kind {kind!r}")


def open_sinks(
    specs: Sequence[str], *, webhook_headers: Mapping[str, str] | None = None
) -> FanoutSink:
    """One fan-out sink over every spec (no spec: stdout JSON). A bad spec raises
    `SinkSpecError` after closing the sinks opened before it."""
    opened: list[AlertSink] = []
    try:
        for spec in specs or ["stdout"]:
            opened.append(open_sink(spec.strip(), webhook_headers=webhook_headers))
    except BaseException:
        FanoutSink(opened).close()
        raise
    return FanoutSink(opened)


def read_headers(path: str | Path) -> dict[str, str]:
    """``Name: value`` lines (blank lines and ``#`` comments ignored): headers for the
    webhook, kept in a file so tokens stay off the command line."""
    headers: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or any(c in name for c in " \t"):
            raise ValueError(f"{path}:{number}: not a 'Name: value' header line")
        headers[name.strip()] = value.strip()
    return headers
