"""Running one detection case of Falco's regression specs over a replayed capture.

Expectations read from the case: ``detect`` (any alert at all), ``detect_level`` (the
priorities seen), ``detect_counts`` (alerts per rule), with the rule selection options
``disabled_rules`` (``-D``, a substring/regex of names), ``disable_tags`` (``-T``) and
``run_tags`` (``-t``) and ``priority`` (minimum priority). Cases without ``rules_file``
use the ruleset of that Falco era. Falco emits at most one alert per event (the first
matching rule in load order, ``rule_matching: first``), so `RuleSet.match_first` is used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mamori.rules.engine import load_files
from mamori.rules.priority import Priority
from mamori.rules.source import EventSource
from tests.rules.legacy import Case, Replay

DEFAULT_RULES = "../rules/falco_rules.yaml"


def run_detect_case(
    case: Case,
    replay: Replay,
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
    trace = case.base / str(case.spec["trace_file"])
    for event in replay(trace):
        m = ruleset.match_first(event)
        if m is not None:
            counts[m.name] += 1
            levels.add(m.priority)
    assert bool(counts) == bool(case.spec["detect"]), dict(counts)
    wanted = case.spec.get("detect_level") or []
    for level in [wanted] if isinstance(wanted, str) else wanted:
        parsed = Priority.parse(str(level))
        assert parsed in levels, (level, levels)
    for entry in case.spec.get("detect_counts") or []:
        for rule, n in entry.items():
            assert counts[rule] == n, (rule, counts[rule], n)
