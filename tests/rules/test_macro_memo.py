"""Macros shared by rules are compiled once and their result kept per event
(`compiler.SharedChecks`). The oracle is the same rules loaded without sharing: every
rule's match on every event of every shared capture must be the same (all matches, not
just the first), with Falco's stable rules and mamori's default rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.app.replay import load_rules, replay
from mamori.rules import RuleSet
from mamori.rules.default import default_rule_files
from tests.captures.sysdig_oracle import capture_paths
from tests.support import need_shared

SHARING = """
- macro: m_open_read
  condition: (evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.typechar = f)
- macro: m_system
  condition: (fd.directory in (/etc, /lib, /usr/lib) or fd.name startswith /usr/)
- macro: m_net
  condition: (evt.type in (connect, sendto, accept, accept4) and fd.typechar in (4, 6))
- rule: system file read
  desc: shares both macros
  condition: m_open_read and m_system
  output: "%proc.name read %fd.name"
  priority: INFO
- rule: other file read
  desc: the same macro, negated partner
  condition: m_open_read and not m_system
  output: "%proc.name read %fd.name"
  priority: INFO
- rule: read by a known program
  desc: the macro again
  condition: m_open_read and proc.name in (cat, curl, ping, sh, bash)
  output: "%proc.name read %fd.name"
  priority: INFO
- rule: network use
  desc: another shared macro, inside an or
  condition: m_net or (m_open_read and fd.name contains resolv)
  output: "%proc.name %evt.type %fd.name"
  priority: INFO
- rule: network by a known program
  desc: and again
  condition: m_net and proc.name in (curl, ping)
  output: "%proc.name %evt.type %fd.name"
  priority: INFO
"""


def _rulesets(tmp: Path) -> list[list[Path]]:
    stable = need_shared("anchors/falco/rules/falco_rules.yaml")
    legacy = need_shared("anchors/falco/legacy-tests/rules/falco_rules.yaml")  # many macros
    sharing = tmp / "sharing.yaml"
    sharing.write_text(SHARING)
    return [[sharing], [stable], [legacy], default_rule_files()]


def _captures() -> list[Path]:
    traces = need_shared("anchors/falco/legacy-tests/test/trace_files")
    return [*capture_paths(), *sorted(traces.glob("*.scap"))]


def _alerts(path: Path, ruleset: RuleSet) -> list[tuple[int, str, str]]:
    return [(a.evt_num, a.rule, a.output) for a in replay(path, ruleset=ruleset, match_all=True)]


@pytest.mark.slow
def test_memoized_macros_match_exactly_as_direct_evaluation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shared = [load_rules(files) for files in _rulesets(tmp_path)]
    monkeypatch.setattr("mamori.rules.loader.MEMO_SOURCES", frozenset())
    direct = [load_rules(files) for files in _rulesets(tmp_path)]
    compared = 0
    for path in _captures():
        for memo_rs, plain_rs in zip(shared, direct, strict=True):
            expected = _alerts(path, plain_rs)
            assert _alerts(path, memo_rs) == expected, path.name
            compared += len(expected)
    assert compared > 200  # the sharing rules match hundreds of events, several each


def test_a_macro_used_by_several_rules_is_one_check() -> None:
    """mamori_open_write is in many default rules: they share one compiled check, so an
    event evaluates it once (its result is in the event's memo for the others)."""
    from mamori.rules.compiler import _SLOTS

    before = next(_SLOTS)
    ruleset = load_rules(default_rule_files())
    slots = next(_SLOTS) - before - 1  # memoized macro bodies created by this load
    users = [r for r in ruleset.rules if "mamori_open_write" in (r.condition or "")]
    assert len(users) >= 5
    assert 0 < slots < len(ruleset.rules)  # shared: far fewer than rules x macros
