"""The live-cluster scan: API objects -> the same k8s posture checks -> findings.

The manifest scan's steps (check selection, `.mamori.yaml` exceptions and severity
overrides, framework annotation and summary) with the cluster's objects instead of files.
A finding's evidence `file` and `Provenance.source` are the object's provenance,
`cluster:<context>/<namespace or ->/<kind>/<name>` (no line: there is no file); a
`.mamori.yaml` exception's `path` glob matches that string. Kinds the credentials may not
list are one WARNING notice each.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mamori import __version__
from mamori.model import (
    Asset,
    AssetKind,
    CloudResource,
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
from mamori.posture.check import Result, k8s_checks
from mamori.posture.checks.k8s._pod import parse_version
from mamori.posture.compliance import annotate
from mamori.posture.runner import Subjects, run_checks
from mamori.posture.summary import framework_summary
from mamori.workload.k8s.cluster import ClusterTarget, list_objects, to_resources
from mamori.workload.k8s.config import load_config
from mamori.workload.k8s.frameworks import load_k8s_framework
from mamori.workload.k8s.scan import (
    PRODUCER,
    SETTINGS_TYPE,
    SOURCE,
    K8sScanOutcome,
    K8sScanRequest,
    _check_ids,
    _notices,
    _suppress,
)


@dataclass
class ClusterScanRequest:
    target: ClusterTarget
    config: Path | None = None  # None: no exceptions or overrides
    pss_version: str | None = None
    checks: Sequence[str] | None = None
    framework: str | None = None


def cluster_asset(resource: CloudResource) -> Asset:
    attrs = resource.attributes
    namespace = str(attrs.get("namespace") or "")
    shown = f"{attrs.get('kind')} {namespace + '/' if namespace else ''}{attrs.get('name')}"
    return Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name=resource.id,
        identity=Identity(namespace=namespace or None),
        attributes={
            "type": resource.type,
            "id": resource.id,
            "name": shown,
            "kind": str(attrs.get("kind", "")),
            "namespace": namespace,
            "object_name": str(attrs.get("name", "")),
            "file": str(attrs.get("file", "")),
        },
    )


def _source(result: Result) -> str | None:
    return None if result.resource is None else str(result.resource.attributes.get("file"))


def _whole(account: str, region: str) -> Asset:
    return Asset(kind=AssetKind.CLOUD_RESOURCE, name="kubernetes cluster")


SUBJECTS = Subjects(producer=PRODUCER, asset=cluster_asset, whole=_whole, source=_source)


def _located(finding: Finding) -> Finding:
    where = finding.resource.attributes.get("file")
    if not where:
        return finding
    evidence = {**finding.evidence, "file": where, "object": where}
    return finding.model_copy(update={"evidence": evidence})


def run_cluster_scan(request: ClusterScanRequest) -> K8sScanOutcome:
    """Scan a live cluster. Raises ValueError for a bad request, ClusterError when the
    cluster cannot be read at all."""
    started = utcnow()
    config = load_config(request.config)
    framework = load_k8s_framework(request.framework) if request.framework else None
    selection = K8sScanRequest(path=Path("."), checks=request.checks, framework=request.framework)
    check_ids = _check_ids(selection, framework)
    version = request.pss_version or config.pss_version or ""
    parse_version(version)
    t0 = time.perf_counter()
    found = list_objects(request.target)
    manifests = to_resources(found)
    load_seconds = time.perf_counter() - t0
    settings = CloudResource(
        type=SETTINGS_TYPE, id="settings", account="", attributes={"pss_version": version}
    )
    inventory = Inventory(
        provider="k8s", resources=(settings, *manifests.resources), collected_at=started
    )
    notices = _notices(manifests, config, check_ids, started)
    for kind, why in sorted(found.denied.items()):
        notices.append(
            Notice(
                level=NoticeLevel.WARNING,
                source=SOURCE,
                message=f"cluster {found.context}: cannot list {kind}: {why}"[:500],
            )
        )
    scan_id = uuid.uuid4().hex
    t0 = time.perf_counter()
    findings = run_checks(
        inventory,
        check_ids,
        notices=notices,
        scan_id=scan_id,
        now=started,
        registry=k8s_checks,
        subjects=SUBJECTS,
    )
    by_id = {r.id: r for r in manifests.resources}
    out: list[Finding] = []
    for finding in findings:
        finding = _located(finding)
        resource = by_id.get(finding.resource.name)
        finding = _suppress(finding, resource, config, started, notices)
        override = config.severity.get(finding.rule_id)
        if override is not None:
            finding = finding.model_copy(update={"severity": override})
        out.append(finding)
    if framework is not None:
        out = annotate(out, framework)
    stats: dict[str, float] = {
        "resources": len(manifests.resources),
        "checks": len(check_ids),
        "pages": found.pages,
        "kinds_denied": len(found.denied),
        "skipped_owned": found.skipped_owned,
        "load_seconds": round(load_seconds, 4),
        "check_seconds": round(time.perf_counter() - t0, 4),
    }
    for status, key in (
        (FindingStatus.PASS, "pass"),
        (FindingStatus.OPEN, "fail"),
        (FindingStatus.MANUAL, "manual"),
        (FindingStatus.IGNORED, "ignored"),
    ):
        stats[f"results_{key}"] = sum(1 for f in out if f.status == status)
    attributes = {
        "provider": "k8s",
        "cluster": found.context,
        "pss_version": version or "latest",
    }
    if framework is not None:
        summary = framework_summary(framework, out, evaluated=check_ids)
        for req_status, count in summary.counts.items():
            stats[f"requirements_{req_status.value}"] = count
        if summary.score is not None:
            stats["score"] = round(summary.score, 4)
        attributes["framework"] = framework.id
    report = ScanReport(
        scan_id=scan_id,
        target=Asset(
            kind=AssetKind.CLOUD_RESOURCE,
            name=f"kubernetes cluster {found.context}",
            attributes=attributes,
        ),
        started_at=started,
        finished_at=utcnow(),
        sbom=Sbom(),
        findings=tuple(out),
        notices=tuple(notices),
        tool_version=__version__,
        evaluated=tuple(check_ids),
        stats=stats,
    )
    return K8sScanOutcome(report=report, manifests=manifests, config=config, check_ids=check_ids)
