"""Running one detection case of Falco's regression specs over a replayed capture.

Expectations read from the case: ``detect`` (any alert at all), ``detect_level`` (the
priorities seen), ``detect_counts`` (alerts per rule), with the rule selection options
``disabled_rules`` (``-D``, a substring of names), ``disable_tags`` (``-T``) and
``run_tags`` (``-t``) and ``priority`` (minimum priority); and the printed alerts:
``stdout_contains`` (a regex over Falco's stdout), ``output_strictly_contains`` (the
alert lines, in order, equal to a file of Falco's own output; ``json_output`` ones
compared field by field), ``json_include_output_property`` /
``json_include_tags_property``. Cases without ``rules_file`` use the ruleset of that
Falco era. Falco emits at most one alert per event (the first matching rule in load
order, ``rule_matching: first``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mamori.rules.engine import load_files
from mamori.rules.priority import Priority
from mamori.rules.source import EventSource
from tests.rules.legacy import Case, Detect

DEFAULT_RULES = "../rules/falco_rules.yaml"
NS = 1_000_000_000


def run_detect_case(
    case: Case,
    detect: Detect,
    rules_files: list[Path],
    srcs: Mapping[str, EventSource[Any]] | None = None,
) -> None:
    files = rules_files or [case.base / DEFAULT_RULES]
    ruleset = load_files(files, srcs)
    assert not ruleset.result.errors, [str(e) for e in ruleset.result.errors]
    ruleset.select(
        disabled_names=case.spec.get("disabled_rules") or (),
        disabled_tags=case.spec.get("disable_tags") or (),
        enabled_tags=case.spec.get("run_tags") or (),
        min_priority=Priority.parse(str(case.spec["priority"]))
        if "priority" in case.spec
        else None,
    )
    counts: Counter[str] = Counter()
    levels: set[Priority] = set()
    alerts: list[Any] = []
    trace = case.base / str(case.spec["trace_file"])
    for alert in detect(trace, ruleset):
        counts[alert.name] += 1
        levels.add(alert.priority)
        alerts.append(alert)
    assert bool(counts) == bool(case.spec["detect"]), dict(counts)
    # As Falco's harness: the levels are only checked when detections are expected.
    wanted = (case.spec.get("detect_level") or []) if case.spec["detect"] else []
    for level in [wanted] if isinstance(wanted, str) else wanted:
        parsed = Priority.parse(str(level))
        assert parsed in levels, (level, levels)
    for entry in case.spec.get("detect_counts") or []:
        for rule, n in entry.items():
            assert counts[rule] == n, (rule, counts[rule], n)
    if any(hasattr(a, "text") for a in alerts):
        check_outputs(case, alerts)


def _clock(ts: int) -> str:
    import time

    return time.strftime("%H:%M:%S", time.gmtime(ts // NS)) + f".{ts % NS:09d}"


def falco_lines(case: Case, alerts: list[Any]) -> list[str]:
    """What Falco printed on stdout for these alerts, with the case's options."""
    iso = bool(case.spec.get("time_iso_8601"))
    if not case.spec.get("json_output"):
        return [a.text() if iso else f"{_clock(a.ts)}: {a.priority.label} {a.output}"
                for a in alerts]  # fmt: skip
    lines = []
    for a in alerts:
        doc = a.json()
        if case.spec.get("json_include_output_property") is False:
            doc.pop("output")
        if case.spec.get("json_include_tags_property") is False:
            doc.pop("tags")
        lines.append(json.dumps(doc))
    return lines


_JSON_KEYS = ("output", "priority", "rule", "source", "tags", "time")


def check_outputs(case: Case, alerts: list[Any]) -> None:
    lines = falco_lines(case, alerts)
    pattern = case.spec.get("stdout_contains")
    if pattern:
        assert any(re.search(pattern, line) for line in lines), (pattern, lines[:3])
    for entry in case.spec.get("output_strictly_contains") or []:
        for _where, expected_file in entry.items():
            expected = (case.base / str(expected_file)).read_text().splitlines()
            if case.spec.get("json_output"):
                theirs = [json.loads(x) for x in expected if x.strip()]
                mine = [json.loads(x) for x in lines]
                assert [[d[k] for k in _JSON_KEYS] for d in mine] == [
                    [d[k] for k in _JSON_KEYS] for d in theirs
                ]
                assert [d["output_fields"]["proc.cmdline"] for d in mine] == [
                    d["output_fields"]["proc.cmdline"] for d in theirs
                ]
            else:
                assert lines == [x for x in expected if x.strip()]
