"""The table output's posture section: figures and score from the report's stats, failed
results only (most severe first), and the package view kept for every other report."""

from __future__ import annotations

from mamori.outputs._posture_table import MAX_ROWS, is_posture
from tests.outputs.factory import empty_report, realistic_report
from tests.outputs.test_csv import ACCOUNT, bucket, posture_report, render


def test_posture_report_shows_score_and_failures_only() -> None:
    report = posture_report(bucket("fine-bucket", True), bucket("leaky-bucket", False))
    assert is_posture(report)
    text = render("table", report)
    assert f"aws account {ACCOUNT}" in text
    assert "Score" in text and "0.0%" in text and "fail 2" in text
    assert "1 checks: 2 failed, 1 passed, 1 manual" in text
    assert "Failed checks" in text
    assert "leaky-bucket" in text and "bad" not in text.replace("leaky-bucket", "")
    assert "fine-bucket" not in text  # passes are counted, not listed
    assert "Packages" not in text


def test_no_failures_and_many_failures() -> None:
    clean = posture_report(bucket("ok", True))
    clean = clean.model_copy(
        update={
            "findings": tuple(
                f for f in clean.findings if f.resource.attributes["type"] != "aws.account"
            )
        }
    )
    assert "No failed checks" in render("table", clean)
    many = posture_report(*(bucket(f"b{i:03}", False) for i in range(MAX_ROWS + 5)))
    text = render("table", many)
    assert "... and 6 more failures" in text  # 205 buckets + the account-wide one


def test_other_reports_keep_the_package_view() -> None:
    assert not is_posture(realistic_report(5))
    assert "Packages" in render("table", empty_report())
