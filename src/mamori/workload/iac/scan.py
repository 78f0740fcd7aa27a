"""The IaC scan: path -> IaC resources -> cloud model -> the AWS posture checks -> findings.

The checks are the cloud-posture ones (`mamori.posture.checks.aws`), unchanged; the
resources come from `mapping` instead of the collectors. Verdicts that rest on what the
files cannot say are dropped as not applicable (`applicability`). Each finding's asset
is the IaC resource (type, address, file, line); its evidence names the file and line,
and `Provenance.source` is "file:line". Suppressions are the Kubernetes scan's:
`# mamori:ignore CHECK reason` inside the resource, and `.mamori.yaml` exceptions
(`kind` matches the IaC type, `name` the address, `path` the file).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mamori import __version__
from mamori.model import (
    Asset,
    AssetKind,
    CloudResource,
    Finding,
    FindingStatus,
    Inventory,
    Notice,
    NoticeLevel,
    Sbom,
    ScanReport,
    utcnow,
)
from mamori.posture.check import Result, Verdict, checks
from mamori.posture.runner import Subjects, result_counts, to_finding
from mamori.workload.iac.applicability import READS, iac_checks, not_applicable
from mamori.workload.iac.loader import load_iac
from mamori.workload.iac.map_cloudformation import CLOUDFORMATION
from mamori.workload.iac.map_terraform import TERRAFORM
from mamori.workload.iac.mapping import Amend, Draft, build
from mamori.workload.iac.model import IacSet
from mamori.workload.k8s.config import Config, default_config_path, load_config

PRODUCER = "mamori.workload.iac"
SOURCE = "workload.iac"


@dataclass
class IacScanRequest:
    path: Path
    config: Path | None = None  # None: `.mamori.yaml` in the scanned directory, if any
    checks: Sequence[str] | None = None  # None: every check that applies to IaC
    include_passed: bool = False  # passes as findings too (else only counted)


@dataclass
class IacScanOutcome:
    report: ScanReport
    iac: IacSet
    resources: list[CloudResource]
    not_applicable: list[tuple[str, str, str]] = field(default_factory=list)  # check, id, why


def to_model(iac: IacSet) -> list[CloudResource]:
    """The cloud-model resources of everything mapped (the rest is not judged)."""
    items: list[Draft | Amend] = []
    for resource in iac.resources:
        table: dict[str, Any] = CLOUDFORMATION if resource.source == "cloudformation" else TERRAFORM
        mapper = table.get(resource.type)
        if mapper is not None:
            items.extend(mapper(resource))
    return build(items)


def iac_asset(resource: CloudResource) -> Asset:
    iac = resource.attributes.get("iac") or {}
    where = f"{iac.get('file')}:{iac.get('line')}"
    return Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name=resource.id,
        attributes={
            "type": resource.type,
            "id": resource.id,
            "name": f"{iac.get('type')} {iac.get('address')} ({where})",
            "kind": str(iac.get("type", "")),
            "namespace": "",
            "object_name": str(iac.get("address", "")),
            "file": str(iac.get("file", "")),
            "line": str(iac.get("line", "")),
        },
    )


def _source(result: Result) -> str | None:
    if result.resource is None:
        return None
    iac = result.resource.attributes.get("iac") or {}
    return f"{iac.get('file')}:{iac.get('line')}"


def _whole(account: str, region: str) -> Asset:
    return Asset(kind=AssetKind.CLOUD_RESOURCE, name="iac files")


def _suppress(finding: Finding, resource: CloudResource, config: Config, now: datetime) -> Finding:
    if finding.status != FindingStatus.OPEN:
        return finding
    inline = (resource.attributes.get("suppressions") or {}).get(finding.rule_id)
    if inline:
        return finding.model_copy(
            update={"status": FindingStatus.IGNORED, "reason": f"inline: {inline}"}
        )
    attrs = {k: str(v) for k, v in finding.resource.attributes.items()}
    attrs["name"] = attrs.get("object_name", "")
    for exception in config.exceptions:
        if exception.matches(finding.rule_id, attrs) and not exception.expired(now):
            reason = f"{Path(config.source).name}: {exception.reason}"
            return finding.model_copy(update={"status": FindingStatus.IGNORED, "reason": reason})
    return finding


def _check_ids(wanted: Sequence[str] | None) -> list[str]:
    known = iac_checks()
    if wanted is None:
        return known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise ValueError(f"not an IaC check: {', '.join(unknown)} (known: {', '.join(known)})")
    return sorted(set(wanted))


def _where(result: Result) -> dict[str, str]:
    """The file, line, address and type of the IaC resource behind the verdict."""
    iac = (result.resource.attributes.get("iac") or {}) if result.resource is not None else {}
    where = {
        "file": str(iac.get("file", "")),
        "line": str(iac.get("line", "")),
        "address": str(iac.get("address", "")),
        "iac_type": str(iac.get("type", "")),
    }
    if iac.get("notes"):
        where["notes"] = "; ".join(iac["notes"])
    return where


SUBJECTS = Subjects(producer=PRODUCER, asset=iac_asset, whole=_whole, source=_source, where=_where)


def run_iac_scan(request: IacScanRequest) -> IacScanOutcome:
    """Scan a Terraform/CloudFormation file or directory. ValueError for a bad request."""
    started = utcnow()
    if not request.path.exists():
        raise ValueError(f"{request.path} does not exist")
    config = load_config(request.config or default_config_path(request.path))
    check_ids = _check_ids(request.checks)
    t0 = time.perf_counter()
    iac = load_iac(request.path)
    resources = to_model(iac)
    load_seconds = time.perf_counter() - t0
    inventory = Inventory(provider="iac", resources=tuple(resources), collected_at=started)
    notices = [
        Notice(
            level=NoticeLevel.WARNING,
            source=SOURCE,
            message=f"{e.path}{':' + str(e.line) if e.line else ''}: {e.message}"[:500],
            path=e.path,
        )
        for e in iac.errors
    ]
    notices.extend(Notice(level=NoticeLevel.INFO, source=SOURCE, message=n) for n in iac.notes)
    scan_id = uuid.uuid4().hex
    findings: list[Finding] = []
    dropped: list[tuple[str, str, str]] = []
    omitted = 0  # passes counted, not kept (without include_passed)
    assets: dict[int, tuple[CloudResource, Asset]] = {}
    t0 = time.perf_counter()
    for check_id in check_ids:
        cls = checks.get(check_id)
        try:
            results = list(cls().run(inventory))
        except Exception as exc:  # a broken check is reported, never fatal
            notices.append(
                Notice(
                    level=NoticeLevel.ERROR,
                    source=SOURCE,
                    message=f"check {check_id} failed: {type(exc).__name__}: {exc}"[:500],
                )
            )
            continue
        for result in results:
            why = not_applicable(check_id, result)
            if why is not None or result.resource is None:
                rid = result.resource.id if result.resource is not None else ""
                dropped.append((check_id, rid, why or ""))
                continue
            if result.verdict is Verdict.PASS and not request.include_passed:
                omitted += 1
                continue
            finding = to_finding(
                cls.metadata,
                result,
                default_account="",
                now=started,
                scan_id=scan_id,
                subjects=SUBJECTS,
                assets=assets,
            )
            finding = _suppress(finding, result.resource, config, started)
            override = config.severity.get(check_id)
            if override is not None:
                finding = finding.model_copy(update={"severity": override})
            findings.append(finding)
    stats: dict[str, float] = {
        "files": iac.files,
        "parse_errors": len(iac.errors),
        "iac_resources": len(iac.resources),
        "resources": len(resources),
        "checks": len(check_ids),
        "not_applicable": len(dropped),
        "load_seconds": round(load_seconds, 4),
        "check_seconds": round(time.perf_counter() - t0, 4),
    }
    statuses = (FindingStatus.PASS, FindingStatus.OPEN, FindingStatus.IGNORED)
    stats.update(result_counts(findings, statuses, passes=omitted))
    report = ScanReport(
        scan_id=scan_id,
        target=Asset(
            kind=AssetKind.CLOUD_RESOURCE,
            name=f"iac {request.path}",
            attributes={"provider": "iac", "path": str(request.path)},
        ),
        started_at=started,
        finished_at=utcnow(),
        sbom=Sbom(),
        findings=tuple(findings),
        notices=tuple(notices),
        tool_version=__version__,
        evaluated=tuple(check_ids),
        stats=stats,
    )
    return IacScanOutcome(report=report, iac=iac, resources=resources, not_applicable=dropped)


__all__ = ["READS", "IacScanOutcome", "IacScanRequest", "run_iac_scan", "to_model"]
