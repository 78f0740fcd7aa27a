"""mamori's default ruleset (`mamori.rules.default`): loads clean, every rule tested.

The rules' own tests (``*.tests.yaml`` beside each rules file) run through the real
loader, compiler and event-type index (`mamori.rules.testing`); this module asserts they
all pass, that each rule has an event that must match and a benign neighbour that must
not, and that flipping every expectation makes every test fail (so no test passes
whatever the rule says). Independent facts checked here: MITRE ATT&CK tags have the
shape of real tactic names and technique ids; the event types the rules need are among
those the eBPF sensor captures (`mamori.sensor.table`); every field read has an
extractor (`SYSCALL.unextractable`); rule items carry only keys of Falco's rule schema;
and the set loads beside Falco's own rulesets without clashing with their names.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mamori.app.replay import replay
from mamori.cli.main import app
from mamori.rules import LoadResult, ast, load_files
from mamori.rules.default import default_rule_files, default_test_files
from mamori.rules.engine import RuleSet
from mamori.rules.sources.syscall import SYSCALL
from mamori.rules.testing import (
    Expect,
    Outcome,
    RuleTest,
    Status,
    mapping_sources,
    read_tests,
    run_tests,
)
from mamori.sensor.table import DEFAULT_EVENT_TYPES, EVENT_TYPES
from tests.support import need_shared, need_tool

# The 14 Enterprise ATT&CK tactics, as Falco's tags spell them (mitre_<name>).
TACTICS = frozenset(
    f"mitre_{t}"
    for t in (
        "reconnaissance", "resource_development", "initial_access", "execution", "persistence",
        "privilege_escalation", "defense_evasion", "credential_access", "discovery",
        "lateral_movement", "collection", "command_and_control", "exfiltration", "impact",
    )
)  # fmt: skip
TECHNIQUE = re.compile(r"T1\d{3}(\.\d{3})?")
RULE_KEYS = frozenset(
    {"rule", "desc", "condition", "output", "priority", "tags", "source", "enabled", "exceptions"}
    | {"skip-if-unknown-filter"}
)
CONTEXT_FIELDS = ("%proc.cmdline", "%proc.pname", "%user.name", "%container.id",
                  "%container.image.repository")  # fmt: skip
FALCO_RULESETS = ("falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml")
runner = CliRunner()


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_files(default_rule_files())


@pytest.fixture(scope="module")
def test_ruleset() -> RuleSet:
    return load_files(default_rule_files(), mapping_sources())


@pytest.fixture(scope="module")
def rule_tests() -> list[RuleTest]:
    result = LoadResult()
    tests: list[RuleTest] = []
    for path in default_test_files():
        tests += read_tests(path.read_text(encoding="utf-8"), str(path), result)
    assert not result.errors, [str(e) for e in result.errors]
    return tests


def test_files_in_load_order() -> None:
    files = default_rule_files()
    assert [f.name for f in files[:2]] == ["lists.yaml", "macros.yaml"]
    assert all(f.is_file() for f in files)
    themed = [f for f in files if f.name not in ("lists.yaml", "macros.yaml")]
    assert {f.with_name(f.stem + ".tests.yaml") for f in themed} == set(default_test_files())
    # every YAML file of the directory is either a rules file or a tests file of the set
    on_disk = set(files[0].parent.glob("*.yaml"))
    assert on_disk == set(files) | set(default_test_files())


def test_loads_with_no_error_and_no_warning(ruleset: RuleSet) -> None:
    assert not ruleset.result.errors, [str(m) for m in ruleset.result.errors]
    assert not ruleset.result.warnings, [str(m) for m in ruleset.result.warnings]
    assert len(ruleset.rules) >= 40
    assert all(r.enabled and r.source == "syscall" for r in ruleset.rules)


def test_cli_validate_strict_and_test_pass() -> None:
    files = [str(f) for f in default_rule_files()]
    validated = runner.invoke(app, ["rules", "validate", "--strict", *files])
    assert validated.exit_code == 0, validated.output
    assert "0 errors, 0 warnings" in validated.output
    tested = runner.invoke(app, ["rules", "test", *files])
    assert tested.exit_code == 0, tested.output
    assert re.search(r"\b0 fail, 0 error, 0 skip; 0 tests-file errors", tested.output)


def test_every_rule_test_passes(test_ruleset: RuleSet, rule_tests: list[RuleTest]) -> None:
    outcomes = run_tests(test_ruleset, rule_tests)
    bad = [_describe(o) for o in outcomes if o.status is not Status.PASS]
    assert not bad, "\n".join(bad)


def test_every_rule_has_a_match_and_a_benign_neighbour(
    ruleset: RuleSet, rule_tests: list[RuleTest]
) -> None:
    kinds: dict[str, set[Expect]] = defaultdict(set)
    for t in rule_tests:
        kinds[t.rule].add(t.expect)
    missing = [r.name for r in ruleset.rules if kinds[r.name] != {Expect.MATCH, Expect.NO_MATCH}]
    assert not missing, f"rules without both a match and a no_match event: {missing}"
    unknown = set(kinds) - {r.name for r in ruleset.rules}
    assert not unknown, f"tests of rules that do not exist: {unknown}"


def test_flipped_expectations_all_fail(test_ruleset: RuleSet, rule_tests: list[RuleTest]) -> None:
    """Every event discriminates: expecting the opposite outcome fails every test."""
    flip = {Expect.MATCH: Expect.NO_MATCH, Expect.NO_MATCH: Expect.MATCH}
    flipped = [dataclasses.replace(t, expect=flip[t.expect], output=None) for t in rule_tests]
    passing = [_describe(o) for o in run_tests(test_ruleset, flipped) if o.status is Status.PASS]
    assert not passing, "\n".join(passing)


def test_every_rule_has_mitre_tactic_and_technique(ruleset: RuleSet) -> None:
    for r in ruleset.rules:
        tactics = [t for t in r.tags if t.startswith("mitre_")]
        assert tactics and set(tactics) <= TACTICS, (r.name, r.tags)
        assert any(TECHNIQUE.fullmatch(t) for t in r.tags), (r.name, r.tags)


def test_event_types_are_captured_by_the_sensor(ruleset: RuleSet) -> None:
    for r in ruleset.rules:
        assert r.event_types, f"{r.name}: no event-type restriction"
        assert r.event_types <= EVENT_TYPES, (r.name, r.event_types - EVENT_TYPES)
    needed = ruleset.event_types("syscall")
    assert needed <= DEFAULT_EVENT_TYPES, needed - DEFAULT_EVENT_TYPES
    assert {"execve", "openat", "connect", "dup2", "ptrace", "setns", "mount"} <= needed


def test_every_field_has_an_extractor(ruleset: RuleSet) -> None:
    unextractable = SYSCALL.unextractable
    for r in ruleset.rules:
        read = {ref.name for ref in (*r.condition_fields, *r.output.fields)}
        assert not read & unextractable, (r.name, read & unextractable)


def test_outputs_carry_the_context_fields(ruleset: RuleSet) -> None:
    for r in ruleset.rules:
        missing = [f for f in CONTEXT_FIELDS if f not in r.output.fmt]
        assert not missing, (r.name, missing)
        assert r.desc.strip(), r.name


def test_rule_items_use_only_falco_keys() -> None:
    for path in default_rule_files():
        items: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in items:
            if "rule" in item:
                assert set(item) <= RULE_KEYS, (path.name, item["rule"], set(item) - RULE_KEYS)
                assert item.get("source") == "syscall", item["rule"]
            elif "macro" in item:
                assert set(item) == {"macro", "condition"}, item
                assert item["macro"].startswith("mamori_"), item["macro"]
            elif "list" in item:
                assert set(item) == {"list", "items"}, item
                assert item["list"].startswith("mamori_"), item["list"]
            else:
                assert set(item) == {"required_engine_version"}, item


def test_loads_beside_falco_rulesets(ruleset: RuleSet) -> None:
    falco = [need_shared(f"anchors/falco/rules/{name}") for name in FALCO_RULESETS]
    both = load_files([*falco, *default_rule_files()])
    assert not both.result.errors, [str(m) for m in both.result.errors]
    falco_names = {r.name for r in load_files(falco).rules}
    assert not falco_names & {r.name for r in ruleset.rules}
    assert len(both.rules) == len(falco_names) + len(ruleset.rules)


# Fields libsinsp gained after sysdig 0.29 (the oldest libsinsp at hand), and mamori's
# own execve parameter exe_deleted: the sysdig check below replaces comparisons on them
# with a neutral one, so the rest of each condition is still checked.
NEWER_FIELDS = frozenset(
    {"proc.is_exe_upper_layer", "proc.is_exe_from_memfd", "fd.types", "proc.env"}
)
MAMORI_ONLY_ARGS = frozenset({"exe_deleted"})
CAPTURE = "anchors/falco/libs-captures/libs_curl_google.scap"


def test_conditions_compile_in_libsinsp(ruleset: RuleSet) -> None:
    """Each expanded condition compiles as a sysdig filter: libsinsp's own parser and
    field table are the oracle for the language (sysdig 0.29, so fields added later are
    neutralised, and those rules must say skip-if-unknown-filter when mamori-only)."""
    sysdig = need_tool("sysdig")
    capture = need_shared(CAPTURE)
    failures = []
    for r in ruleset.rules:
        text = _unparse(r.ast)
        done = subprocess.run(
            [sysdig, "-r", str(capture), text],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            failures.append(f"{r.name}: {done.stderr.strip()[-300:]}")
    assert not failures, "\n".join(failures)


def test_mamori_only_arguments_are_skippable() -> None:
    """A rule reading an event parameter Falco's event table lacks must carry
    skip-if-unknown-filter, so Falco skips it with a warning instead of an error."""
    for path in default_rule_files():
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            cond = item.get("condition", "")
            if "rule" in item and any(f"evt.arg.{a}" in cond for a in MAMORI_ONLY_ARGS):
                assert item.get("skip-if-unknown-filter") is True, item["rule"]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _neutral(field: ast.Operand) -> bool:
    base = ast.base_field(field)
    arg = base.name.removeprefix("evt.arg.") if base.name.startswith("evt.arg.") else base.arg
    return base.name in NEWER_FIELDS or (
        base.name.startswith("evt.arg") and arg in MAMORI_ONLY_ARGS
    )


def _unparse(e: ast.Expr) -> str:
    """A compiled condition back to filter text (macros and lists already expanded)."""
    if isinstance(e, ast.And | ast.Or):
        sep = " and " if isinstance(e, ast.And) else " or "
        return "(" + sep.join(_unparse(c) for c in e.children) + ")"
    if isinstance(e, ast.Not):
        return f"(not {_unparse(e.child)})"
    if isinstance(e, ast.Unary | ast.Binary) and _neutral(e.operand):
        return "evt.num >= 0"
    if isinstance(e, ast.Unary):
        return f"{e.operand} {e.op}"
    if isinstance(e, ast.Binary):
        rhs = e.rhs
        if isinstance(rhs, ast.ListValue):
            value = "(" + ", ".join(_quote(v) for v in rhs.values) + ")"
        elif isinstance(rhs, ast.Value):
            value = _quote(rhs.value)
        else:
            value = f"val({rhs.operand})"
        return f"{e.operand} {e.op} {value}"
    raise TypeError(f"unexpected node {type(e).__name__}")


BENIGN_CAPTURES = (
    "anchors/falco/libs-captures/libs_curl_google.scap",
    "anchors/falco/libs-captures/libs_single_ipv6_conn.scap",
    "anchors/falco/libs-captures/libs_test_ipv6_client.scap",
    "anchors/falco/legacy-tests/test/trace_files/open-multiple-files.scap",
    "anchors/falco/legacy-tests/test/trace_files/connect_localhost.scap",
    "anchors/falco/legacy-tests/test/trace_files/cat_write.scap",
    "anchors/falco/legacy-tests/test/trace_files/syscall.scap",
)


def test_benign_captures_raise_no_alert() -> None:
    """Real event streams of ordinary activity (curl, cat, connects, opens) recorded by
    sysdig/Falco: the default rules, through the state engine and extractors, stay quiet."""
    captures = [need_shared(c) for c in BENIGN_CAPTURES]
    for capture in captures:
        alerts = list(replay(capture, default_rule_files(), match_all=True, exit_only=True))
        assert not alerts, [(capture.name, a.rule, a.output) for a in alerts[:5]]


def _describe(o: Outcome) -> str:
    return f"{o.status} {o.test.rule}: {o.test.label} ({o.test.position}): {o.reason}"


def test_default_rule_files_are_paths() -> None:
    assert all(isinstance(p, Path) and p.suffix == ".yaml" for p in default_rule_files())
