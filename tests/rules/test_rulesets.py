"""Falco's published rulesets load unmodified.

Oracles: Falco's stable/incubating/sandbox rulesets (falcosecurity/rules) must load
with zero errors and zero warnings, as they do in Falco; the event types inferred per
rule must equal ``analysis/evt_types_per_rule.txt`` (computed independently by others);
every field of ``analysis/fields.txt`` must be in the syscall catalogue. The plugin
rulesets (CloudTrail, k8s audit) need field catalogues that come later: with the
syscall source only they load with one ``LOAD_UNKNOWN_SOURCE`` warning per rule and no
error; with a stand-in source that accepts any field name their conditions, macros,
lists, exceptions and outputs all parse and compile.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mamori.rules.engine import load_files
from mamori.rules.result import WarningCode
from mamori.rules.source import (
    FieldType,
    sources,
)
from tests.rules.dictsource import AnyField
from tests.support import need_shared

RULES = "anchors/falco/rules"
PLUGIN_RULES = "anchors/falco/plugin-rules"
ANALYSIS = "anchors/falco/analysis"
FILES = {
    "stable": "falco_rules.yaml",
    "incubating": "falco-incubating_rules.yaml",
    "sandbox": "falco-sandbox_rules.yaml",
}


def _expected_types(text: str) -> dict[str, dict[str, set[str]]]:
    out: dict[str, dict[str, set[str]]] = {}
    section = ""
    for line in text.splitlines():
        head = re.match(r"===== (\w+)", line)
        if head:
            section = head.group(1)
            out[section] = {}
            continue
        m = re.match(r"  (.+?)( \[disabled\])?: (\[.*\])$", line)
        if m and section:
            out[section][m.group(1)] = set(ast.literal_eval(m.group(3)))
    return out


@pytest.mark.parametrize("which", sorted(FILES))
def test_ruleset_loads_cleanly_with_oracle_event_types(which: str) -> None:
    path = need_shared(RULES) / FILES[which]
    expected = _expected_types((need_shared(ANALYSIS) / "evt_types_per_rule.txt").read_text())
    rs = load_files([path])
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    assert not rs.result.warnings, [str(w) for w in rs.result.warnings]
    got = {r.name: set(r.event_types or ()) for r in rs.rules}
    assert len(got) == len(expected[which])
    mismatches = {n: (v, got.get(n)) for n, v in expected[which].items() if got.get(n) != v}
    assert not mismatches


def test_all_three_together_and_needed_types() -> None:
    base = need_shared(RULES)
    rs = load_files([base / f for f in ("falco_rules.yaml", "falco-incubating_rules.yaml")])
    assert not rs.result.errors
    stable = load_files([base / "falco_rules.yaml"])
    # the union the sensor must capture, from the analysis file for the stable ruleset
    assert stable.event_types() == {
        "execveat", "execve", "openat", "openat2", "open", "connect", "ptrace", "symlinkat",
        "symlink", "link", "linkat", "socket", "dup3", "dup2", "dup", "finit_module",
        "init_module", "sendmsg", "sendto",
    }  # fmt: skip
    assert stable.event_types() < rs.event_types()


def test_every_analysed_field_is_in_the_catalogue() -> None:
    text = (need_shared(ANALYSIS) / "fields.txt").read_text()
    names = re.findall(r"^([a-z0-9_]+\.[a-z0-9_.]+)\s+\w+\s+\d+", text, re.M)
    assert len(names) > 70
    syscall = sources.get("syscall")
    for name in names:
        info, _ref = syscall.resolve(name, "x" if name == "container.mount.dest" else None)
        assert info.type in FieldType


@pytest.mark.parametrize(
    ("file", "source", "n_rules"),
    [
        ("aws_cloudtrail_rules.yaml", "aws_cloudtrail", 22),
        ("k8s_audit_rules.yaml", "k8s_audit", 48),
    ],
)
def test_plugin_rulesets(file: str, source: str, n_rules: int) -> None:
    path: Path = need_shared(PLUGIN_RULES) / file
    only_syscall = load_files([path], {"syscall": sources.get("syscall")})
    assert not only_syscall.result.errors, [str(e) for e in only_syscall.result.errors]
    unknown = [w for w in only_syscall.result.warnings if w.code is WarningCode.LOAD_UNKNOWN_SOURCE]
    assert len(unknown) == n_rules and only_syscall.rules == []
    stand_in = load_files([path], {"syscall": sources.get("syscall"), source: AnyField()})
    assert not stand_in.result.errors, [str(e) for e in stand_in.result.errors]
    assert len(stand_in.rules) == n_rules
    assert all(r.event_types is None for r in stand_in.rules)
