"""The Kubernetes manifest scan: path -> objects -> k8s posture checks -> findings.

The checks are the posture framework's (`mamori.posture.checks.k8s`, registry
`k8s_checks`) run by the posture runner over an Inventory whose resources are the
manifests' objects. Each finding's asset is the object (kind, namespace, name, file), its
evidence names the file, the line of the offending field and, for Helm output, the
template; `Provenance.source` is "file:line".

Then, in order: inline `# mamori:ignore CHECK reason` comments and `.mamori.yaml`
exceptions turn OPEN findings IGNORED (with the reason), and `.mamori.yaml` severity
overrides apply. Files that cannot be parsed are one WARNING notice each; they never stop
the scan.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
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
from mamori.posture.compliance import annotate, mapped_checks
from mamori.posture.frameworks import Framework
from mamori.posture.runner import Subjects, result_counts, run_checks, selected_checks
from mamori.workload.k8s.config import Config, default_config_path, load_config
from mamori.workload.k8s.frameworks import load_k8s_framework
from mamori.workload.k8s.manifests import ManifestSet, load_manifests

PRODUCER = "mamori.workload.k8s"
SOURCE = "workload.k8s"
SETTINGS_TYPE = "k8s.settings"


@dataclass
class K8sScanRequest:
    path: Path
    config: Path | None = None  # None: `.mamori.yaml` beside the manifests, if any
    pss_version: str | None = None  # None: the config's, else latest
    checks: Sequence[str] | None = None  # None: every k8s check (or the framework's)
    framework: str | None = None  # e.g. "k8s_pss_restricted", "cis_k8s_1.10"
    include_passed: bool = False  # passes as findings too (else only counted)


@dataclass
class K8sScanOutcome:
    report: ScanReport
    manifests: ManifestSet
    config: Config
    check_ids: list[str] = field(default_factory=list)


def line_for(resource: CloudResource, ptr: str) -> int:
    """The line of a JSON pointer inside the object, else of its nearest ancestor."""
    lines = resource.attributes.get("lines")
    if lines is None:
        lines = {}
    while True:
        found = lines.get(ptr)
        if isinstance(found, int):
            return found
        if not ptr:
            return int(resource.attributes.get("line") or 1)
        ptr = ptr.rsplit("/", 1)[0]


def object_asset(resource: CloudResource) -> Asset:
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
            "name": f"{shown} ({attrs.get('file')}:{attrs.get('line')})",
            "kind": str(attrs.get("kind", "")),
            "namespace": namespace,
            "object_name": str(attrs.get("name", "")),
            "file": str(attrs.get("file", "")),
            "line": str(attrs.get("line", "")),
        },
    )


def _source(result: Result) -> str | None:
    if result.resource is None:
        return None
    line = line_for(result.resource, result.detail.get("field", ""))
    return f"{result.resource.attributes.get('file')}:{line}"


def _where(result: Result) -> dict[str, str]:
    """The file, the line of the offending field and, for Helm output, the template."""
    resource = result.resource
    if resource is None or not resource.attributes.get("file"):
        return {}
    attrs = resource.attributes
    where = {"file": str(attrs["file"])}
    where["line"] = str(line_for(resource, str(result.detail.get("field", ""))))
    if attrs.get("helm_source"):
        where["helm_source"] = str(attrs["helm_source"])
    return where


def _whole(account: str, region: str) -> Asset:
    return Asset(kind=AssetKind.CLOUD_RESOURCE, name="kubernetes manifests")


SUBJECTS = Subjects(
    producer=PRODUCER, asset=object_asset, whole=_whole, source=_source, where=_where
)


def _suppress(
    finding: Finding,
    resource: CloudResource | None,
    config: Config,
    now: datetime,
    notices: list[Notice],
) -> Finding:
    if finding.status != FindingStatus.OPEN or resource is None:
        return finding
    inline = (resource.attributes.get("suppressions") or {}).get(finding.rule_id)
    if inline is not None:
        if inline:
            return finding.model_copy(
                update={"status": FindingStatus.IGNORED, "reason": f"inline: {inline}"}
            )
        notices.append(
            Notice(
                level=NoticeLevel.WARNING,
                source=SOURCE,
                message=f"# mamori:ignore {finding.rule_id} without a reason is not applied",
                path=str(resource.attributes.get("file")),
            )
        )
    attrs = {k: str(v) for k, v in finding.resource.attributes.items()}
    attrs["name"] = attrs.get("object_name", "")
    for exception in config.exceptions:
        if exception.matches(finding.rule_id, attrs) and not exception.expired(now):
            reason = f"{Path(config.source).name}: {exception.reason}"
            return finding.model_copy(update={"status": FindingStatus.IGNORED, "reason": reason})
    return finding


def _check_ids(checks: Sequence[str] | None, framework: Framework | None) -> list[str]:
    if framework is not None:
        known = set(k8s_checks.names())
        return sorted(c for c in mapped_checks(framework) if c in known)
    return selected_checks(checks, k8s_checks)


def _notices(
    manifests: ManifestSet, config: Config, check_ids: list[str], now: datetime
) -> list[Notice]:
    notices = [
        Notice(
            level=NoticeLevel.WARNING,
            source=SOURCE,
            message=f"{e.path}{':' + str(e.line) if e.line else ''}: {e.message}"[:500],
            path=e.path,
        )
        for e in manifests.errors
    ]
    known = set(k8s_checks.names())
    for exception in config.exceptions:
        if exception.check != "*" and exception.check not in known:
            notices.append(
                Notice(
                    level=NoticeLevel.WARNING,
                    source=SOURCE,
                    message=f"{config.source}: exception for unknown check {exception.check}",
                )
            )
        if exception.expired(now):
            notices.append(
                Notice(
                    level=NoticeLevel.INFO,
                    source=SOURCE,
                    message=f"{config.source}: exception for {exception.check} expired",
                )
            )
    for check_id in config.severity:
        if check_id not in known:
            notices.append(
                Notice(
                    level=NoticeLevel.WARNING,
                    source=SOURCE,
                    message=f"{config.source}: severity override for unknown check {check_id}",
                )
            )
    return notices


@dataclass
class Judged:
    """What `judge` produced: the scan's id, its findings (located, suppressed,
    severity-overridden, framework-annotated) and the stats every k8s scan reports."""

    scan_id: str
    findings: list[Finding]
    stats: dict[str, float]


def judge(
    manifests: ManifestSet,
    *,
    check_ids: list[str],
    version: str,
    config: Config,
    framework: Framework | None,
    started: datetime,
    notices: list[Notice],
    subjects: Subjects,
    include_passed: bool = True,
) -> Judged:
    """Run the k8s checks over loaded objects (from files or a cluster) and apply
    `.mamori.yaml` (exceptions, severity overrides) and the framework; `subjects` put
    the object's whereabouts into each finding's evidence. Without `include_passed`,
    passes are only counted (in the stats)."""
    settings = CloudResource(
        type=SETTINGS_TYPE, id="settings", account="", attributes={"pss_version": version}
    )
    inventory = Inventory(
        provider="k8s", resources=(settings, *manifests.resources), collected_at=started
    )
    scan_id = uuid.uuid4().hex
    t0 = time.perf_counter()
    omitted: list[str] = []  # the checks of the passes not kept as findings
    findings = run_checks(
        inventory,
        check_ids,
        notices=notices,
        scan_id=scan_id,
        now=started,
        registry=k8s_checks,
        subjects=subjects,
        passed=None if include_passed else omitted.append,
    )
    by_id = {r.id: r for r in manifests.resources}
    out: list[Finding] = []
    for finding in findings:
        resource = by_id.get(finding.resource.name)
        finding = _suppress(finding, resource, config, started, notices)
        override = config.severity.get(finding.rule_id)
        if override is not None:
            finding = finding.model_copy(update={"severity": override})
        out.append(finding)
    if framework is not None:
        out = annotate(out, framework)
    stats: dict[str, float] = {"check_seconds": round(time.perf_counter() - t0, 4)}
    stats.update(result_counts(out, passes=len(omitted)))
    if framework is not None:  # requirement states and score, as the AWS posture scan
        from mamori.posture.summary import framework_summary, summary_stats  # only when asked

        summary = framework_summary(framework, out, evaluated=check_ids, passes=Counter(omitted))
        stats.update(summary_stats(summary))
    return Judged(scan_id, out, stats)


def k8s_report(
    judged: Judged,
    target: Asset,
    *,
    started: datetime,
    notices: list[Notice],
    check_ids: list[str],
    stats: dict[str, float],
) -> ScanReport:
    """The ScanReport of a judged k8s scan; `stats` are the scan's own, put first."""
    return ScanReport(
        scan_id=judged.scan_id,
        target=target,
        started_at=started,
        finished_at=utcnow(),
        sbom=Sbom(),
        findings=tuple(judged.findings),
        notices=tuple(notices),
        tool_version=__version__,
        evaluated=tuple(check_ids),
        stats={**stats, **judged.stats},
    )


def run_k8s_scan(request: K8sScanRequest) -> K8sScanOutcome:
    """Scan a manifest file or directory. Raises ValueError for a bad request or config."""
    started = utcnow()
    if not request.path.exists():
        raise ValueError(f"{request.path} does not exist")
    config = load_config(request.config or default_config_path(request.path))
    framework = load_k8s_framework(request.framework) if request.framework else None
    check_ids = _check_ids(request.checks, framework)
    version = request.pss_version or config.pss_version or ""  # "": latest, or a label's
    parse_version(version)  # a bad version is the caller's error, not every check's
    t0 = time.perf_counter()
    manifests = load_manifests(request.path)
    load_seconds = time.perf_counter() - t0
    notices = _notices(manifests, config, check_ids, started)
    judged = judge(manifests, check_ids=check_ids, version=version, config=config,
                   framework=framework, started=started, notices=notices, subjects=SUBJECTS,
                   include_passed=request.include_passed)  # fmt: skip
    stats: dict[str, float] = {
        "resources": len(manifests.resources),
        "checks": len(check_ids),
        "files": manifests.files,
        "documents": manifests.documents,
        "parse_errors": len(manifests.errors),
        "files_failed": manifests.failed_files,
        "load_seconds": round(load_seconds, 4),
    }
    attributes = {"provider": "k8s", "path": str(request.path), "pss_version": version or "latest"}
    if framework is not None:
        attributes["framework"] = framework.id
    target = Asset(kind=AssetKind.CLOUD_RESOURCE, name=f"kubernetes manifests {request.path}",
                   attributes=attributes)  # fmt: skip
    report = k8s_report(judged, target, started=started, notices=notices, check_ids=check_ids,
                        stats=stats)  # fmt: skip
    return K8sScanOutcome(report=report, manifests=manifests, config=config, check_ids=check_ids)
