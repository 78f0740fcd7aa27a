"""`mamori agent`: run the runtime sensor; raise alerts, print events, map connections.

    mamori agent                                                 # default rules -> stdout
    mamori agent --rules my.yaml --output file:/var/log/mamori/alerts.json \
                 --output webhook:https://hooks.example/x --capture-dir /var/lib/mamori/captures
    mamori agent --print --filter execve --filter connect        # JSON lines, Falco keys
    mamori agent --print --field proc.name --field proc.aname[2] --duration 10
    mamori agent --connections --duration 60                     # then the map as a table

Events print as one JSON object per line whose keys are Falco field names, read through
the ``syscall`` rule source's getters (so a value prints exactly as a rule sees it; null
when not available). ``--filter`` types go to the sensor, which filters in the kernel
(process life-cycle events are captured too, for context, but not printed). The
connection map is saved under the XDG data dir every minute and on exit.
Rules: ``--rules FILE`` (repeatable, loaded in order) or, when none of ``--rules``,
``--print``, ``--connections`` and ``--no-rules`` is given, mamori's default ruleset
(``mamori.rules.default``). Alerts go to every ``--output`` (default stdout, Falco's JSON);
SIGHUP reopens output files (logrotate). ``--capture-dir`` turns forensic captures on.
Exit codes: 0 ok; 2 the agent cannot run here (not root, no sensor), the rules do not
load, or bad options.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from mamori.cli._render import err_console, fail

if TYPE_CHECKING:
    from mamori.app.agent_alerts import RuleAlerts
    from mamori.app.agent_protect import Protection
    from mamori.runtime.podman import ContainerMetadata

DEFAULT_FIELDS = (
    "evt.num", "evt.time", "evt.type", "evt.dir", "evt.res", "proc.pid", "proc.name",
    "proc.exepath", "proc.cmdline", "proc.pname", "user.name", "fd.name", "fd.sip",
    "fd.sport", "fd.cip", "fd.cport", "container.id", "container.name",
    "container.image.repository",
)  # fmt: skip


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, tuple | list | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    return str(value)


def split_field(text: str) -> tuple[str, str | None]:
    """``proc.aname[2]`` -> (``proc.aname``, ``2``); ``evt.arg.fd`` stays whole."""
    if text.endswith("]") and "[" in text:
        name, _, arg = text[:-1].partition("[")
        return name, arg
    return text, None


class JsonLines:
    """A sink writing each event as a JSON line of the chosen fields (Falco names)."""

    def __init__(self, fields: list[str], out: TextIO) -> None:
        from mamori.rules.source import FieldError
        from mamori.rules.sources.syscall import SYSCALL

        self.out = out
        self.getters = []
        self.unextractable = []
        for text in fields:
            name, arg = split_field(text)
            try:
                _info, ref = SYSCALL.resolve(name, arg)
            except FieldError as exc:
                raise typer.BadParameter(str(exc), param_hint="--field") from None
            if ref.name in SYSCALL.unextractable:
                self.unextractable.append(text)
            self.getters.append((text, SYSCALL.compile_field(ref)))

    def __call__(self, view: object) -> None:
        row = {}
        for name, getter in self.getters:
            try:
                row[name] = _jsonable(getter(view))
            except Exception:  # a field must not stop the stream: report it as unknown
                row[name] = None
        self.out.write(json.dumps(row, ensure_ascii=False) + "\n")


def connections_table(doc: dict[str, Any]) -> list[Table]:
    """The map as three rich tables: listeners, connections, local links."""
    names = {cid: info.get("name", "") for cid, info in doc.get("containers", {}).items()}

    def where(item: dict[str, Any]) -> str:
        cid = str(item.get("container", "host"))
        return cid if cid == "host" else f"{names.get(cid) or '?'} ({cid})"

    listeners = Table(title="listening sockets")
    for col in ("proto", "address", "port", "pid", "process", "exe", "container", "accepts"):
        listeners.add_column(col, overflow="fold")
    for x in sorted(doc["listeners"], key=lambda x: (x["proto"], x["port"], x["addr"])):
        if x["active"]:
            listeners.add_row(x["proto"], x["addr"], str(x["port"]), str(x["pid"]),
                              x["process"], x["exe"], where(x), str(x["accepts"]))  # fmt: skip
    flows = Table(title="connections")
    for col in ("process", "container", "dir", "proto", "peer", "port", "count", "failed",
                "bytes out/in"):  # fmt: skip
        flows.add_column(col, overflow="fold")
    for f in sorted(doc["connections"], key=lambda f: -f["count"]):
        nbytes = f"{f['bytes_out'] or '-'}/{f['bytes_in'] or '-'}"
        flows.add_row(f["process"], where(f), f["direction"], f["proto"], f["peer"],
                      str(f["port"]), str(f["count"]), str(f["failed"]), nbytes)  # fmt: skip
    links = Table(title="local links (client -> server)")
    for col in ("client", "server", "proto", "address", "port", "count", "via"):
        links.add_column(col, overflow="fold")
    for k in sorted(doc["links"], key=lambda k: -k["count"]):
        links.add_row(
            f"{k['client']['process']} [{where(k['client'])}]",
            f"{k['server']['process']} [{where(k['server'])}]",
            k["proto"], k["addr"], str(k["port"]), str(k["count"]), k["via"],
        )  # fmt: skip
    return [listeners, flows, links]


def agent(
    print_events: bool = typer.Option(False, "--print", help="Stream events as JSON lines."),
    fields: list[str] = typer.Option(
        [], "--field", help="A Falco field to print (repeatable; default: a common set)."
    ),
    filters: list[str] = typer.Option(
        [], "--filter", help="Capture and print only these event types (repeatable)."
    ),
    connections: bool = typer.Option(
        False, "--connections", help="Print the connection map when the agent stops."
    ),
    as_json: bool = typer.Option(False, "--json", help="With --connections: print JSON."),
    data_bytes: bool = typer.Option(
        False, "--bytes", help="Also capture send/recv calls, for byte counts (chatty)."
    ),
    duration: float | None = typer.Option(None, "--duration", min=0, help="Stop after N s."),
    sensor: str = typer.Option("auto", "--sensor", help="auto, ebpf or fallback."),
    map_file: Path | None = typer.Option(
        None, "--map-file", help="Where to save the connection map (default: XDG data dir)."
    ),
    podman_socket: Path = typer.Option(
        Path("/run/podman/podman.sock"), "--podman-socket", help="Podman API socket."
    ),
    crio_socket: Path = typer.Option(Path("/var/run/crio/crio.sock"), "--crio-socket"),
    docker_socket: Path = typer.Option(Path("/var/run/docker.sock"), "--docker-socket"),
    kubelet: str | None = typer.Option(
        None,
        "--kubelet",
        help="Kubelet URL (pod metadata; default in a pod https://$NODE_NAME:10250; 'none': off).",
    ),
    kubelet_token: Path | None = typer.Option(None, "--kubelet-token-file"),
    kubelet_ca: Path | None = typer.Option(None, "--kubelet-ca"),
    kubelet_insecure: bool = typer.Option(
        False, "--kubelet-insecure", help="Do not verify the kubelet's certificate (unsafe)."
    ),
    rules_files: list[Path] = typer.Option(
        [],
        "--rules",
        help="Rules file (repeatable; default: mamori's rules when nothing else is asked for).",
    ),
    no_rules: bool = typer.Option(False, "--no-rules", help="Evaluate no rules."),
    outputs: list[str] = typer.Option(
        [],
        "--output",
        help="Alert output (repeatable): stdout[:text], file:PATH, syslog"
        "[:HOST:PORT|:unix:PATH], webhook:URL. Default: stdout.",
    ),
    webhook_headers: Path | None = typer.Option(
        None, "--webhook-headers", help="File of 'Name: value' headers for webhooks (tokens)."
    ),
    capture_dir: Path | None = typer.Option(
        None, "--capture-dir", help="Write a .scap capture around each alert here."
    ),
    capture_seconds: float = typer.Option(
        5.0, "--capture-seconds", min=0.1, max=300, help="Seconds before and after an alert."
    ),
    capture_buffer: int = typer.Option(
        100_000, "--capture-buffer", min=1000, max=5_000_000, help="Events kept in memory."
    ),
    hostname: str | None = typer.Option(
        None,
        "--hostname",
        envvar="MAMORI_HOSTNAME",
        help="Host name in alerts (default: this host's; a pod sets the node's).",
    ),
    host_root: Path = typer.Option(
        Path("/"), "--host-root", help="The host's root (/proc/1/root in a container): users."
    ),
    fim: bool = typer.Option(
        True, "--fim/--no-fim", help="Watch files for changes (with rules; see --watch)."
    ),
    host_drift: bool = typer.Option(
        True, "--host-drift/--no-host-drift", help="Alert on unpackaged system binaries run."
    ),
    watch: list[str] = typer.Option(
        [], "--watch", help="Watched path, dir/ for a tree (repeatable; default: docs/protect)."
    ),
    iocs: Path | None = typer.Option(
        None, "--ioc", help="File of sha256 IOCs: executed and written files are checked."
    ),
    yara: list[Path] = typer.Option(
        [], "--yara", help="YARA rules file or directory (repeatable): files are scanned."
    ),
    scan_writes: list[str] = typer.Option(
        [], "--scan-writes", help="Directory whose written files are scanned (repeatable)."
    ),
    response: Path | None = typer.Option(
        None, "--response", help="Response policy (docs/response.md): act on alerts."
    ),
    response_log: Path | None = typer.Option(
        None, "--response-log", help="JSON lines of every response action (overrides policy)."
    ),
) -> None:
    """Run the runtime sensor: raise alerts, print events, map which process talks to which."""
    import os

    if os.geteuid() != 0:
        fail("mamori agent needs root: the eBPF and fallback sensors need CAP_BPF/CAP_SYS_ADMIN")
    from mamori.rules.sources.syscall import SYSCALL

    if rules_files and no_rules:
        raise typer.BadParameter("--rules and --no-rules exclude each other", param_hint="--rules")
    wants_rules = bool(rules_files) or not (no_rules or print_events or connections)
    if not wants_rules and (outputs or capture_dir is not None):
        raise typer.BadParameter("alerts need rules (--rules, or no --print/--connections)",
                                 param_hint="--output/--capture-dir")  # fmt: skip

    unknown = sorted(set(filters) - SYSCALL.event_types)
    if unknown:
        raise typer.BadParameter(
            f"unknown event types: {', '.join(unknown)}", param_hint="--filter"
        )
    sink = JsonLines(list(fields) or list(DEFAULT_FIELDS), sys.stdout) if print_events else None
    if sink is not None and sink.unextractable:
        err_console.print(f"no extractor yet (printed as null): {', '.join(sink.unextractable)}")
    rules = protection = None
    if wants_rules:
        from mamori.cli._agent_protect import open_protection, open_responder

        rules = _open_rules(rules_files, outputs, webhook_headers, capture_dir, capture_seconds,
                            capture_buffer, hostname)  # fmt: skip
        rules.responder = open_responder(response, response_log)
        protection = open_protection(rules.sink, fim=fim, watch=watch, iocs=iocs, yara=yara,
                                     scan_writes=scan_writes, hostname=rules.hostname,
                                     host_drift=host_drift)  # fmt: skip
        if protection is not None:
            protection.responder = rules.responder
    elif watch or iocs is not None or yara or response is not None:
        raise typer.BadParameter(
            "file integrity and malware alerts need rules (no --print /--connections/--no-rules)",
            param_hint="--watch/--ioc/--yara",
        )
    from mamori.runtime.cri import agent_metadata

    try:
        metadata = agent_metadata(podman_socket, crio_socket, docker_socket, kubelet,
                                  kubelet_token, kubelet_ca, kubelet_insecure)  # fmt: skip
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--kubelet") from None
    _run(sink, filters or None, connections, as_json, data_bytes, duration, sensor, map_file,
         metadata, rules, host_root, protection)  # fmt: skip


def _open_rules(
    files: list[Path],
    outputs: list[str],
    headers_file: Path | None,
    capture_dir: Path | None,
    seconds: float,
    buffer: int,
    hostname: str | None,
) -> RuleAlerts:
    """The rules (their load errors end the run, exit 2), the sinks and forensics."""
    import socket

    from mamori.alerts import SinkSpecError, open_sinks, read_headers
    from mamori.app.agent_alerts import RuleAlerts
    from mamori.app.forensics import Forensics
    from mamori.rules import load_files
    from mamori.rules.default import default_rule_files

    ruleset = load_files(files or default_rule_files())
    if ruleset.result.errors:
        fail("the rules do not load:\n" + "\n".join(str(e) for e in ruleset.result.errors))
    if ruleset.result.warnings:
        err_console.print(f"mamori agent: {len(ruleset.result.warnings)} rules warnings "
                          "(mamori rules validate lists them)", highlight=False)  # fmt: skip
    try:
        headers = read_headers(headers_file) if headers_file is not None else None
        sink = open_sinks(outputs, webhook_headers=headers)
    except (SinkSpecError, OSError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--output") from None
    hostname = hostname or socket.gethostname()
    forensics = None
    if capture_dir is not None:
        try:
            forensics = Forensics(capture_dir, seconds=seconds, max_events=buffer,
                                  hostname=hostname)  # fmt: skip
        except OSError as exc:
            sink.close()
            fail(f"cannot use {capture_dir} for captures: {exc}")
    return RuleAlerts(ruleset, sink, hostname=hostname, forensics=forensics)


def _run(
    sink: JsonLines | None,
    filters: list[str] | None,
    connections: bool,
    as_json: bool,
    data_bytes: bool,
    duration: float | None,
    requested: str,
    map_file: Path | None,
    metadata: ContainerMetadata,
    rules: RuleAlerts | None = None,
    host_root: Path = Path("/"),
    protection: Protection | None = None,
) -> None:
    from mamori.app.agent import Agent, AgentError, capture_types
    from mamori.runtime.connections import ConnectionMap
    from mamori.runtime.connections_store import default_path
    from mamori.sensor.select import choose_sensor
    from mamori.sensor.sensor import SensorError

    # A filtered run may not see the network; a rules daemon keeps the map when asked.
    keep_map = connections or map_file is not None or (filters is None and rules is None)
    if filters is None and (sink is not None or rules is None):
        wanted = None  # everything printed: the sensor's default set
    elif rules is not None and rules.event_types is None:
        wanted = None  # a rule not restricted to event types needs them all
    else:
        wanted = capture_types(
            filters or [], keep_map, data_bytes,
            rule_types=(rules.event_types or frozenset() if rules is not None else frozenset())
            | (protection.event_types if protection is not None else frozenset()),
            forensics=rules is not None and rules.forensics is not None,
        )  # fmt: skip
    try:
        factory, reason = choose_sensor(requested)
        sensor = factory(wanted)
    except (SensorError, ValueError) as exc:
        if rules is not None:
            rules.close()
        fail(str(exc))
    stop, hup = threading.Event(), threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():  # asked twice: stop now, without waiting for the batch
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    if rules is not None:  # a daemon's SIGHUP: reopen the alert files (else: hang up)
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, lambda _s, _f: hup.set())
    cmap = ConnectionMap() if keep_map else None
    runner = Agent(
        sensor,
        connections=cmap,
        metadata=metadata,
        sinks=[sink] if sink is not None else [],
        sink_types=filters,
        map_path=(map_file or default_path()) if keep_map else None,
        rules=rules,
        host_root=host_root,
        protection=protection,
    )
    try:
        try:
            runner.start()
        except (AgentError, SensorError) as exc:
            fail(str(exc))
        err_console.print(f"mamori agent: capturing ({reason})", highlight=False)
        deadline = None if duration is None else time.monotonic() + duration
        while not stop.is_set():
            left = 0.1 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                break
            runner.poll(min(0.1, left))
            sys.stdout.flush()  # a reader of --print sees each batch as it comes
            if hup.is_set():  # logrotate moved the output files: start new ones
                hup.clear()
                reopen = getattr(rules.sink if rules is not None else None, "reopen", None)
                if callable(reopen):
                    reopen()
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        sys.stdout.flush()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    err_console.print(
        f"mamori agent: {runner.events} events, {runner.delivered} printed, "
        f"{runner.drops} dropped; {rules.raised if rules is not None else 0} alerts, "
        f"{protection.raised if protection is not None else 0} from file/malware checks; "
        f"map: {runner.map_path}",
        highlight=False,
    )
    if connections and cmap is not None:
        doc = cmap.to_dict()
        if as_json:
            typer.echo(json.dumps(doc, indent=2))
        else:
            console = Console()
            for table in connections_table(doc):
                console.print(table)
