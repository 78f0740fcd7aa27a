"""The host hardening scan: ROOT -> HostView -> host checks -> findings -> ScanReport.

One finding per check verdict, through the posture runner's `to_finding` (so host
findings have the same shape, fingerprint and provenance as cloud and k8s ones):

    pass            -> FindingStatus.PASS
    fail            -> FindingStatus.OPEN
    not applicable  -> FindingStatus.PASS, evidence verdict=not_applicable (nothing to fix;
                       FindingStatus has no such state, so the evidence keeps it apart)

A check that raises is a MANUAL finding plus an ERROR notice, never a pass. Then
`.mamori.yaml` exceptions (check, optional `name` glob on the host name, optional `path`
glob on the evidence file relative to ROOT) turn OPEN findings IGNORED, and severity
overrides apply: the Kubernetes scan's config file and rules, reused.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mamori import __version__
from mamori.model import (
    Asset,
    AssetKind,
    Finding,
    FindingStatus,
    Identity,
    Notice,
    NoticeLevel,
    Sbom,
    ScanReport,
    utcnow,
)
from mamori.posture.check import Result, Verdict
from mamori.posture.checks.host import HostCheckMetadata, host_checks
from mamori.posture.compliance import annotate, mapped_checks
from mamori.posture.frameworks import FRAMEWORKS_DIR, Framework
from mamori.posture.runner import Subjects, selected_checks, to_finding
from mamori.posture.summary import framework_summary, summary_stats
from mamori.workload.host.result import HostResult, HostVerdict
from mamori.workload.host.view import SOURCE, HostView
from mamori.workload.k8s.config import Config, load_config

PRODUCER = "mamori.workload.host"
HOST_FRAMEWORKS_DIR = FRAMEWORKS_DIR / "host"
VERDICTS = {
    HostVerdict.PASS: Verdict.PASS,
    HostVerdict.FAIL: Verdict.FAIL,
    HostVerdict.NOT_APPLICABLE: Verdict.PASS,
}


@dataclass
class HostScanRequest:
    root: Path = Path("/")
    live: bool | None = None  # None: live facts exactly when root is "/"
    checks: Sequence[str] | None = None  # None: every host check (or the framework's)
    framework: str | None = None  # "cis_debian_12"
    config: Path | None = None  # `.mamori.yaml` exceptions and severity overrides


@dataclass
class HostScanOutcome:
    report: ScanReport
    config: Config
    check_ids: list[str] = field(default_factory=list)
    results: dict[str, list[HostResult]] = field(default_factory=dict)


def host_frameworks() -> list[str]:
    return sorted(p.stem for p in HOST_FRAMEWORKS_DIR.glob("*.yaml"))


def load_host_framework(name: str) -> Framework:
    import yaml

    if name not in host_frameworks():
        raise ValueError(f"unknown host framework {name!r} (known: {', '.join(host_frameworks())})")
    path = HOST_FRAMEWORKS_DIR / f"{name}.yaml"
    return Framework.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def host_asset(view: HostView) -> Asset:
    live = view.live is not None
    name = socket.gethostname() if live else f"root {view.root}"
    return Asset(
        kind=AssetKind.HOST if live else AssetKind.FILESYSTEM,
        name=name,
        identity=Identity(host=name) if live else Identity(),
        attributes={
            "type": "host",
            "name": name,
            "root": str(view.root),
            "mode": "live" if live else "directory",
        },
    )


def _detail(meta: HostCheckMetadata, result: HostResult) -> dict[str, str]:
    detail = {"verdict": result.verdict.value, "cis_id": meta.cis_id}
    if result.evidence:
        detail["evidence"] = "; ".join(str(e) for e in result.evidence)[:2000]
        first = result.evidence[0]
        detail["value"] = first.value
        if first.source.startswith("/"):
            detail["file"] = first.source.lstrip("/")  # relative to ROOT, for SARIF/globs
            if first.line:
                detail["line"] = str(first.line)
        else:
            detail["source"] = first.source
    return detail


def _source(result: Result) -> str | None:
    file = result.detail.get("file")
    if file:
        line = result.detail.get("line")
        return f"/{file}:{line}" if line else f"/{file}"
    return result.detail.get("source")


def _suppress(finding: Finding, config: Config, now: datetime) -> Finding:
    if finding.status != FindingStatus.OPEN:
        return finding
    attrs = {
        "name": finding.resource.name,
        "kind": "host",
        "namespace": "",
        "file": finding.evidence.get("file", ""),
    }
    for exception in config.exceptions:
        if exception.matches(finding.rule_id, attrs) and not exception.expired(now):
            reason = f"{Path(config.source).name}: {exception.reason}"
            return finding.model_copy(update={"status": FindingStatus.IGNORED, "reason": reason})
    return finding


def _check_ids(request: HostScanRequest, framework: Framework | None) -> list[str]:
    if framework is not None:
        known = set(host_checks.names())
        return sorted(c for c in mapped_checks(framework) if c in known)
    return selected_checks(request.checks, host_checks)  # type: ignore[arg-type]


def run_host_scan(request: HostScanRequest) -> HostScanOutcome:
    """Judge a root. Raises ValueError for a bad root, framework, check id or config."""
    started = utcnow()
    if not request.root.is_dir():
        raise ValueError(f"{request.root} is not a directory")
    config = load_config(request.config)
    framework = load_host_framework(request.framework) if request.framework else None
    check_ids = _check_ids(request, framework)
    view = HostView.open(request.root, live=request.live)
    asset = host_asset(view)
    subjects = Subjects(producer=PRODUCER, whole=lambda _a, _r: asset, source=_source)
    scan_id = uuid.uuid4().hex
    findings: list[Finding] = []
    results: dict[str, list[HostResult]] = {}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    for check_id in check_ids:
        cls = host_checks.get(check_id)
        meta = cls.metadata
        start = time.perf_counter()
        try:
            got = list(cls().run(view))
        except Exception as exc:  # a broken check is reported, never a pass
            reason = f"check could not run: {type(exc).__name__}: {exc}"[:500]
            got = []
            view.notices.append(
                Notice(level=NoticeLevel.ERROR, source=SOURCE, message=f"{check_id}: {reason}")
            )
            result = Result(
                verdict=Verdict.MANUAL,
                reason=reason,
                detail={"verdict": "error", "cis_id": meta.cis_id},
            )
            findings.append(
                to_finding(
                    meta,
                    result,
                    default_account="",
                    now=started,
                    scan_id=scan_id,
                    subjects=subjects,
                )
            )
        results[check_id] = got
        for host_result in got:
            reason = host_result.reason
            if host_result.verdict is HostVerdict.NOT_APPLICABLE:
                reason = f"not applicable: {reason}"
            result = Result(
                verdict=VERDICTS[host_result.verdict],
                reason=reason[:1000],
                detail=_detail(meta, host_result),
            )
            findings.append(
                to_finding(
                    meta,
                    result,
                    default_account="",
                    now=started,
                    scan_id=scan_id,
                    subjects=subjects,
                )
            )
        timings[check_id] = time.perf_counter() - start
    out = []
    for finding in findings:
        finding = _suppress(finding, config, started)
        override = config.severity.get(finding.rule_id)
        if override is not None:
            finding = finding.model_copy(update={"severity": override})
        out.append(finding)
    if framework is not None:
        out = annotate(out, framework)
    verdicts = [r.verdict for rs in results.values() for r in rs]
    stats: dict[str, float] = {
        "checks": len(check_ids),
        "live": 1 if view.live is not None else 0,
        "check_seconds": round(time.perf_counter() - t0, 4),
        "results_pass": verdicts.count(HostVerdict.PASS),
        "results_fail": sum(1 for f in out if f.status == FindingStatus.OPEN),
        "results_not_applicable": verdicts.count(HostVerdict.NOT_APPLICABLE),
        "results_ignored": sum(1 for f in out if f.status == FindingStatus.IGNORED),
        "results_error": sum(1 for f in out if f.status == FindingStatus.MANUAL),
        "slowest_check_seconds": round(max(timings.values(), default=0.0), 4),
    }
    if framework is not None:
        stats.update(summary_stats(framework_summary(framework, out, evaluated=check_ids)))
    attributes = {
        "provider": "host",
        "path": str(view.root),
        "root": str(view.root),
        "mode": asset.attributes["mode"],
    }
    if framework is not None:
        attributes["framework"] = framework.id
    report = ScanReport(
        scan_id=scan_id,
        target=asset.model_copy(update={"attributes": {**asset.attributes, **attributes}}),
        started_at=started,
        finished_at=utcnow(),
        sbom=Sbom(),
        findings=tuple(out),
        notices=tuple(view.notices),
        tool_version=__version__,
        evaluated=tuple(check_ids),
        stats=stats,
    )
    return HostScanOutcome(report=report, config=config, check_ids=check_ids, results=results)
