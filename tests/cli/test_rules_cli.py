"""`mamori rules validate` and `mamori rules list` on real rules files.

Oracles: Falco's published rulesets (zero errors, as in Falco), the per-rule event types
and the union of ``analysis/evt_types_per_rule.txt`` (computed independently of this
engine), tags read straight from the YAML with PyYAML, and Falco's own regression spec
(``falco_tests*.yaml``: the ``validate_errors``/``validate_warnings`` each invalid rules
file must give, and its exit status). Positions are checked against the item blocks
found in the rules file's text.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mamori.cli.main import app
from tests.rules.legacy import Case, Expectation, expectations
from tests.rules.test_legacy import CURRENT_MESSAGE, RENAMED_CODES, VALIDATE
from tests.support import ROOT, need_shared

RULES = "anchors/falco/rules"
ANALYSIS = "anchors/falco/analysis/evt_types_per_rule.txt"
FILES = {
    "stable": "falco_rules.yaml",
    "incubating": "falco-incubating_rules.yaml",
    "sandbox": "falco-sandbox_rules.yaml",
}
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["rules", *args], env={"COLUMNS": "300"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def invoke_json(*args: str) -> tuple[int, Any]:
    code, out, err = invoke(*args, "--json")
    assert out, err
    return code, json.loads(out)


def _analysis() -> dict[str, tuple[dict[str, tuple[set[str], bool]], set[str]]]:
    """Per ruleset: {rule: (event types, enabled)} and the union of the enabled rules."""
    out: dict[str, tuple[dict[str, tuple[set[str], bool]], set[str]]] = {}
    section = ""
    for line in need_shared(ANALYSIS).read_text().splitlines():
        if m := re.match(r"===== (\w+)", line):
            section = m[1]
            out[section] = ({}, set())
        elif m := re.match(r" UNION \(enabled rules, count of rules\): (\[.*\])$", line):
            out[section][1].update(t for t, _n in ast.literal_eval(m[1]))
        elif m := re.match(r"  (.+?)( \[disabled\])?: (\[.*\])$", line):
            out[section][0][m[1]] = (set(ast.literal_eval(m[3])), m[2] is None)
    return out


# -- validate --------------------------------------------------------------------------------


def test_falco_rulesets_validate_with_zero_errors() -> None:
    paths = [str(need_shared(RULES) / f) for f in FILES.values()]
    code, data = invoke_json("validate", "--strict", *paths)
    assert code == 0, data["errors"]
    assert data["ok"] and data["errors"] == [] and data["warnings"] == []
    assert data["rules"] == sum(len(rules) for rules, _u in _analysis().values())
    code, out, _err = invoke("validate", *paths)
    assert code == 0
    assert all(f"{p}: Ok" in out for p in paths)
    assert "0 errors, 0 warnings" in out


def _matches(exp: Expectation, got: dict[str, Any]) -> bool:
    code = RENAMED_CODES.get(exp.code, exp.code)
    if (got["code"], got["item_type"], got["item_name"]) != (
        code,
        exp.item_type,
        exp.item_name,
    ):
        return False
    if code == "LOAD_ERR_YAML_PARSE":  # yaml-cpp's wording, PyYAML's text: same position
        where = re.search(r"line (\d+), column (\d+)", exp.message or "")
        assert where is not None
        return (got["line"], got["column"]) == (int(where[1]), int(where[2]))
    if exp.message is not None:
        return bool(got["message"] == CURRENT_MESSAGE.get(exp.message, exp.message))
    if exp.message_contains is not None:
        return CURRENT_MESSAGE.get(exp.message_contains, exp.message_contains) in got["message"]
    return True


def _item_blocks(path: Path) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """(kind, name) -> [(first line, last line)] of each top-level item, from the text."""
    lines = path.read_text().splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line.startswith("-")]
    blocks: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for n, start in enumerate(starts):
        end = starts[n + 1] - 1 if n + 1 < len(starts) else len(lines)
        m = re.match(r"-\s+(rule|macro|list):\s*(.*?)\s*$", lines[start - 1])
        if m:
            name = m[2].strip("'\"")
            blocks.setdefault((m[1], name), []).append((start, end))
    return blocks


def _check_position(msg: dict[str, Any], files: list[Path]) -> None:
    path = Path(msg["file"])
    assert path in files, msg
    n_lines = len(path.read_text().splitlines())
    assert 1 <= msg["line"] <= max(n_lines, 1) and msg["column"] >= 1, msg
    blocks = _item_blocks(path).get((msg["item_type"], msg["item_name"]))
    if blocks:  # an item's error points inside one of that item's definitions
        assert any(a <= msg["line"] <= b for a, b in blocks), (msg, blocks)


@pytest.mark.parametrize("case", VALIDATE, ids=[c.name for c in VALIDATE])
def test_falco_spec_validate_cases(case: Case) -> None:
    need_shared("anchors/falco/legacy-tests/test")
    files = case.files("validate_rules_file")
    code, data = invoke_json("validate", *map(str, files))
    assert code == (1 if case.expects_failure else 0), data["errors"]
    assert data["ok"] is not case.expects_failure
    for exp in expectations(case, "validate_errors"):
        assert any(_matches(exp, e) for e in data["errors"]), (exp, data["errors"])
    for exp in expectations(case, "validate_warnings"):
        assert any(_matches(exp, w) for w in data["warnings"]), (exp, data["warnings"])
    for msg in data["errors"] + data["warnings"]:
        _check_position(msg, files)
        assert msg["description"]


def test_strict_fails_on_warnings_and_table_shows_positions() -> None:
    path = need_shared("anchors/falco/legacy-tests/test/rules") / "falco_rules_warnings.yaml"
    assert invoke("validate", str(path))[0] == 0
    code, out, _err = invoke("validate", "--strict", str(path))
    assert code == 1
    assert "LOAD_NO_EVTTYPE" in out and "Ok, with warnings" in out
    positions = re.findall(r"falco_rules_warnings\.yaml:(\d+):(\d+)", out)
    assert len(positions) == 9 and ("23", "3") in positions  # rule no_evttype


def test_markup_in_names_is_printed_literally(tmp_path: Path) -> None:
    f = tmp_path / "r.yaml"
    f.write_text(
        "- rule: 'r [bold]x[/bold]'\n  desc: d\n  condition: proc.aname[2] = sshd\n"
        "  output: o\n  priority: INFO\n"
    )
    code, out, _err = invoke("validate", str(f))  # no evt.type: LOAD_NO_EVTTYPE warning
    assert code == 0
    assert "[bold]x[/bold]" in out.replace("\n", "")


# -- list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", sorted(FILES))
def test_list_gives_every_rule_with_the_oracle_event_types(which: str) -> None:
    expected, union = _analysis()[which]
    code, data = invoke_json("list", str(need_shared(RULES) / FILES[which]))
    assert code == 0
    got = {r["name"]: (set(r["event_types"]), r["enabled"]) for r in data["rules"]}
    assert got == expected
    assert all(r["source"] == "syscall" for r in data["rules"])
    assert set(data["event_types"]["syscall"]) == union


def test_list_table_footer_and_filters() -> None:
    base = need_shared(RULES)
    paths = [str(base / f) for f in FILES.values()]
    code, out, _err = invoke("list", str(base / FILES["stable"]))
    assert code == 0
    assert f"syscall ({len(_analysis()['stable'][1])} event types)" in out
    raw = [i for p in paths for i in yaml.safe_load(Path(p).read_text()) if "rule" in i]
    for tag in ("maturity_stable", "T1059", "container"):
        code, data = invoke_json("list", "--tag", tag, *paths)
        assert code == 0
        assert sorted(r["name"] for r in data["rules"]) == sorted(
            i["rule"] for i in raw if tag in (i.get("tags") or [])
        )
    code, data = invoke_json("list", "--source", "k8s_audit", *paths)
    assert data == {"rules": [], "event_types": {}}


def test_later_files_override_earlier_ones(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        "- list: types\n  items: [execve]\n"
        "- rule: r\n  desc: d\n  condition: evt.type in (types)\n  output: o\n"
        "  priority: INFO\n"
    )
    local = tmp_path / "local.yaml"
    local.write_text(
        "- list: types\n  items: [openat]\n  override:\n    items: append\n"
        "- rule: r\n  priority: CRITICAL\n  override:\n    priority: replace\n"
    )
    code, data = invoke_json("list", str(base), str(local))
    assert code == 0
    assert [(r["event_types"], r["priority"]) for r in data["rules"]] == [
        (["execve", "openat"], "Critical")
    ]
    code, data = invoke_json("validate", str(local), str(base))  # wrong order
    assert code == 1
    assert {(e["code"], e["item_type"], e["line"]) for e in data["errors"]} == {
        ("LOAD_ERR_VALIDATE", "list", 1),
        ("LOAD_ERR_VALIDATE", "rule", 5),
    }


def test_list_refuses_rules_that_do_not_load() -> None:
    bad = need_shared("anchors/falco/legacy-tests/test/rules") / "invalid_macro_loop.yaml"
    code, _out, err = invoke("list", str(bad))
    assert code == 1 and "LOAD_ERR_VALIDATE" in err


# -- hostile input ---------------------------------------------------------------------------


def test_bad_paths_are_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(Path(sys.executable).read_bytes()[:4096])
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"- rule: caf\xe9\n")
    cases = {
        str(tmp_path): "is a directory",
        str(tmp_path / "absent.yaml"): "no such file",
        str(binary): "binary content",
        str(latin): "not UTF-8",
        "/dev/null": "not a regular file",
    }
    unreadable = tmp_path / "unreadable.yaml"
    unreadable.write_text("[]")
    cases[str(unreadable)] = "Permission denied"
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == unreadable:  # as root, chmod 000 would not stop the read
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    for path, wanted in cases.items():
        for command in ("validate", "list", "test"):
            code, out, err = invoke(command, path)
            assert code == 2, (command, path, out, err)
            assert wanted in err and "Traceback" not in err + out


NOT_RULE = "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: evt.type=open and "


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[" * 50_000 + "]" * 50_000, "LOAD_ERR_YAML_PARSE"),
        ("- " * 20_000 + "x\n", "LOAD_ERR_YAML_PARSE"),
        ("- rule: x\n  exceptions: " + "[" * 5_000 + "]" * 5_000, "LOAD_ERR_YAML_PARSE"),
        ("a: &a [x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n", "LOAD_ERR_YAML_VALIDATE"),
        (
            "- macro: m\n  condition: " + "(" * 10_000 + "a" + ")" * 10_000,
            "LOAD_ERR_COMPILE_CONDITION",
        ),
        (NOT_RULE + "not " * 20_000 + "proc.name=x\n", "LOAD_ERR_COMPILE_CONDITION"),
        ("\t- rule: tab", "LOAD_ERR_YAML_PARSE"),
        ("", None),
    ],
)
def test_hostile_yaml_gives_load_errors_not_tracebacks(
    tmp_path: Path, text: str, code: str | None
) -> None:
    f = tmp_path / "h.yaml"
    f.write_text(text)
    status, data = invoke_json("validate", str(f))
    assert [e["code"] for e in data["errors"]] == ([code] if code else [])
    assert status == (1 if code else 0) and data["rules"] == 0
    assert all(e["file"] == str(f) for e in data["errors"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=400))
def test_fuzz_validate_never_crashes(tmp_path: Path, text: str) -> None:
    f = tmp_path / "fuzz.yaml"
    f.write_text(text.replace("\0", ""), encoding="utf-8")
    code, _out, err = invoke("validate", "--json", str(f))
    assert code in (0, 1) and "Traceback" not in err


def test_help_does_not_import_the_rules_engine() -> None:
    code = (
        "import sys, mamori.cli.main; "
        "print(sorted(m for m in sys.modules if m.startswith('mamori.rules')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "[]"
    helped = runner.invoke(app, ["rules", "--help"])
    assert helped.exit_code == 0
    assert all(c in helped.stdout for c in ("validate", "list", "test"))
