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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mamori.model import (
    Asset,
    AssetKind,
    CloudResource,
    Identity,
    Notice,
    NoticeLevel,
    utcnow,
)
from mamori.posture.check import Result
from mamori.posture.checks.k8s._pod import parse_version
from mamori.posture.runner import Subjects
from mamori.workload.k8s.cluster import ClusterTarget, list_objects, to_resources
from mamori.workload.k8s.config import load_config
from mamori.workload.k8s.frameworks import load_k8s_framework
from mamori.workload.k8s.scan import (
    PRODUCER,
    SOURCE,
    K8sScanOutcome,
    _check_ids,
    _notices,
    judge,
    k8s_report,
)


@dataclass
class ClusterScanRequest:
    target: ClusterTarget
    config: Path | None = None  # None: no exceptions or overrides
    pss_version: str | None = None
    checks: Sequence[str] | None = None
    framework: str | None = None
    include_passed: bool = False  # passes as findings too (else only counted)


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


def _where(result: Result) -> dict[str, str]:
    where = None if result.resource is None else result.resource.attributes.get("file")
    return {"file": str(where), "object": str(where)} if where else {}


SUBJECTS = Subjects(
    producer=PRODUCER, asset=cluster_asset, whole=_whole, source=_source, where=_where
)


def run_cluster_scan(request: ClusterScanRequest) -> K8sScanOutcome:
    """Scan a live cluster. Raises ValueError for a bad request, ClusterError when the
    cluster cannot be read at all."""
    started = utcnow()
    config = load_config(request.config)
    framework = load_k8s_framework(request.framework) if request.framework else None
    check_ids = _check_ids(request.checks, framework)
    version = request.pss_version or config.pss_version or ""
    parse_version(version)
    t0 = time.perf_counter()
    found = list_objects(request.target)
    manifests = to_resources(found)
    load_seconds = time.perf_counter() - t0
    notices = _notices(manifests, config, check_ids, started)
    for kind, why in sorted(found.denied.items()):
        notices.append(
            Notice(
                level=NoticeLevel.WARNING,
                source=SOURCE,
                message=f"cluster {found.context}: cannot list {kind}: {why}"[:500],
            )
        )
    judged = judge(manifests, check_ids=check_ids, version=version, config=config,
                   framework=framework, started=started, notices=notices, subjects=SUBJECTS,
                   include_passed=request.include_passed)  # fmt: skip
    stats: dict[str, float] = {
        "resources": len(manifests.resources),
        "checks": len(check_ids),
        "pages": found.pages,
        "kinds_denied": len(found.denied),
        "skipped_owned": found.skipped_owned,
        "load_seconds": round(load_seconds, 4),
    }
    attributes = {"provider": "k8s", "cluster": found.context, "pss_version": version or "latest"}
    if framework is not None:
        attributes["framework"] = framework.id
    target = Asset(kind=AssetKind.CLOUD_RESOURCE, name=f"kubernetes cluster {found.context}",
                   attributes=attributes)  # fmt: skip
    report = k8s_report(judged, target, started=started, notices=notices, check_ids=check_ids,
                        stats=stats)  # fmt: skip
    return K8sScanOutcome(report=report, manifests=manifests, config=config, check_ids=check_ids)
