"""Realistic records for the cloud rules, and the rule tests derived from them.

Each rules file ``X.yaml`` has ``samples/X.yaml``: for each rule, whole records as the
service writes them (CloudTrail records, ``audit.k8s.io/v1`` events, flow log lines)
that the rule must match and benign neighbours it must not. They are the source of
truth. `run_cases` evaluates them through the real sources (the same extraction as
production); `render_tests` derives ``X.tests.yaml`` from them for ``mamori rules
test`` (which evaluates field values, not records): each event holds the values the
real source extracts from the record for the fields the rule reads and prints.
Regenerate the tests files after editing a records file::

    python -m mamori.rules.default_cloud.records

Records file items: ``- test: RULE`` with ``events`` (each ``name``, ``expect``
(``match``/``no_match``) and one of ``record`` (a JSON record) or ``flow`` (a flow log
line, with ``format``: its header, default the version 2 format)), and for flow logs
``- address_list: NAME`` with ``entries`` (IPs/CIDRs) registered before evaluation;
an ``- anchors:`` item only holds YAML anchors shared by the records.
"""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mamori.logs.vpcflow import DEFAULT_FIELDS, parse_header, parse_record
from mamori.rules.default_cloud import default_cloud_record_files
from mamori.rules.engine import RuleSet
from mamori.rules.sources.vpc_flow import AddressList, set_address_list

HEADER = (
    "# Generated from {records} by `python -m mamori.rules.default_cloud.records`:\n"
    "# edit the records file and regenerate; do not edit by hand.\n"
)


@dataclass(frozen=True, slots=True)
class RecordCase:
    """One record with the outcome expected from one rule."""

    rule: str
    expect: str
    name: str
    record: dict[str, Any]
    file: str


def read_cases(path: Path) -> list[RecordCase]:
    """The cases of a records file (address lists it declares are registered)."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    cases: list[RecordCase] = []
    for item in items:
        if "anchors" in item:  # shared YAML anchors, not a test
            continue
        if "address_list" in item:
            entries = [ipaddress.ip_network(e, strict=False) for e in item["entries"]]
            set_address_list(str(item["address_list"]), AddressList(entries))
            continue
        for ev in item["events"]:
            cases.append(RecordCase(item["test"], ev["expect"], ev["name"], _record(ev), path.name))
    return cases


def _record(ev: dict[str, Any]) -> dict[str, Any]:
    if "flow" in ev:
        fmt = parse_header(ev["format"]) if "format" in ev else DEFAULT_FIELDS
        if fmt is None:
            raise ValueError(f"{ev['name']}: bad format {ev['format']!r}")
        return parse_record(ev["flow"], fmt)
    record = ev["record"]
    if not isinstance(record, dict):
        raise ValueError(f"{ev['name']}: record is not a mapping")
    return record


def run_cases(ruleset: RuleSet, cases: list[RecordCase]) -> list[str]:
    """Evaluate every case through `ruleset` (loaded with the real sources); the
    failures, described (empty when every case has its expected outcome)."""
    failures = []
    for case in cases:
        rule = ruleset.get(case.rule)
        if rule is None:
            failures.append(f"{case.file}: {case.rule}: no such rule")
            continue
        names = [m.name for m in ruleset.match(case.record, rule.source)]
        if (case.rule in names) != (case.expect == "match"):
            failures.append(f"{case.file}: {case.rule}: {case.name}: expected {case.expect}")
    return failures


def _render(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return [_render(v) for v in value]
    return str(value)


def test_event(ruleset: RuleSet, case: RecordCase) -> dict[str, Any]:
    """The field-value event of a case: what the real source extracts from the record
    for each field the rule's condition and output read (not-available ones left out)."""
    rule = ruleset.get(case.rule)
    if rule is None:
        raise KeyError(case.rule)
    source = ruleset.sources[rule.source]
    event: dict[str, Any] = {"name": case.name, "expect": case.expect}
    for ref in dict.fromkeys((*rule.condition_fields, *rule.output.fields)):
        value = source.compile_field(ref)(case.record)
        if value is not None:
            event[str(ref)] = _render(value)
    return event


def render_tests(ruleset: RuleSet, cases: list[RecordCase], records_name: str) -> str:
    """The ``*.tests.yaml`` text derived from `cases`, grouped by rule in file order."""
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        by_rule.setdefault(case.rule, []).append(test_event(ruleset, case))
    items = [{"test": rule, "events": events} for rule, events in by_rule.items()]
    body = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100)
    return HEADER.format(records=records_name) + body


def regenerate() -> list[Path]:
    """Rewrite every ``X.tests.yaml`` from ``samples/X.yaml``; the files written."""
    from mamori.rules import load_files

    written = []
    for records in default_cloud_record_files():
        rules_file = records.parent.parent / records.name
        cases = read_cases(records)
        target = rules_file.with_name(rules_file.stem + ".tests.yaml")
        text = render_tests(load_files([rules_file]), cases, f"samples/{records.name}")
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":  # pragma: no cover
    for path in regenerate():
        sys.stdout.write(f"wrote {path}\n")
