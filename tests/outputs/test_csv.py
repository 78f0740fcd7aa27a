"""The csv output: read back with the standard csv reader (RFC 4180), one row per finding,
framework requirements filled, formulas defused, arbitrary text round-trips."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import (
    AssetKind,
    CloudResource,
    Identity,
    Inventory,
    Sbom,
    ScanReport,
    Severity,
)
from mamori.model.asset import Asset
from mamori.outputs import outputs
from mamori.outputs.csv_output import COLUMNS
from mamori.posture.check import Result, Verdict
from mamori.posture.compliance import annotate
from mamori.posture.frameworks import Framework, Requirement
from mamori.posture.runner import run_checks
from tests.outputs.factory import realistic_report
from tests.posture.test_runner import fake_checks, make_check

ACCOUNT = "111122223333"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FRAMEWORK = Framework(
    id="cis_test",
    title="Test benchmark",
    requirements=(
        Requirement(id="1.1", title="Things are good", checks=("test_csv_good",)),
        Requirement(id="2.3", title="Also good", checks=("test_csv_good",)),
    ),
)


def bucket(name: str, good: bool | None, region: str = "eu-west-1") -> CloudResource:
    return CloudResource(
        type="aws.s3.bucket",
        id=name,
        name=name,
        arn=f"arn:aws:s3:::{name}",
        account=ACCOUNT,
        region=region,
        attributes={"good": good},
    )


def _judge(inventory: Inventory) -> list[Result]:
    out = []
    for res in inventory.resources:
        good = res.attributes["good"]
        verdict = Verdict.MANUAL if good is None else Verdict.PASS if good else Verdict.FAIL
        out.append(Result(verdict=verdict, reason=f"{res.name}: verdict {verdict}", resource=res))
    out.append(Result(verdict=Verdict.FAIL, reason="account-wide", account=ACCOUNT))
    return out


def posture_report(*resources: CloudResource, scan_id: str = "scan-1") -> ScanReport:
    """A posture report as the use case builds it, from a fake check over `resources`."""
    inventory = Inventory(accounts=(ACCOUNT,), resources=resources, collected_at=NOW)
    check = make_check(
        "test_csv_good", _judge, requires=("aws.s3.bucket",), severity=Severity.MEDIUM
    )
    with fake_checks(check):
        findings = annotate(run_checks(inventory, ["test_csv_good"], scan_id=scan_id), FRAMEWORK)
    return ScanReport(
        scan_id=scan_id,
        target=Asset(
            kind=AssetKind.CLOUD_RESOURCE,
            name=f"aws account {ACCOUNT}",
            identity=Identity(account=ACCOUNT),
            attributes={"framework": FRAMEWORK.id, "regions": "eu-west-1"},
        ),
        started_at=NOW,
        finished_at=NOW,
        sbom=Sbom(),
        findings=tuple(findings),
        tool_version="9.9.9",
        stats={
            "resources": len(resources),
            "checks": 1,
            "results_pass": 1,
            "results_fail": 2,
            "results_manual": 1,
            "requirements_fail": 2,
            "score": 0.0,
        },
    )


def render(name: str, report: ScanReport) -> str:
    buf = io.StringIO(newline="")
    outputs.get(name)().render(report, buf)
    return buf.getvalue()


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_one_row_per_finding_with_framework_requirements() -> None:
    report = posture_report(bucket("good", True), bucket("bad", False), bucket("what", None))
    text = render("csv", report)
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    rows = read(text)
    assert len(rows) == len(report.findings) == 4
    by_id = {r["resource_id"]: r for r in rows}
    bad = by_id["bad"]
    assert bad == {
        "account": ACCOUNT,
        "region": "eu-west-1",
        "check_id": "test_csv_good",
        "status": "fail",
        "severity": "medium",
        "resource_type": "aws.s3.bucket",
        "resource_id": "bad",
        "resource_arn": "arn:aws:s3:::bad",
        "resource_name": "bad",
        "title": "Title of test_csv_good",
        "reason": "bad: verdict fail",
        "framework": "cis_test",
        "requirements": "1.1;2.3",
    }
    assert by_id["good"]["status"] == "pass" and by_id["what"]["status"] == "manual"
    account_row = by_id[ACCOUNT]
    assert (account_row["resource_type"], account_row["resource_arn"]) == ("aws.account", "")
    # Failures first, passes last.
    assert [r["status"] for r in rows] == ["fail", "fail", "manual", "pass"]


def test_formulas_are_defused_and_text_survives() -> None:
    evil = bucket('=HYPERLINK("http://x")', False)
    tricky = bucket('a,"b"\nc', False)
    rows = {r["resource_name"]: r for r in read(render("csv", posture_report(evil, tricky)))}
    assert '\'=HYPERLINK("http://x")' in rows
    assert rows['a,"b"\nc']["reason"] == 'a,"b"\nc: verdict fail'


def test_vulnerability_reports_give_a_row_per_match() -> None:
    report = realistic_report(40)
    rows = read(render("csv", report))
    assert len(rows) == len(report.matches) + len(report.findings)
    ids = {m.vulnerability_id for m in report.matches}
    assert {r["check_id"] for r in rows if r["status"] == "open"} <= ids | {
        f.rule_id for f in report.findings
    }
    first = next(r for r in rows if r["check_id"] in ids)
    match = next(m for m in report.matches if m.purl == first["resource_id"].lstrip("'"))
    assert first["severity"] == match.severity.value


def test_deterministic_and_empty() -> None:
    a = render("csv", posture_report(bucket("x", True), bucket("y", False)))
    b = render("csv", posture_report(bucket("x", True), bucket("y", False)))
    assert a == b
    empty = posture_report().model_copy(update={"findings": ()})
    assert render("csv", empty) == ",".join(COLUMNS) + "\r\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=5, unique=True))
def test_arbitrary_names_round_trip(names: list[str]) -> None:
    resources = [bucket(n, False) for n in names]
    rows = read(render("csv", posture_report(*resources)))
    got = sorted(r["resource_id"] for r in rows if r["resource_type"] == "aws.s3.bucket")
    undone = sorted(
        g[1:] if g[:1] == "'" and g[1:2] in ("=", "+", "-", "@", "\t", "\r") else g for g in got
    )
    # Quoted fields keep commas, quotes, CR and LF exactly.
    assert undone == sorted(names)
