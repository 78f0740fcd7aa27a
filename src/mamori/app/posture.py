"""The AWS posture scan use case: accounts -> inventory -> exposure -> checks -> reports.

Only the resource types the selected checks read are collected. The result is one
ScanReport per account (target: an Asset "aws account <id>"), the shared Inventory, and one
FrameworkSummary per account when a framework was selected. When a framework is selected,
every finding's evidence names it and the requirement ids its check maps to
(`mamori.posture.compliance.annotate`), which the CSV and OCSF outputs show.

ScanReport.stats carries the scan's figures: resources, checks, results by verdict,
seconds per phase and, with a framework, `requirements_<status>` counts and `score`.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mamori import __version__
from mamori.app.posture_targets import base_session, resolve_targets
from mamori.cloud.aws.collect import Target, collect, enabled_regions
from mamori.cloud.aws.types import resource_types
from mamori.model import (
    Asset,
    AssetKind,
    CollectionError,
    ErrorKind,
    Finding,
    FindingStatus,
    Identity,
    Inventory,
    Notice,
    NoticeLevel,
    Sbom,
    ScanReport,
    utcnow,
)
from mamori.posture.compliance import annotate, checks_for, missing_checks
from mamori.posture.exposure import network as network_exposure
from mamori.posture.exposure import storage as storage_exposure
from mamori.posture.frameworks import Framework, load_framework
from mamori.posture.runner import (
    STATUS,
    required_types,
    result_counts,
    run_checks,
    selected_checks,
)
from mamori.posture.summary import FrameworkSummary, framework_summary, summary_stats

SOURCE = "app.posture"
# Network first: the storage analysis keeps an RDS instance's network verdict.

Progress = Callable[[str, int, int], None]  # (phase, done, total); phases: collect, checks


@dataclass
class PostureRequest:
    profile: str | None = None  # named AWS profile; None: the standard credential chain
    role_arns: Sequence[str] = ()  # scan these roles' accounts instead of the caller's
    organization_role: str | None = None  # scan every ACTIVE org account through this role
    regions: Sequence[str] | None = None  # None: every region enabled for the account
    framework: str | Framework | None = None  # framework id (or object): its checks run
    checks: Sequence[str] | None = None  # explicit check ids (ignored with a framework)
    home_region: str = "us-east-1"  # where global services (IAM, STS, Organizations) go
    workers: int = 16


@dataclass
class AccountPosture:
    account: str
    report: ScanReport
    summary: FrameworkSummary | None = None


@dataclass
class PostureOutcome:
    accounts: list[AccountPosture]
    inventory: Inventory
    framework: Framework | None = None
    check_ids: list[str] = field(default_factory=list)

    @property
    def reports(self) -> list[ScanReport]:
        return [a.report for a in self.accounts]

    def failed(self) -> int:
        """Results that failed, over every account: what an exit code should reflect."""
        return sum(
            1 for a in self.accounts for f in a.report.findings if f.status == FindingStatus.OPEN
        )


def _framework(value: str | Framework | None) -> Framework | None:
    return load_framework(value) if isinstance(value, str) else value


def _check_ids(request: PostureRequest, framework: Framework | None) -> list[str]:
    if framework is not None:
        return checks_for(framework)
    return selected_checks(request.checks)


def _collectable(types: set[str], notices: list[Notice]) -> list[str]:
    known = set(resource_types.names())
    missing = sorted(types - known)
    if missing:
        notices.append(
            Notice(
                level=NoticeLevel.WARNING,
                source=SOURCE,
                message=f"no collector for {len(missing)} resource type(s), checks reading "
                f"them see nothing: {', '.join(missing)}",
            )
        )
    return sorted(types & known)


def error_notices(errors: Sequence[CollectionError]) -> list[Notice]:
    """Collection errors grouped per (account, type, kind): one notice naming the regions."""
    groups: dict[tuple[str, str, ErrorKind], list[CollectionError]] = defaultdict(list)
    for error in errors:
        groups[(error.account, error.type, error.kind)].append(error)
    notices = []
    for (account, type_, kind), group in sorted(groups.items()):
        regions = sorted({e.region for e in group})
        where = regions[0] if len(regions) == 1 else f"{len(regions)} regions"
        label = {
            ErrorKind.ACCESS_DENIED: "AccessDenied",
            ErrorKind.UNSUPPORTED: "Unsupported",
            ErrorKind.THROTTLED: "Throttled",
            ErrorKind.ERROR: "Error",
        }[kind]
        detail = f" ({', '.join(regions)})" if len(regions) > 1 else ""
        notices.append(
            Notice(
                level=NoticeLevel.INFO if kind == ErrorKind.UNSUPPORTED else NoticeLevel.WARNING,
                source="cloud.aws.collect",
                message=f"{label} for {type_} in {where}{detail}: {group[0].message}"[:500],
                path=f"aws account {account}",
            )
        )
    return notices


# Each exposure analysis: (the types it needs, the judged type first; the analysis).
EXPOSURE_ANALYSES = (
    (network_exposure.NEEDS, network_exposure.apply_network_exposure),
    (storage_exposure.NEEDS, storage_exposure.apply_storage_exposure),
)


def exposure_types(types: set[str]) -> set[str]:
    """`types` plus what an exposure analysis needs to judge the resources among them.

    Each analysis declares NEEDS (the judged type first); when the scan collects that type
    anyway, it also collects the rest (security groups, routes, ACLs for instances; the
    account public-access block for buckets) so exposure is judged, not left unknown.
    """
    extra = {t for needs, _ in EXPOSURE_ANALYSES if needs[0] in types for t in needs}
    return set(types) | extra


def apply_exposure(inventory: Inventory, notices: list[Notice]) -> Inventory:
    """Run every exposure analysis; a failing one is a WARNING notice, never fatal."""
    for _, analyse in EXPOSURE_ANALYSES:
        try:
            inventory = analyse(inventory)
        except Exception as exc:  # an analysis bug must not lose the scan
            notices.append(
                Notice(
                    level=NoticeLevel.WARNING,
                    source=SOURCE,
                    message=f"exposure analysis {analyse.__name__} failed: {exc}"[:500],
                )
            )
    return inventory


def _target_asset(account: str, regions: Sequence[str], framework: Framework | None) -> Asset:
    attributes = {"provider": "aws", "regions": ",".join(regions)}
    if framework is not None:
        attributes["framework"] = framework.id
    return Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name=f"aws account {account}",
        identity=Identity(account=account),
        attributes=attributes,
    )


def _stats(
    findings: Sequence[Finding],
    resources: int,
    checks: int,
    timings: dict[str, float],
    summary: FrameworkSummary | None,
) -> dict[str, float]:
    stats: dict[str, float] = {"resources": resources, "checks": checks, **timings}
    stats.update(result_counts(findings, STATUS.values()))  # pass, fail, manual
    if summary is not None:
        stats.update(summary_stats(summary))
    return stats


def _targets(request: PostureRequest, notices: list[Notice]) -> list[Target]:
    session = base_session(request.profile, request.home_region)
    return resolve_targets(
        session,
        role_arns=request.role_arns,
        organization_role=request.organization_role,
        notices=notices,
    )


def _collect(
    request: PostureRequest,
    targets: Sequence[Target],
    regions: Sequence[str],
    check_ids: Sequence[str],
    notices: list[Notice],
    progress: Progress | None,
) -> Inventory:
    """Collect what the checks (and the exposure analysis) read; nothing if no collector."""
    types = _collectable(exposure_types(required_types(check_ids)), notices)
    if not types:
        accounts = tuple(t.account for t in targets)
        return Inventory(accounts=accounts, regions=tuple(regions), collected_at=utcnow())
    return collect(
        targets,
        regions=regions,
        types=types,
        home_region=request.home_region,
        progress=(lambda done, total: progress("collect", done, total)) if progress else None,
        workers=request.workers,
    )


def _account_report(
    target: Target,
    scan: _Scan,
    findings: Sequence[Finding],
    notices: Sequence[Notice],
) -> AccountPosture:
    own = [f for f in findings if f.resource.identity.account == target.account]
    summary = None
    if scan.framework is not None:
        summary = framework_summary(scan.framework, own, evaluated=scan.check_ids)
    where = f"aws account {target.account}"
    report = ScanReport(
        scan_id=scan.scan_id if scan.single else f"{scan.scan_id}-{target.account}",
        target=_target_asset(target.account, scan.regions, scan.framework),
        started_at=scan.started,
        finished_at=utcnow(),
        sbom=Sbom(),
        findings=tuple(own),
        notices=tuple(n for n in notices if n.path in (None, where)),
        tool_version=__version__,
        evaluated=tuple(scan.check_ids),
        stats=_stats(
            own,
            sum(1 for r in scan.inventory.resources if r.account == target.account),
            len(scan.check_ids),
            scan.timings,
            summary,
        ),
    )
    return AccountPosture(account=target.account, report=report, summary=summary)


@dataclass
class _Scan:
    """What every account's report shares."""

    scan_id: str
    started: datetime
    single: bool
    regions: list[str]
    framework: Framework | None
    check_ids: list[str]
    inventory: Inventory
    timings: dict[str, float]


def run_posture_scan(
    request: PostureRequest,
    *,
    progress: Progress | None = None,
    targets: Sequence[Target] | None = None,
) -> PostureOutcome:
    """Scan the requested accounts. `targets` overrides account discovery (tests, callers
    that already hold sessions). Raises ValueError for an unknown framework or when no
    account is left to scan, RegistryError (a KeyError) for an unknown check id."""
    started = utcnow()
    notices: list[Notice] = []
    framework = _framework(request.framework)
    check_ids = _check_ids(request, framework)
    if framework is not None and missing_checks(framework):
        missing = ", ".join(missing_checks(framework))
        notices.append(
            Notice(
                level=NoticeLevel.INFO,
                source=SOURCE,
                message=f"{framework.id}: no check yet for {missing}",
            )
        )
    chosen = list(targets) if targets is not None else _targets(request, notices)
    if not chosen:
        raise ValueError("no AWS account to scan (every role assumption failed?)")
    regions = list(request.regions or enabled_regions(chosen[0].session, request.home_region))
    t0 = time.perf_counter()
    inventory = _collect(request, chosen, regions, check_ids, notices, progress)
    collected = time.perf_counter()
    inventory = apply_exposure(inventory, notices)
    scan_id = str(uuid.uuid4())
    findings = run_checks(
        inventory,
        check_ids,
        notices=notices,
        scan_id=scan_id,
        progress=(lambda done, total: progress("checks", done, total)) if progress else None,
    )
    if framework is not None:
        findings = annotate(findings, framework)
    timings = {
        "collect_seconds": collected - t0,
        "check_seconds": time.perf_counter() - collected,
    }
    scan = _Scan(
        scan_id, started, len(chosen) == 1, regions, framework, check_ids, inventory, timings
    )
    notices += error_notices(inventory.errors)
    accounts = [_account_report(t, scan, findings, notices) for t in chosen]
    return PostureOutcome(
        accounts=accounts, inventory=inventory, framework=framework, check_ids=check_ids
    )
