"""Run posture checks over an Inventory and turn their verdicts into Findings.

A check judges the inventory it is handed; the runner only selects checks, calls them and
converts each `Result` into a `Finding`:

    PASS   -> FindingStatus.PASS
    FAIL   -> FindingStatus.OPEN     (an open misconfiguration)
    MANUAL -> FindingStatus.MANUAL

A check that raises does not stop the others: its verdicts so far are kept, and one MANUAL
finding per account records the error as its reason (plus an ERROR notice), so a broken
check can never read as "compliant".

Other providers reuse it: `registry` picks their checks (`check.registry_for`) and
`Subjects` says how their resources become assets, who the producer is and where a result
comes from (a manifest's file and line); the defaults are AWS's.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mamori import __version__
from mamori.model import (
    GLOBAL_REGION,
    Asset,
    AssetKind,
    CloudResource,
    Finding,
    FindingKind,
    FindingStatus,
    Identity,
    Inventory,
    Notice,
    NoticeLevel,
    Provenance,
    utcnow,
)
from mamori.posture.check import Check, CheckMetadata, Result, Verdict, checks
from mamori.registry import Registry

PRODUCER = "mamori.posture.aws"
SOURCE = "posture.runner"
ACCOUNT_TYPE = "aws.account"  # the resource type of verdicts about an account or region
ERROR_SUBJECT = "check-error"  # evidence subject of the MANUAL finding a failed check leaves

STATUS = {
    Verdict.PASS: FindingStatus.PASS,
    Verdict.FAIL: FindingStatus.OPEN,
    Verdict.MANUAL: FindingStatus.MANUAL,
}
# the `results_*` stats a posture or configuration scan reports, by finding status
RESULT_KEYS = {
    FindingStatus.PASS: "pass",
    FindingStatus.OPEN: "fail",
    FindingStatus.MANUAL: "manual",
    FindingStatus.IGNORED: "ignored",
}


def result_counts(
    findings: Iterable[Finding],
    statuses: Iterable[FindingStatus] = tuple(RESULT_KEYS),
    passes: int = 0,
) -> dict[str, float]:
    """`results_<status>` counts of `findings` for `statuses`; `passes` adds the PASS
    verdicts a scan counted without keeping them as findings."""
    counts = Counter(f.status for f in findings)
    out: dict[str, float] = {f"results_{RESULT_KEYS[s]}": counts[s] for s in statuses}
    if "results_pass" in out:
        out["results_pass"] += passes
    return out


def selected_checks(
    check_ids: Iterable[str] | None = None, registry: Registry[type[Check]] | None = None
) -> list[str]:
    """The check ids to run, sorted: all registered ones when `check_ids` is None.

    Unknown ids raise `RegistryError` (a KeyError) naming the known ones.
    """
    registry = checks if registry is None else registry
    if check_ids is None:
        return registry.names()
    wanted = sorted(set(check_ids))
    for check_id in wanted:
        registry.get(check_id)
    return wanted


def required_types(check_ids: Iterable[str] | None = None) -> set[str]:
    """The resource types the selected checks read: the collectors a scan must run."""
    types: set[str] = set()
    for check_id in selected_checks(check_ids):
        types.update(checks.get(check_id).metadata.requires)
    return types


def resource_asset(resource: CloudResource) -> Asset:
    """The Asset a finding about `resource` is attached to (named by its ARN, else key)."""
    attributes = {
        "type": resource.type,
        "id": resource.id,
        "name": resource.name or resource.id,
        "account": resource.account,
    }
    if resource.region != GLOBAL_REGION:
        attributes["region"] = resource.region
    if resource.arn:
        attributes["arn"] = resource.arn
    return Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name=resource.arn or resource.key,
        identity=resource.identity,
        attributes=attributes,
    )


def account_asset(account: str, region: str = "") -> Asset:
    """The Asset for a verdict about a whole account (or one region of it)."""
    region = "" if region == GLOBAL_REGION else region
    name = f"aws account {account}" + (f" region {region}" if region else "")
    attributes = {"type": ACCOUNT_TYPE, "id": account, "name": name, "account": account}
    if region:
        attributes["region"] = region
    return Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name=name,
        identity=Identity(account=account or None, region=region or None),
        attributes=attributes,
    )


def _no_source(result: Result) -> str | None:
    return None


def _nowhere(result: Result) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Subjects:
    """How one provider's results become findings; the defaults are AWS's."""

    producer: str = PRODUCER
    asset: Callable[[CloudResource], Asset] = resource_asset  # a result about a resource
    whole: Callable[[str, str], Asset] = account_asset  # (account, region): no resource
    source: Callable[[Result], str | None] = _no_source  # Provenance.source of a finding
    where: Callable[[Result], dict[str, str]] = _nowhere  # evidence that locates it (file, line)


AWS_SUBJECTS = Subjects()


def _subject(result: Result, asset: Asset) -> str:
    """What the verdict is about: the resource key, else the account (and region) name."""
    return result.resource.key if result.resource is not None else asset.name


def to_finding(
    meta: CheckMetadata,
    result: Result,
    *,
    default_account: str,
    now: datetime,
    scan_id: str | None = None,
    subjects: Subjects = AWS_SUBJECTS,
    assets: dict[int, tuple[CloudResource, Asset]] | None = None,
) -> Finding:
    """One Finding for one check verdict. `assets` caches the (immutable) Asset of each
    resource object across the verdicts of a run, as dozens of checks judge one resource
    (keyed by identity; the entry holds the resource so its id cannot be reused)."""
    if result.resource is not None:
        cached = assets.get(id(result.resource)) if assets is not None else None
        if cached is not None:
            asset = cached[1]
        else:
            asset = subjects.asset(result.resource)
            if assets is not None:
                assets[id(result.resource)] = (result.resource, asset)
    else:
        asset = subjects.whole(result.account or default_account, result.region)
    evidence = {**result.detail}
    evidence.update(subject=_subject(result, asset), reason=result.reason, check=meta.id)
    evidence.update(subjects.where(result))
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=meta.id,
        title=meta.title,
        severity=meta.severity,
        resource=asset,
        status=STATUS[result.verdict],
        evidence=evidence,
        first_seen=now,
        last_seen=now,
        provenance=_provenance(now, scan_id, subjects.producer, subjects.source(result)),
        reason=result.reason,
    )


def _provenance(
    now: datetime,
    scan_id: str | None,
    producer: str = PRODUCER,
    source: str | None = None,
) -> Provenance:
    return Provenance(
        producer=producer,
        producer_version=__version__,
        scan_id=scan_id,
        observed_at=now,
        source=source,
    )


def _error_findings(
    meta: CheckMetadata,
    error: BaseException,
    accounts: Sequence[str],
    *,
    now: datetime,
    scan_id: str | None,
    subjects: Subjects = AWS_SUBJECTS,
) -> list[Finding]:
    reason = f"check could not run: {type(error).__name__}: {error}"[:500]
    findings = []
    for account in accounts or [""]:
        asset = subjects.whole(account, "")
        findings.append(
            Finding(
                kind=FindingKind.MISCONFIGURATION,
                rule_id=meta.id,
                title=meta.title,
                severity=meta.severity,
                resource=asset,
                status=FindingStatus.MANUAL,
                evidence={"subject": ERROR_SUBJECT, "reason": reason, "check": meta.id},
                first_seen=now,
                last_seen=now,
                provenance=_provenance(now, scan_id, subjects.producer),
                reason=reason,
            )
        )
    return findings


def run_checks(
    inventory: Inventory,
    check_ids: Iterable[str] | None = None,
    *,
    notices: list[Notice] | None = None,
    scan_id: str | None = None,
    now: datetime | None = None,
    timings: dict[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    registry: Registry[type[Check]] | None = None,
    subjects: Subjects = AWS_SUBJECTS,
    passed: Callable[[str], None] | None = None,
) -> list[Finding]:
    """Run the selected checks (all when None) and return their findings, check by check.

    `notices` receives an ERROR notice per check that raised; `timings`, when given, the
    seconds each check took (keyed by check id); `progress`, (checks done, total).
    `registry` (default: the AWS checks) and `subjects` serve other providers. With
    `passed`, a PASS verdict only calls it with the check id and makes no finding (the
    file scans report failures unless asked for passes, as Checkov's and Trivy's do).
    """
    registry = checks if registry is None else registry
    when = now or inventory.collected_at or utcnow()
    accounts = list(inventory.accounts) or sorted({r.account for r in inventory.resources})
    default_account = accounts[0] if len(accounts) == 1 else ""
    findings: list[Finding] = []
    assets: dict[int, tuple[CloudResource, Asset]] = {}
    selected = selected_checks(check_ids, registry)
    for done, check_id in enumerate(selected, 1):
        cls = registry.get(check_id)
        meta = cls.metadata
        start = time.perf_counter()
        try:
            for result in cls().run(inventory):
                if passed is not None and result.verdict is Verdict.PASS:
                    passed(check_id)
                    continue
                findings.append(
                    to_finding(
                        meta,
                        result,
                        default_account=default_account,
                        now=when,
                        scan_id=scan_id,
                        subjects=subjects,
                        assets=assets,
                    )
                )
        except Exception as exc:  # a broken check is reported, never fatal
            findings.extend(
                _error_findings(meta, exc, accounts, now=when, scan_id=scan_id, subjects=subjects)
            )
            if notices is not None:
                notices.append(
                    Notice(
                        level=NoticeLevel.ERROR,
                        source=SOURCE,
                        message=f"check {check_id} failed: {type(exc).__name__}: {exc}"[:500],
                    )
                )
        if timings is not None:
            timings[check_id] = time.perf_counter() - start
        if progress is not None:
            progress(done, len(selected))
    return findings
