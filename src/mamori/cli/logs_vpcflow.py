"""`mamori scan vpcflow`: VPC Flow Logs through the flow rules and the aggregate
detections (port probes, unusual egress), alerts to the same outputs as the others.

    mamori scan vpcflow AWSLogs/ --threat-list bad-ips.txt --output file:alerts.json
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer

from mamori.cli._render import fail
from mamori.cli.logs import (
    NO_DEFAULTS,
    NO_STATE,
    OUTPUT,
    RULES,
    STATE,
    _report,
    _ruleset,
    _s3_reader,
    _sinks,
)
from mamori.model import Notice

THREAT_LIST = "threat_intel"


def scan_vpcflow(
    target: str = typer.Argument(
        ..., help="A flow log file (.log/.gz), a directory, or s3://bucket/prefix."
    ),
    rules: list[Path] | None = RULES,
    no_defaults: bool = NO_DEFAULTS,
    output: list[str] | None = OUTPUT,
    threat_list: Path | None = typer.Option(
        None, "--threat-list", help="File of IPs/CIDRs: the rules' threat_intel list."
    ),
    lists: list[str] = typer.Option(
        [], "--list", help="NAME=FILE: another address list for flow.*in_list[NAME]."
    ),
    detectors: bool = typer.Option(
        True, "--detectors/--no-detectors", help="Port-probe and egress-volume detections."
    ),
    state: Path | None = STATE,
    no_state: bool = NO_STATE,
) -> None:
    """Evaluate flow rules and detections over VPC Flow Log files."""
    from mamori.app.logscan import VPC_FLOW, LogMatch, evaluate, record_identity, record_time
    from mamori.logs.vpcflow import read_vpc_flow
    from mamori.logs.vpcflow_s3 import VpcFlowS3
    from mamori.rules.default_cloud.vpcflow_detect import FlowDetectors
    from mamori.rules.sources.vpc_flow import clear_address_lists, load_address_list

    notices: list[Notice] = []
    reader = None
    if target.startswith("s3://"):
        reader = _s3_reader(target, state, no_state, notices, VpcFlowS3)
        source: Iterator[dict[str, object]] = reader.records()
    elif Path(target).exists():
        source = read_vpc_flow(Path(target), notices=notices)
    else:
        fail(f"{target}: no such file, directory or s3:// URL")
    clear_address_lists()  # the lists are the process's: only this scan's count
    named: list[tuple[str, Path]] = [(THREAT_LIST, threat_list)] if threat_list else []
    for spec in lists:
        list_name, sep, file = spec.partition("=")
        if not sep or not list_name or not file:
            raise typer.BadParameter(f"{spec!r}: expected NAME=FILE", param_hint="--list")
        named.append((list_name, Path(file)))
    for list_name, list_file in named:
        if not list_file.is_file():
            raise typer.BadParameter(f"{list_file}: no such file", param_hint="--list")
        load_address_list(list_name, list_file, notices=notices)
    ruleset = _ruleset(rules, no_defaults, ())
    found = FlowDetectors() if detectors else None
    sink = _sinks(output)
    count = records = 0

    def matches() -> Iterator[LogMatch]:
        nonlocal records
        for record in source:
            records += 1
            yield from evaluate([record], ruleset, VPC_FLOW)
            for m in found.feed(record) if found is not None else ():
                yield LogMatch(m, record_time(record, VPC_FLOW), record_identity(record, VPC_FLOW))

    try:
        for m in matches():
            sink.emit(m.alert())
            count += 1
        if reader is not None:
            reader.cursors.flush()
    finally:
        sink.close()
        _report(notices)
    typer.echo(f"{records} flow records, {count} alerts", err=True)
