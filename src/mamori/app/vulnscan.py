"""The vulnerability scan use case: target -> SBOM -> matches -> suppression -> report."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mamori import __version__
from mamori.app.database import describe, prepare
from mamori.app.targets import OpenedTarget, RegistryOptions, TargetKind, open_target
from mamori.model import Notice, NoticeLevel, ScanReport, Severity, VulnerabilityMatch, utcnow
from mamori.sbom.build import build_sbom
from mamori.vuln.db.update import UpdateProgress
from mamori.vuln.match.matcher import match_sbom
from mamori.vuln.suppress import (
    Suppressed,
    apply_ignores,
    apply_vex,
    load_ignore_file,
    load_vex,
)

Progress = Callable[[str, int], None]


@dataclass
class ScanRequest:
    kind: TargetKind
    target: str
    platform: str = "linux/amd64"
    match: bool = True  # False: inventory only (`mamori sbom`)
    allow_db_update: bool = True
    ignore_file: Path | None = None
    vex_files: Sequence[Path] = ()
    catalogers: Sequence[str] | None = None
    registry: RegistryOptions | None = None


@dataclass
class ScanOutcome:
    report: ScanReport
    suppressed: list[Suppressed] = field(default_factory=list)

    def worst(self) -> Severity | None:
        if not self.report.matches:
            return None
        return max((m.severity for m in self.report.matches), key=lambda s: s.rank)


def _catalog(opened: OpenedTarget, request: ScanRequest, progress: Progress | None) -> None:
    if opened.sbom is not None or opened.tree is None:
        return
    sbom, notices = build_sbom(
        opened.tree, only=request.catalogers, progress=progress, layers=opened.layers
    )
    opened.sbom = sbom
    opened.notices.extend(notices)


def _suppress(
    matches: list[VulnerabilityMatch], request: ScanRequest, opened: OpenedTarget
) -> tuple[list[VulnerabilityMatch], list[Suppressed]]:
    suppressed: list[Suppressed] = []
    if request.ignore_file is not None:
        rules = load_ignore_file(request.ignore_file).rules
        matches, ignored, notices = apply_ignores(matches, rules, utcnow())
        suppressed.extend(ignored)
        opened.notices.extend(notices)
    if request.vex_files:
        documents = [load_vex(p) for p in request.vex_files]
        matches, by_vex, notices = apply_vex(matches, documents, target=opened.asset)
        suppressed.extend(by_vex)
        opened.notices.extend(notices)
    if suppressed:
        opened.notices.append(
            Notice(
                level=NoticeLevel.INFO,
                source="app.vulnscan",
                message=f"{len(suppressed)} match(es) suppressed by ignore rules or VEX",
            )
        )
    return matches, suppressed


def run_scan(
    request: ScanRequest,
    *,
    progress: Progress | None = None,
    db_progress: Callable[[UpdateProgress], None] | None = None,
) -> ScanOutcome:
    """Run one scan. Raises TargetError/SuppressionError with a user-facing message."""
    started = utcnow()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with open_target(
        request.kind, request.target, platform=request.platform, registry=request.registry
    ) as opened:
        timings["open_seconds"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        _catalog(opened, request, progress)
        timings["catalog_seconds"] = time.perf_counter() - t1
    assert opened.sbom is not None
    matches: list[VulnerabilityMatch] = []
    suppressed: list[Suppressed] = []
    database = None
    if request.match:
        db = prepare(
            allow_update=request.allow_db_update, notices=opened.notices, progress=db_progress
        )
        if db is not None:
            with db:
                database = describe(db)
                t2 = time.perf_counter()
                if progress:
                    progress("matching", len(opened.sbom.packages))
                matches = match_sbom(opened.sbom, db, notices=opened.notices)
                timings["match_seconds"] = time.perf_counter() - t2
        matches, suppressed = _suppress(matches, request, opened)
    matches.sort(key=lambda m: (-m.severity.rank, m.package_name, m.vulnerability_id))
    report = ScanReport(
        scan_id=str(uuid.uuid4()),
        target=opened.asset,
        started_at=started,
        finished_at=utcnow(),
        sbom=opened.sbom,
        matches=tuple(matches),
        notices=tuple(opened.notices),
        database=database,
        tool_version=__version__,
        stats={**timings, "packages": float(len(opened.sbom.packages))},
    )
    return ScanOutcome(report=report, suppressed=suppressed)
