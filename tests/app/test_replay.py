"""`mamori.app.replay` and `mamori replay` on the shared captures.

Oracles: Falco's own expected alert lines for ``cat_write.scap`` (``output_files``),
and the state engine itself for the skip optimisation (skipping events no rule needs
must not change a single alert, on every capture, with Falco's rulesets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mamori.app.replay import ReplayError, filter_events, load_rules, replay
from mamori.cli.main import app
from tests.captures.sysdig_oracle import capture_paths
from tests.support import need_shared

LEGACY = "anchors/falco/legacy-tests/test"


def test_alert_lines_equal_falcos_output() -> None:
    base = need_shared(LEGACY)
    lines = [
        a.text()
        for a in replay(base / "trace_files/cat_write.scap", [base / "rules/single_rule.yaml"])
    ]
    expected = (base / "output_files/single_rule_with_cat_write.txt").read_text().split("\n")
    assert lines == [x for x in expected if x]


@pytest.mark.slow
def test_skipping_unneeded_events_changes_no_alert() -> None:
    base = need_shared(LEGACY)
    rulesets = [
        load_rules([base / "rules/catchall_order.yaml"]),
        load_rules([need_shared("anchors/falco/rules/falco_rules.yaml")]),
        load_rules([base / "rules/single_rule.yaml", base / "rules/double_rule.yaml"]),
    ]
    compared = 0
    for path in capture_paths():
        for rs in rulesets:
            fast = [(a.evt_num, a.rule, a.output) for a in replay(path, ruleset=rs)]
            slow = [(a.evt_num, a.rule, a.output)
                    for a in replay(path, ruleset=rs, skip_unneeded=False)]  # fmt: skip
            assert fast == slow, path.name
            compared += len(fast)
    assert compared > 10


def test_filter_prints_matching_events_like_sysdig() -> None:
    base = need_shared(LEGACY)
    lines = list(filter_events(base / "trace_files/cat_write.scap", "evt.type=open", "%evt.num"))
    assert lines == ["140", "141", "150", "151", "186", "187", "196", "197"]
    with pytest.raises(ReplayError):
        list(filter_events(base / "trace_files/cat_write.scap", "evt.type="))


def test_exit_only_drops_enter_events() -> None:
    base = need_shared(LEGACY)
    alerts = list(replay(base / "trace_files/cat_write.scap", [base / "rules/single_rule.yaml"],
                         exit_only=True))  # fmt: skip
    assert len(alerts) == 4


def test_cli(tmp_path: Path) -> None:
    base = need_shared(LEGACY)
    cap = str(base / "trace_files/cat_write.scap")
    runner = CliRunner()
    out = runner.invoke(app, ["replay", cap, "-r", str(base / "rules/single_rule.yaml")])
    assert out.exit_code == 0 and out.output.count("open_from_cat") == 8
    out = runner.invoke(app, ["replay", cap])  # no --rules: mamori's default ruleset
    # cat writing a file is ordinary activity: the default set loads and stays silent
    assert out.exit_code == 0 and out.output.strip() == "", out.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("- rule: x\n  condition: evt.type=\n  output: x\n  priority: INFO\n  desc: x\n")
    out = runner.invoke(app, ["replay", cap, "-r", str(bad)])
    assert out.exit_code == 1
    out = runner.invoke(app, ["replay", str(tmp_path / "missing.scap"), "--filter", "evt.num>0"])
    assert out.exit_code == 2
