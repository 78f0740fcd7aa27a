"""The table output: ordering, marks, summary, offline inventory, terminal safety."""

from __future__ import annotations

import io
import re

import pytest

from mamori.model import (
    Finding,
    FindingKind,
    Package,
    PackageType,
    Provenance,
    Severity,
    VulnerabilityMatch,
)
from mamori.outputs.table import TableOutput
from tests.outputs.factory import FINISHED, STARTED, realistic_report, render

VULN_ID = re.compile(r"\b(CVE-\d{4}-\d+|GHSA-[\w-]+?)(?=\s)")
_TYPES = [[t.value] for t in PackageType]
SEVERITY_WORD = re.compile(r"\b(CRITICAL|HIGH|MEDIUM|LOW|NEGLIGIBLE|UNKNOWN)\b")


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _rows(text: str) -> list[tuple[str, Severity, bool]]:
    """(vulnerability id, severity, KEV mark) for each table row, in printed order."""
    rows = []
    for line in text.splitlines():
        vid, sev = VULN_ID.search(line), SEVERITY_WORD.search(line)
        if vid and sev:
            rows.append((vid.group(1), Severity(sev.group(1).lower()), " KEV " in line))
    return rows


def test_plain_output_has_no_escapes_and_fits_120_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # must not turn colour on for a file
    monkeypatch.setenv("COLUMNS", "300")
    text = render("table", realistic_report(330))
    assert "\x1b" not in text
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 120
    assert all(line == line.rstrip() for line in lines)


def test_rows_most_severe_first_with_kev_marks() -> None:
    report = realistic_report(330)
    rows = _rows(render("table", report))
    assert len(rows) == len(report.matches)
    ranks = [sev.rank for _, sev, _ in rows]
    assert ranks == sorted(ranks, reverse=True)
    kev = {(m.vulnerability_id, m.package_name) for m in report.matches if m.known_exploited}
    marked = sum(1 for _, _, mark in rows if mark)
    assert marked == len(kev) > 0
    by_id = {m.vulnerability_id: m for m in report.matches}
    for vid, sev, mark in rows:
        assert by_id[vid].severity is sev
        assert by_id[vid].known_exploited is mark


def test_summary_counts_each_severity() -> None:
    report = realistic_report(330)
    text = render("table", report)
    summary = next(line for line in text.splitlines() if line.startswith("Total:"))
    assert summary.startswith(f"Total: {len(report.matches)} (")
    for severity in Severity:
        count = sum(1 for m in report.matches if m.severity is severity)
        assert f"{severity.value}: {count}" in summary
    fixable = sum(1 for m in report.matches if m.fixed_versions)
    assert f"{fixable} fixable" in summary
    # Notices come last, after the summary.
    assert text.index("Notices") > text.index(summary)
    assert "WARNING [sbom.dpkg] bad entry skipped (/var/lib/dpkg/status)" in text


def test_offline_scan_lists_the_inventory_by_type() -> None:
    report = realistic_report(44, with_matches=False, db=False)
    text = render("table", report)
    assert "not available" in text
    assert "inventory only" in text
    assert "Vulnerabilities" not in text
    table = text[text.index("Packages (") :]
    rows = [line.split()[:2] for line in table.splitlines() if line.split()[:1] in _TYPES]
    assert len(rows) == len(report.sbom.packages)
    assert sorted(rows) == sorted([p.type.value, p.name.split()[0]] for p in report.sbom.packages)
    types = [row[0] for row in rows]
    assert types == sorted(types)  # grouped by type
    for pkg in report.sbom.packages:
        assert re.search(rf"^{pkg.type.value}\s+{re.escape(pkg.name)}\s", table, re.MULTILINE)
    assert f"Total: {len(report.sbom.packages)} packages" in text


def test_inventory_of_many_packages_is_fast_and_fits() -> None:
    import time

    report = realistic_report(5000, with_matches=False)
    start = time.perf_counter()
    text = render("table", report)
    assert time.perf_counter() - start < 5  # rich's Table took ~5 s here; this takes ~0.4 s
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 120
    assert sum(1 for line in lines if line.split()[:1] in _TYPES) == 5000


def test_clean_scan_says_no_known_vulnerabilities() -> None:
    text = render("table", realistic_report(11, with_matches=False))
    assert "no known vulnerabilities" in text


def test_hostile_strings_cannot_drive_the_terminal() -> None:
    evil = "\x1b]0;owned\x07\x1b[2J\u009b31m"
    pkg = Package(
        name=f"evil{evil}pkg",
        version="1.0",
        type=PackageType.NPM,
        purl="pkg:npm/evil@1.0",
        cataloger="npm",
    )
    report = realistic_report(0).model_copy(
        update={
            "sbom": realistic_report(0).sbom.model_copy(update={"packages": (pkg,)}),
            "matches": (
                VulnerabilityMatch(
                    package_id=pkg.id,
                    package_name=pkg.name,
                    package_version=pkg.version,
                    package_type="npm",
                    purl=pkg.purl,
                    vulnerability_id="CVE-2024-0001",
                    severity=Severity.HIGH,
                    summary=f"title {evil} end",
                ),
            ),
        }
    )
    for stream in (io.StringIO(), FakeTty()):
        TableOutput().render(report, stream)
        text = stream.getvalue()
        assert "\x07" not in text and "\x1b]" not in text and "\x1b[2J" not in text
        assert "\u009b" not in text
        assert "owned" in text  # shown as text, harmlessly


def test_terminal_gets_colour_and_its_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "160")
    stream = FakeTty()
    TableOutput().render(realistic_report(110), stream)
    text = stream.getvalue()
    assert "\x1b[" in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert re.search(r"\bType\b", plain)  # the wide layout adds the package type column
    assert max(len(line) for line in plain.splitlines()) <= 160


def test_findings_are_listed() -> None:
    report = realistic_report(11)
    finding = Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id="aws_s3_bucket_public",
        title="S3 bucket allows public read",
        severity=Severity.HIGH,
        resource=report.target,
        first_seen=STARTED,
        last_seen=FINISHED,
        provenance=Provenance(producer="test", producer_version="0", observed_at=FINISHED),
    )
    text = render("table", report.model_copy(update={"findings": (finding,)}))
    line = next(line for line in text.splitlines() if "aws_s3_bucket_public" in line)
    assert "HIGH" in line and "misconfiguration" in line
