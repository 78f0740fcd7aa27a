"""SARIF 2.1.0: validated against the official OASIS schema, rules and results checked."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import unquote

from mamori.model import Severity
from mamori.outputs.sarif import level
from tests.outputs.factory import realistic_report, render
from tests.outputs.schemas import sarif_errors


def _doc(count: int = 330) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render("sarif", realistic_report(count)))
    return doc


def test_valid_against_the_official_schema() -> None:
    doc = _doc()
    assert sarif_errors(doc) == []
    assert doc["version"] == "2.1.0"


def test_schema_check_catches_a_broken_log() -> None:
    # The oracle must be able to fail: wrong level, missing message, bad rule index.
    doc = _doc(22)
    broken = copy.deepcopy(doc)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["results"][1]["message"]
    broken["runs"][0]["results"][2]["ruleIndex"] = -5
    assert len(sarif_errors(broken)) == 3


def test_one_rule_per_vulnerability_and_one_result_per_match() -> None:
    report = realistic_report(330)
    run = json.loads(render("sarif", report))["runs"][0]
    rules, results = run["tool"]["driver"]["rules"], run["results"]
    assert sorted(r["id"] for r in rules) == sorted({m.vulnerability_id for m in report.matches})
    assert len(results) == len(report.matches)
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    fingerprints = [r["partialFingerprints"]["mamori/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_levels_scores_and_messages_follow_each_match() -> None:
    report = realistic_report(330)
    run = json.loads(render("sarif", report))["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    matches = {(m.vulnerability_id, m.purl): m for m in report.matches}
    expected_level = {
        Severity.CRITICAL: "error",
        Severity.HIGH: "error",
        Severity.MEDIUM: "warning",
        Severity.LOW: "note",
        Severity.NEGLIGIBLE: "note",
        Severity.UNKNOWN: "note",
    }
    for result in run["results"]:
        m = matches[(result["ruleId"], result["properties"]["purl"])]
        assert result["level"] == expected_level[m.severity] == level(m.severity)
        text = result["message"]["text"]
        assert m.package_name in text and m.package_version in text
        for fixed in m.fixed_versions:
            assert fixed in text
        if not m.fixed_versions:
            assert "no fixed version" in text
        rule = rules[m.vulnerability_id]
        if m.cvss:
            assert (
                rule["properties"]["security-severity"]
                == f"{max(c.base_score for c in m.cvss):.1f}"
            )
            assert rule["properties"]["cvss"]["vector"].startswith("CVSS:3.1/")
        assert rule["helpUri"].startswith("https://")
        assert m.severity.value in rule["properties"]["tags"]
        assert "\x1b" not in rule["shortDescription"]["text"]


def test_locations_are_relative_to_the_target_root() -> None:
    report = realistic_report(330)
    run = json.loads(render("sarif", report))["runs"][0]
    by_purl = {p.purl: p for p in report.sbom.packages}
    assert run["originalUriBaseIds"]["ROOTPATH"]["uri"] == "file:///"
    for result in run["results"]:
        pkg = by_purl[result["properties"]["purl"]]
        uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]]
        assert [("/" + unquote(u)) for u in uris] == [loc.path for loc in pkg.locations]
        assert all(not u.startswith("/") for u in uris)
    # The generic packages have a space, '#', '?' and non-ASCII in their path: all escaped.
    assert any("%20" in json.dumps(r["locations"]) for r in run["results"])


def test_kev_matches_are_tagged() -> None:
    report = realistic_report(330)
    run = json.loads(render("sarif", report))["runs"][0]
    kev_ids = {m.vulnerability_id for m in report.matches if m.known_exploited}
    tagged = {
        r["id"]
        for r in run["tool"]["driver"]["rules"]
        if "known-exploited" in r["properties"]["tags"]
    }
    assert tagged == kev_ids


def test_markdown_help_escapes_table_breaking_names() -> None:
    report = realistic_report(11)
    m = report.matches[0]
    evil = m.model_copy(update={"package_name": "a|b`c\\d"})
    doc = json.loads(render("sarif", report.model_copy(update={"matches": (evil,)})))
    markdown = doc["runs"][0]["tool"]["driver"]["rules"][0]["help"]["markdown"]
    assert "| a\\|b\\`c\\\\d |" in markdown
    assert sarif_errors(doc) == []
