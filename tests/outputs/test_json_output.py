"""The json output: the whole ScanReport, loadable back into the model."""

from __future__ import annotations

import json

from mamori.model import ScanReport
from mamori.outputs.json_output import SCHEMA_VERSION
from tests.outputs.factory import realistic_report, render


def test_json_loads_back_into_an_equal_report() -> None:
    report = realistic_report(200)
    doc = json.loads(render("json", report))
    assert doc.pop("schema_version") == SCHEMA_VERSION
    assert ScanReport.model_validate(doc) == report


def test_json_carries_every_package_and_match() -> None:
    report = realistic_report(200)
    doc = json.loads(render("json", report))
    assert [p["purl"] for p in doc["sbom"]["packages"]] == [p.purl for p in report.sbom.packages]
    assert len(doc["matches"]) == len(report.matches)
    # Timestamps are ISO 8601 with their zone, as pydantic's JSON mode writes them.
    assert doc["finished_at"] == "2024-05-01T12:00:42.123456Z"
    assert next(iter(doc)) == "schema_version"


def test_json_keeps_non_ascii_and_control_characters_escaped() -> None:
    report = realistic_report(11)
    text = render("json", report)
    assert "ünïcode" in text  # not \u-escaped
    assert "\x1b" not in text  # the ESC in summaries is escaped by json
    assert "\\u001b" in text
