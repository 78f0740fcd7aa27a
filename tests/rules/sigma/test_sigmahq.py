"""SigmaHQ's CloudTrail and Kubernetes audit rules: they load with zero errors, and
each one matches a realistic record written for it and misses a near neighbour.

The events (`cases.yaml`) are written from each rule's meaning, not from this
evaluator; each case is checked through the rule alone and through a `RuleSet` that
also holds Falco's plugin rules, so the engine's candidate selection is exercised.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import mamori.rules.sources.aws_cloudtrail
import mamori.rules.sources.k8s_audit  # noqa: F401
from mamori.rules import RuleSet, load_files
from mamori.rules.rule import Rule
from mamori.rules.sigma import add_sigma, load_sigma
from mamori.rules.sources._json_fields import Record
from tests.rules.sigma.records import build
from tests.support import SHARED, need_shared

RULES = "anchors/sigma/rules"
CASES: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8")
)
CT_KEYS = ("eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "eventID",
           "sourceIPAddress", "userIdentity", "eventType", "recipientAccountId")  # fmt: skip
AUDIT_KEYS = ("kind", "apiVersion", "auditID", "stage", "requestURI", "verb", "user",
              "sourceIPs", "requestReceivedTimestamp", "stageTimestamp")  # fmt: skip


def _source(stem: str) -> str:
    return "k8s_audit" if stem.startswith("kubernetes_") else "aws_cloudtrail"


@cache
def _files() -> dict[str, Path]:
    root = SHARED / RULES
    return {p.stem: p for p in sorted(root.rglob("*.yml"))}


@cache
def _rule(stem: str) -> Rule:
    result = load_sigma([_files()[stem]])
    assert not result.errors and not result.warnings, result.errors + result.warnings
    (rule,) = result.rules
    return rule


@cache
def _ruleset() -> RuleSet:
    plugin = SHARED / "anchors/falco/plugin-rules"
    rs = load_files([plugin / "aws_cloudtrail_rules.yaml", plugin / "k8s_audit_rules.yaml"])
    add_sigma(rs, [SHARED / RULES])
    return rs


def _events(stem: str) -> tuple[dict[str, Any], dict[str, Any]]:
    case, source = CASES[stem], _source(stem)
    hit = build(source, case["match"])
    return hit, build(source, case["miss"], base=hit)


def test_every_rule_loads_without_errors() -> None:
    need_shared(RULES)
    result = load_sigma([SHARED / RULES])
    assert result.errors == [] and result.warnings == []
    by_source = [r.source for r in result.rules]
    assert by_source.count("aws_cloudtrail") == 57
    assert by_source.count("k8s_audit") == 16
    assert len({r.name for r in result.rules}) == 73  # titles are unique
    for r in result.rules:
        assert "sigma" in r.tags and r.enabled and r.event_types is None
        assert all(t == "sigma" or "." in t for t in r.tags)


def test_every_rule_has_a_case() -> None:
    need_shared(RULES)
    assert sorted(CASES) == sorted(_files())


def test_falco_and_sigma_share_one_ruleset() -> None:
    need_shared(RULES)
    rs = _ruleset()
    assert rs.result.errors == []
    sources = {r.source for r in rs.rules}
    assert sources == {"aws_cloudtrail", "k8s_audit"}
    assert sum("sigma" in r.tags for r in rs.rules) == 73
    assert len({r.index for r in rs.rules}) == len(rs.rules)


@pytest.mark.parametrize("stem", sorted(CASES))
def test_rule_matches_its_event_and_misses_the_neighbour(stem: str) -> None:
    need_shared(RULES)
    rule = _rule(stem)
    hit, miss = _events(stem)
    for key in CT_KEYS if rule.source == "aws_cloudtrail" else AUDIT_KEYS:
        assert key in hit, key  # a complete record, as the service writes it
    assert rule.check(hit), f"{rule.name} should match {hit}"
    assert not rule.check(miss), f"{rule.name} should not match {miss}"
    assert rule.check(Record(hit, 7)) and not rule.check(Record(miss, 8))  # numbered()
    rs = _ruleset()
    names = {m.name: m for m in rs.match(hit, rule.source)}
    assert rule.name in names
    assert rule.name not in {m.name for m in rs.match(miss, rule.source)}
    m = names[rule.name]
    assert m.output.startswith(rule.name)
    if rule.source == "aws_cloudtrail":
        assert m.fields["eventName"] == hit["eventName"]
        assert m.fields["userIdentity.arn"] == hit["userIdentity"].get("arn")
        assert f"sourceIPAddress={hit['sourceIPAddress']}" in m.output
    else:
        assert m.fields["verb"] == hit["verb"] and m.fields["objectRef"] == hit["objectRef"]
        assert f"user.username={hit['user']['username']}" in m.output
    numbered = {x.name: x for x in rs.match(Record(hit, 9), rule.source)}
    assert numbered[rule.name].output == m.output
