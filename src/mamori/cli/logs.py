"""`mamori scan cloudtrail`, `mamori watch cloudtrail` and `mamori k8s-audit serve`.

    mamori scan cloudtrail ./AWSLogs -r local.yaml          # files or directories
    mamori scan cloudtrail s3://trail-bucket/ -o file:alerts.json   # only new objects
    mamori watch cloudtrail s3://trail-bucket/ --interval 60
    mamori k8s-audit serve --listen 0.0.0.0:8765 --token-file token --tls-cert c --tls-key k

Alerts go to the ``--output`` sinks (default: Falco's JSON on stdout); notices and a
summary go to stderr. Rules: mamori's own cloud rules, then ``--rules`` files in order
(``--no-default-rules`` drops mamori's). S3 cursors live in the state file (``--state``,
default ``$MAMORI_LOG_STATE`` or the XDG data dir); ``--no-state`` reads everything and
remembers nothing. Exit codes: 0 done; 1 the rules do not load; 2 a usage error (bad
target, output spec, state file, token file).

Heavy modules (rules engine, boto3) are imported inside the commands.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mamori.cli._render import EXIT_FAIL_ON, fail

if TYPE_CHECKING:
    from mamori.alerts import AlertSink
    from mamori.logs.cloudtrail_s3 import CloudTrailS3
    from mamori.model import Notice
    from mamori.rules import RuleSet

watch_app = typer.Typer(help="Follow a log source and alert as records arrive.",
                        no_args_is_help=True)  # fmt: skip
k8s_audit_app = typer.Typer(help="Kubernetes audit events: the webhook endpoint.",
                            no_args_is_help=True)  # fmt: skip

RULES = typer.Option(None, "--rules", "-r", help="Rules file; repeat to load several in order.")
NO_DEFAULTS = typer.Option(False, "--no-default-rules", help="Do not load mamori's cloud rules.")
OUTPUT = typer.Option(
    None, "--output", "-o", help="Alert sink: stdout[:text], file:PATH, syslog[:HOST:PORT], "
    "webhook:URL; repeat for several (default stdout, JSON).",
)  # fmt: skip
SIGMA = typer.Option(None, "--sigma", help="Sigma rule file or directory; repeatable.")
ALL = typer.Option(False, "--all-matches", help="Every matching rule per record.")
STATE = typer.Option(None, "--state", help="Cursor state file (S3; default: XDG data dir).")
NO_STATE = typer.Option(False, "--no-state", help="S3: read every object, remember nothing.")


def _ruleset(
    rules: Sequence[Path] | None, no_defaults: bool, sigma: Sequence[Path] = ()
) -> RuleSet:
    from mamori.app.logscan import RulesError, cloud_ruleset, default_rule_files

    def warn(message: str) -> None:
        typer.echo(f"warning: {message}", err=True)

    if no_defaults and not rules and not sigma:
        fail("--no-default-rules needs --rules")
    if not no_defaults and not rules and not sigma and not default_rule_files():
        fail("mamori's cloud rules are not installed: give --rules")
    try:
        return cloud_ruleset(rules or (), sigma, defaults=not no_defaults, on_warning=warn)
    except RulesError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_FAIL_ON) from None


def _sinks(output: Sequence[str] | None) -> AlertSink:
    from mamori.alerts import SinkSpecError, open_sinks

    try:
        return open_sinks(list(output or ()))
    except SinkSpecError as exc:
        from rich.markup import escape

        fail(escape(str(exc)))


def _report(notices: list[Notice]) -> None:
    for n in notices:
        where = f"{n.path}: " if n.path else ""
        typer.echo(f"{n.level.value}: {where}{n.message}", err=True)
    notices.clear()


def _s3_reader(
    url: str,
    state: Path | None,
    no_state: bool,
    notices: list[Notice],
    kind: type[CloudTrailS3] | None = None,
) -> CloudTrailS3:
    """A bucket reader (`kind`: CloudTrailS3 or a subclass for another service's logs)."""
    from mamori.logs._cursors import MemoryCursors, StateFile
    from mamori.logs.cloudtrail_s3 import CloudTrailS3, S3UrlError

    try:
        cursors = MemoryCursors() if no_state else StateFile(state)
        reader = (kind or CloudTrailS3)(url, cursors=cursors, notices=notices)
        if not no_state:
            cursors.load("")  # a state file that is not ours fails here, before reading
    except (S3UrlError, ValueError, RuntimeError) as exc:
        fail(str(exc))
    return reader


@contextmanager
def _stoppable(hup: threading.Event | None = None) -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM; with `hup`, SIGHUP sets that one (the loop
    then reopens its alert files, after logrotate). The previous handlers come back
    afterwards. Handlers only set events: a sink's lock may be held when they run."""
    stop = threading.Event()
    wanted = {signal.SIGINT: stop, signal.SIGTERM: stop}
    if hup is not None:
        wanted[signal.SIGHUP] = hup

    def handler(signum: int, _frame: Any) -> None:
        wanted[signal.Signals(signum)].set()

    previous = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _reopen_if(hup: threading.Event, sink: AlertSink) -> None:
    if hup.is_set():
        hup.clear()
        reopen = getattr(sink, "reopen", None)
        if callable(reopen):
            reopen()


def _until(records: Iterator[dict[str, Any]], stop: threading.Event) -> Iterator[dict[str, Any]]:
    """The records until `stop` is set: the reader's cursor then stays on the last
    object whose records were all handed out."""
    for record in records:
        if stop.is_set():
            return
        yield record


def scan_cloudtrail(
    target: str = typer.Argument(
        ..., help="A CloudTrail log file, a directory, or s3://bucket/prefix."
    ),
    rules: list[Path] | None = RULES,
    sigma: list[Path] | None = SIGMA,
    no_defaults: bool = NO_DEFAULTS,
    output: list[str] | None = OUTPUT,
    match_all: bool = ALL,
    state: Path | None = STATE,
    no_state: bool = NO_STATE,
) -> None:
    """Evaluate rules over CloudTrail records: log files, or an S3 bucket's new objects."""
    from mamori.app.logscan import CLOUDTRAIL, alerts
    from mamori.logs import read_cloudtrail
    from mamori.logs._cursors import StateError

    ruleset = _ruleset(rules, no_defaults, sigma or ())
    notices: list[Notice] = []
    reader = None
    if target.startswith("s3://"):
        reader = _s3_reader(target, state, no_state, notices)
        records = reader.records()
    elif Path(target).exists():
        records = read_cloudtrail(target, notices=notices)
    else:
        fail(f"{target}: no such file, directory or s3:// URL")
    sink = _sinks(output)
    count = 0
    try:
        with _stoppable() as stop:
            for alert in alerts(_until(records, stop), ruleset, CLOUDTRAIL, match_all=match_all):
                sink.emit(alert)
                count += 1
            if reader is not None:
                reader.cursors.flush()
    except StateError as exc:
        fail(str(exc))
    finally:
        sink.close()
        _report(notices)
    if reader is not None:
        s = reader.stats
        typer.echo(f"{s.objects} objects, {s.records} records, {count} alerts", err=True)
    else:
        typer.echo(f"{count} alerts", err=True)


@watch_app.command("cloudtrail")
def watch_cloudtrail(
    url: str = typer.Argument(..., help="s3://bucket/prefix of the trail."),
    interval: float = typer.Option(60.0, "--interval", min=0.05, help="Seconds between polls."),
    rules: list[Path] | None = RULES,
    sigma: list[Path] | None = SIGMA,
    no_defaults: bool = NO_DEFAULTS,
    output: list[str] | None = OUTPUT,
    match_all: bool = ALL,
    state: Path | None = STATE,
    no_state: bool = NO_STATE,
) -> None:
    """Poll a trail's bucket for new log objects and alert on their records until
    stopped (Ctrl-C or SIGTERM: the cursor of what was read is saved)."""
    from mamori.app.logscan import CLOUDTRAIL, alerts
    from mamori.logs._cursors import StateError

    if not url.startswith("s3://"):
        fail(f"{url}: watch follows an s3://bucket/prefix")
    ruleset = _ruleset(rules, no_defaults, sigma or ())
    notices: list[Notice] = []
    reader = _s3_reader(url, state, no_state, notices)
    sink = _sinks(output)
    count = 0
    typer.echo(f"watching {reader.url} every {interval:g}s", err=True)
    hup = threading.Event()
    try:
        with _stoppable(hup) as stop:
            while not stop.is_set():
                before = reader.stats.records
                found = alerts(_until(reader.records(), stop), ruleset, CLOUDTRAIL,
                               match_all=match_all)  # fmt: skip
                for alert in found:
                    _reopen_if(hup, sink)
                    sink.emit(alert)
                    count += 1
                reader.cursors.flush()
                _report(notices)
                if reader.stats.records > before:
                    typer.echo(f"read {reader.stats.records - before} records", err=True)
                stop.wait(interval)
                _reopen_if(hup, sink)
    except StateError as exc:
        fail(str(exc))
    finally:
        try:
            reader.cursors.flush()
        finally:
            sink.close()
    s = reader.stats
    typer.echo(f"stopped: {s.objects} objects, {s.records} records, {count} alerts", err=True)


@k8s_audit_app.command("serve")
def k8s_audit_serve(
    listen: str = typer.Option("127.0.0.1:8765", "--listen", help="HOST:PORT to listen on."),
    token_file: Path = typer.Option(..., "--token-file", help="File holding the bearer token."),
    tls_cert: Path | None = typer.Option(None, "--tls-cert", help="PEM certificate (chain)."),
    tls_key: Path | None = typer.Option(None, "--tls-key", help="PEM private key."),
    rules: list[Path] | None = RULES,
    sigma: list[Path] | None = SIGMA,
    no_defaults: bool = NO_DEFAULTS,
    output: list[str] | None = OUTPUT,
    match_all: bool = ALL,
    max_body: int = typer.Option(12 << 20, "--max-body", min=1024, help="Largest body, bytes."),
    cluster: str = typer.Option("", "--cluster", help="Cluster name put in alerts' identity."),
) -> None:
    """Receive the API server's audit webhook batches and alert on them."""
    from mamori.app.k8s_audit_server import AuditWebhook, WebhookConfig, parse_listen
    from mamori.app.logscan import LogMatch

    try:
        host, port = parse_listen(listen)
        token = token_file.read_text(encoding="utf-8").strip()
    except (ValueError, OSError) as exc:
        fail(str(exc))
    if not token:
        fail(f"{token_file}: empty token")
    if token_file.stat().st_mode & 0o077:
        typer.echo(f"warning: {token_file} is readable by other users (chmod 600)", err=True)
    if (tls_cert is None) != (tls_key is None):
        fail("--tls-cert and --tls-key go together")
    ruleset = _ruleset(rules, no_defaults, sigma or ())
    sink = _sinks(output)
    config = WebhookConfig(token=token, host=host, port=port, max_body=max_body,
                           tls_cert=tls_cert, tls_key=tls_key, cluster=cluster,
                           match_all=match_all)  # fmt: skip

    def emit(m: LogMatch) -> None:
        sink.emit(m.alert())

    try:
        server = AuditWebhook(config, ruleset, emit)
    except (OSError, ValueError) as exc:  # port in use, bad certificate
        sink.close()
        fail(f"cannot serve on {listen}: {exc}")
    hup = threading.Event()
    try:
        with _stoppable(hup) as stop:
            server.start()
            typer.echo(f"listening on {server.url}", err=True)
            sys.stderr.flush()
            while not stop.wait(0.5):
                _reopen_if(hup, sink)  # emits run under the server's lock, not here
    finally:
        server.shutdown()
        sink.close()
    st = server.stats
    typer.echo(
        f"stopped: {st['batches']} batches, {st['events']} events, {st['alerts']} alerts, "
        f"{st['401']} unauthorized, {st['400']} malformed, {st['413']} too large",
        err=True,
    )
