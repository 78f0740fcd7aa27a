"""Helpers for the SBOM reader tests: reports from an Sbom, rendered by mamori's outputs."""

from __future__ import annotations

from mamori.model import Asset, AssetKind, Sbom, ScanReport
from tests.outputs.factory import FINISHED, STARTED, render


def report_of(sbom: Sbom, name: str = "target") -> ScanReport:
    return ScanReport(
        scan_id="scan-rt",
        target=Asset(kind=AssetKind.FILESYSTEM, name=name),
        started_at=STARTED,
        finished_at=FINISHED,
        sbom=sbom,
    )


def sbom_bytes(fmt: str, sbom: Sbom, name: str = "target") -> bytes:
    return render(fmt, report_of(sbom, name)).encode()
