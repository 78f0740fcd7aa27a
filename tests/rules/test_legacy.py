"""Falco's own regression specs, read directly: the cases about loading rules.

Oracle: ``falco_tests.yaml`` and ``falco_tests_exceptions.yaml`` from
falcosecurity/falco (2023), each case with its rules files and the load errors and
warnings Falco reported (code, item, message).

We implement today's Falco rules loader, so a few messages that Falco itself changed
after these specs were written are compared against their current wording
(`CURRENT_MESSAGE`, each with the reason); YAML syntax error texts come from the YAML
library (yaml-cpp there, PyYAML here), so their code, item and line/column are compared.

Capture cases (``trace_file`` + ``detect``) replay their capture through
`mamori.app.replay` (`legacy.find_replay`); a case whose capture is not among the shared
files skips.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.rules.engine import RuleSet, load_files
from mamori.rules.result import LoadMessage
from mamori.rules.rule import Match
from tests.rules.legacy import Case, Detect, Expectation, expectations, find_replay, load_cases
from tests.support import SHARED, need_shared

SPEC_DIR = "anchors/falco/legacy-tests/test"
SPECS = ("falco_tests.yaml", "falco_tests_exceptions.yaml")

RENAMED_CODES = {
    # Falco renamed the warning in 0.36 when it started covering unknown event types too.
    "LOAD_UNKNOWN_FIELD": "LOAD_UNKNOWN_FILTER",
}
CURRENT_MESSAGE = {
    # Falco 0.36 accepts semver engine versions; a non-number is now a semver error.
    "Can't decode YAML scalar value": "Unable to parse engine version 'not-a-number' as a "
    'semver string. Expected "x.y.z" semver format.',
    # Falco 0.37 introduced `override`, and reworded the dangling-append errors.
    "Macro has 'append' key but no macro by that name already exists": "Macro uses 'append' "
    "or 'override.condition: append' but no macro by that name already exists",
    "List has 'append' key but no list by that name already exists": "List uses 'append' or "
    "'override.items: append' but no list by that name already exists",
    "Rule has 'append' key but no rule by that name already exists": "Rule uses 'append' or "
    "'override.<key>: append' but no rule by that name already exists",
    # Falco 0.36 prints required engine versions as semver (a bare N means 0.N.0).
    "Rules require engine version 9999999, but engine version is": "Rules require engine "
    "version 0.9999999.0, but engine version is",
}


def _all_cases() -> list[Case]:
    base = SHARED / SPEC_DIR
    cases: list[Case] = []
    for spec in SPECS:
        if (base / spec).exists():
            cases.extend(load_cases(base / spec))
    return cases


CASES = _all_cases()
VALIDATE = [c for c in CASES if c.spec.get("validate_rules_file")]
LOADS = [c for c in CASES if c.spec.get("rules_file") and not c.spec.get("validate_rules_file")]
DETECTS = [c for c in CASES if c.spec.get("trace_file") and "detect" in c.spec]


# Capture cases we do not pass, with the reason (strict: they must start failing loudly
# when fixed, so the entry gets removed).
DETECT_FAILURES: dict[str, str] = {}


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


def _matches(exp: Expectation, got: LoadMessage) -> bool:
    code = RENAMED_CODES.get(exp.code, exp.code)
    if got.code.value != code or got.item_type != exp.item_type:
        return False
    if got.item_name != exp.item_name:
        return False
    if code == "LOAD_ERR_YAML_PARSE":
        # yaml-cpp's text differs from PyYAML's; the position must agree
        where = re.search(r"line (\d+), column (\d+)", exp.message or "")
        if where is None or got.position is None:
            return True
        return (got.position.line, got.position.column) == (int(where[1]), int(where[2]))
    if exp.message is not None:
        return got.message == CURRENT_MESSAGE.get(exp.message, exp.message)
    if exp.message_contains is not None:
        wanted = CURRENT_MESSAGE.get(exp.message_contains, exp.message_contains)
        return wanted in got.message
    return True


def _validate(files: list[Path]) -> tuple[list[LoadMessage], list[LoadMessage]]:
    """Like ``falco -V a -V b``: each file loaded on top of the previous ones."""
    errors: list[LoadMessage] = []
    warnings: list[LoadMessage] = []
    for i in range(len(files)):
        result = load_files(files[: i + 1]).result
        errors += [e for e in result.errors if e not in errors]
        warnings += [w for w in result.warnings if w not in warnings]
    return errors, warnings


def test_specs_are_present() -> None:
    need_shared(SPEC_DIR)
    assert len(VALIDATE) >= 40, len(VALIDATE)
    assert len(LOADS) >= 60, len(LOADS)


@pytest.mark.parametrize("case", VALIDATE, ids=_ids(VALIDATE))
def test_validate_case(case: Case) -> None:
    need_shared(SPEC_DIR)
    for ok in case.spec.get("validate_ok") or []:
        alone = load_files([case.base / "rules" / ok]).result
        assert not alone.errors, [str(e) for e in alone.errors]
    errors, warnings = _validate(case.files("validate_rules_file"))
    for exp in expectations(case, "validate_errors"):
        assert any(_matches(exp, e) for e in errors), (exp, [str(e) for e in errors])
    for exp in expectations(case, "validate_warnings"):
        assert any(_matches(exp, w) for w in warnings), (exp, [str(w) for w in warnings])
    if case.expects_failure:
        assert errors
    else:
        assert not errors, [str(e) for e in errors]


def _rules_files(case: Case) -> list[Path]:
    out: list[Path] = []
    for p in case.files("rules_file"):
        out.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    return out


@pytest.mark.parametrize("case", LOADS, ids=_ids(LOADS))
def test_rules_files_load(case: Case) -> None:
    """Every rules file a detection case runs with loads without errors."""
    need_shared(SPEC_DIR)
    result = load_files(_rules_files(case)).result
    assert not result.errors, [str(e) for e in result.errors]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(reason=DETECT_FAILURES[c.name], strict=True))
        if c.name in DETECT_FAILURES
        else c
        for c in DETECTS
    ],
    ids=_ids(DETECTS),
)
def test_detect_case(case: Case) -> None:
    need_shared(SPEC_DIR)
    trace = case.base / str(case.spec["trace_file"])
    if not trace.exists():
        pytest.skip(f"{case.spec['trace_file']} is not among the shared captures")
    detect = find_replay()
    assert detect is not None
    from tests.rules.legacy_detect import run_detect_case

    run_detect_case(case, detect, _rules_files(case))


def test_event_types_of_warnings_case() -> None:
    """``test_warnings`` also lists each rule's event types (``rules_events``). Falco had
    disabled that check (see the spec's comment), and its ``[all]`` entries predate
    libsinsp's De Morgan inference: rules such as ``proc.name!=foo and evt.type=execve``
    now resolve to ``execve``. The explicit sets must match; ``[all]`` is checked through
    the ``LOAD_NO_EVTTYPE`` warnings of the same case (`test_validate_case`)."""
    need_shared(SPEC_DIR)
    (case,) = [c for c in CASES if c.name == "test_warnings"]
    rs = load_files(case.files("validate_rules_file"))
    explicit = 0
    for entry in case.spec["rules_events"]:
        ((name, types),) = entry.items()
        rule = rs.get(name)
        assert rule is not None and rule.event_types is not None
        if types != ["all"]:
            explicit += 1
            assert rule.event_types == set(types), name
    assert explicit == 12


def test_detect_harness_with_a_synthetic_replay() -> None:
    """Exercises the detect harness itself (not an oracle): a fake replay meets
    ``single_rule.yaml`` + ``double_rule.yaml`` of the ``multiple_rules`` case, which
    expects WARNING, INFO and ERROR alerts."""
    need_shared(SPEC_DIR)
    from tests.rules.dictsource import dict_source
    from tests.rules.legacy_detect import run_detect_case

    (case,) = [c for c in CASES if c.name == "multiple_rules"]
    cat = {"proc.name": "cat", "proc.cmdline": "cat /dev/null"}
    events = [{**cat, "evt.type": t} for t in ("open", "execve", "access", "write")]
    srcs = {"syscall": dict_source()}

    def first_matches(evs: list[dict[str, str]]) -> Detect:
        def detect(_trace: Path, ruleset: RuleSet) -> Iterator[Match]:
            for e in evs:
                m = ruleset.match_first(e)
                if m is not None:
                    yield m

        return detect

    run_detect_case(case, first_matches(events), _rules_files(case), srcs)
    without_access = [e for e in events if e["evt.type"] != "access"]
    with pytest.raises(AssertionError):  # the INFO rule never fires
        run_detect_case(case, first_matches(without_access), _rules_files(case), srcs)


def test_default_ruleset_of_that_era_loads() -> None:
    """Cases without ``rules_file`` run with Falco's 2022 ruleset (78 rules); it loads
    without errors. Its ``evt.dir`` and ``%container.info`` uses are reported as
    deprecated, as today's Falco does."""
    base = need_shared("anchors/falco/legacy-tests/rules")
    rs = load_files([base / "falco_rules.yaml"])
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    assert len(rs.rules) == 78
    assert {w.code.value for w in rs.result.warnings} == {"LOAD_DEPRECATED_ITEM"}
