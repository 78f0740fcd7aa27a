"""The Dockerfile scan: path -> parsed Dockerfiles -> dockerfile posture checks -> findings.

The checks are posture plug-ins (`mamori.posture.checks.dockerfile`) run by the posture
runner over an Inventory whose resources are the parsed files. Every finding's evidence
names the file and the line of the offending instruction (`lines`: all of them);
`Provenance.source` is "file:line".

Suppression reuses the Kubernetes scan's: a `# mamori:ignore CHECK_ID reason` comment
anywhere in the Dockerfile, and `.mamori.yaml` exceptions (selectors `path`, `kind`
"Dockerfile", `name` the file name) and severity overrides. A file that cannot be parsed
is one WARNING notice (with its line when known) and never stops the scan.
"""

from __future__ import annotations

import re
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
from mamori.posture.check import Result
from mamori.posture.checks.dockerfile import RESOURCE_TYPE, dockerfile_checks
from mamori.posture.runner import Subjects, result_counts, run_checks, selected_checks
from mamori.workload.dockerfile.files import dockerfiles, load
from mamori.workload.dockerfile.model import Dockerfile, ParseError
from mamori.workload.k8s.config import Config, default_config_path, load_config
from mamori.workload.secrets.walk import relative

PRODUCER = "mamori.workload.dockerfile"
SOURCE = "workload.dockerfile"
KIND = "Dockerfile"
_IGNORE = re.compile(r"^\s*mamori:ignore\s+([A-Za-z0-9_.*-]+)(?:\s+(.*?))?\s*$")


@dataclass
class DockerfileScanRequest:
    path: Path
    config: Path | None = None  # None: `.mamori.yaml` beside the files, if any
    checks: Sequence[str] | None = None  # None: every dockerfile check
    include_passed: bool = False  # passes as findings too (else only counted)


@dataclass
class ParseFailure:
    path: str
    message: str
    line: int | None = None


@dataclass
class DockerfileScanOutcome:
    report: ScanReport
    parsed: list[Dockerfile] = field(default_factory=list)
    errors: list[ParseFailure] = field(default_factory=list)
    config: Config = field(default_factory=Config)


def suppressions(dockerfile: Dockerfile) -> dict[str, str]:
    """check id -> reason from `# mamori:ignore CHECK reason` comments ("" = no reason)."""
    found: dict[str, str] = {}
    for _, text in dockerfile.comments:
        hit = _IGNORE.match(text)
        if hit:
            found[hit.group(1)] = (hit.group(2) or "").strip()
    return found


def to_resource(dockerfile: Dockerfile) -> CloudResource:
    final = dockerfile.final
    return CloudResource(
        type=RESOURCE_TYPE,
        id=dockerfile.path,
        name=dockerfile.path,
        account="",
        attributes={
            "file": dockerfile.path,
            "line": 1,
            "stages": len(dockerfile.stages),
            "final_stage": (final.name or str(final.index)) if final else "",
            "dockerfile": dockerfile,
            "suppressions": suppressions(dockerfile),
        },
    )


def file_asset(resource: CloudResource) -> Asset:
    path = str(resource.attributes.get("file", resource.id))
    return Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name=path,
        attributes={
            "type": RESOURCE_TYPE,
            "id": path,
            "name": path,
            "kind": KIND,
            "object_name": Path(path).name,
            "file": path,
            "final_stage": str(resource.attributes.get("final_stage", "")),
        },
    )


def _source(result: Result) -> str | None:
    if result.resource is None:
        return None
    return f"{result.resource.attributes.get('file')}:{result.detail.get('line', '1')}"


def _whole(account: str, region: str) -> Asset:
    return Asset(kind=AssetKind.CLOUD_RESOURCE, name="dockerfiles")


SUBJECTS = Subjects(producer=PRODUCER, asset=file_asset, whole=_whole, source=_source)


def _finish(
    finding: Finding,
    source: CloudResource | None,
    config: Config,
    now: datetime,
    notices: list[Notice],
) -> Finding:
    evidence = dict(finding.evidence)
    evidence["file"] = finding.resource.attributes.get("file", "")
    evidence.setdefault("line", "1")
    where = f"{evidence['file']}:{evidence['line']}"
    shown = {**finding.resource.attributes, "name": where}  # the table's "where" column
    resource = finding.resource.model_copy(update={"attributes": shown})
    finding = finding.model_copy(update={"evidence": evidence, "resource": resource})
    override = config.severity.get(finding.rule_id)
    if override is not None:
        finding = finding.model_copy(update={"severity": override})
    if finding.status != FindingStatus.OPEN or source is None:
        return finding
    inline = source.attributes["suppressions"].get(finding.rule_id)
    if inline:
        return finding.model_copy(
            update={"status": FindingStatus.IGNORED, "reason": f"inline: {inline}"}
        )
    if inline is not None:
        notices.append(
            Notice(
                level=NoticeLevel.WARNING,
                source=SOURCE,
                message=f"# mamori:ignore {finding.rule_id} without a reason is not applied",
                path=evidence["file"],
            )
        )
    attrs = {"kind": KIND, "name": Path(evidence["file"]).name, "file": evidence["file"]}
    for exception in config.exceptions:
        if exception.matches(finding.rule_id, attrs) and not exception.expired(now):
            reason = f"{Path(config.source).name}: {exception.reason}"
            return finding.model_copy(update={"status": FindingStatus.IGNORED, "reason": reason})
    return finding


def config_notices(config: Config, known: set[str], source: str) -> list[Notice]:
    """Warnings for exceptions and severity overrides naming no known check (a typo would
    otherwise silently suppress or re-rate nothing), INFO for expired exceptions."""
    notices = []
    named = [e.check for e in config.exceptions if e.check != "*"] + list(config.severity)
    for check_id in sorted(set(named) - known):
        message = f"{config.source}: {check_id} is not a known check"
        notices.append(Notice(level=NoticeLevel.WARNING, source=source, message=message))
    for exception in config.exceptions:
        if exception.expired(utcnow()):
            message = f"{config.source}: exception for {exception.check} expired"
            notices.append(Notice(level=NoticeLevel.INFO, source=source, message=message))
    return notices


def parse_all(root: Path) -> tuple[list[Dockerfile], list[ParseFailure], int]:
    parsed: list[Dockerfile] = []
    errors: list[ParseFailure] = []
    files = 0
    for path in dockerfiles(root):
        files += 1
        shown = relative(path, root)
        try:
            parsed.append(load(path, shown))
        except ParseError as exc:
            errors.append(ParseFailure(shown, str(exc)[:300], exc.line))
        except RecursionError:  # defensive: nothing in the parser recurses without a bound
            errors.append(ParseFailure(shown, "nested too deeply"))
    return parsed, errors, files


def run_dockerfile_scan(request: DockerfileScanRequest) -> DockerfileScanOutcome:
    """Scan a Dockerfile or a directory of them. Raises ValueError for a bad request or
    config (ConfigError is a ValueError) and RegistryError for an unknown check id."""
    started = utcnow()
    if not request.path.exists():
        raise ValueError(f"{request.path} does not exist")
    config = load_config(request.config or default_config_path(request.path))
    check_ids = selected_checks(request.checks, dockerfile_checks)
    t0 = time.perf_counter()
    parsed, errors, files = parse_all(request.path)
    load_seconds = time.perf_counter() - t0
    resources = [to_resource(d) for d in parsed]
    notices = [
        Notice(
            level=NoticeLevel.WARNING,
            source=SOURCE,
            message=f"{e.path}{':' + str(e.line) if e.line else ''}: {e.message}",
            path=e.path,
        )
        for e in errors
    ]
    notices += config_notices(config, set(dockerfile_checks.names()), SOURCE)
    scan_id = uuid.uuid4().hex
    t0 = time.perf_counter()
    omitted: list[str] = []  # the checks of the passes not kept as findings
    findings = run_checks(
        Inventory(provider="dockerfile", resources=tuple(resources), collected_at=started),
        check_ids,
        notices=notices,
        scan_id=scan_id,
        now=started,
        registry=dockerfile_checks,
        subjects=SUBJECTS,
        passed=None if request.include_passed else omitted.append,
    )
    by_id = {r.id: r for r in resources}
    out = [
        _finish(f, by_id.get(f.resource.attributes.get("file", "")), config, started, notices)
        for f in findings
    ]
    stats: dict[str, float] = {
        "resources": len(resources),
        "checks": len(check_ids),
        "files": files,
        "parse_errors": len(errors),
        "load_seconds": round(load_seconds, 4),
        "check_seconds": round(time.perf_counter() - t0, 4),
    }
    stats.update(result_counts(out, passes=len(omitted)))
    report = ScanReport(
        scan_id=scan_id,
        target=Asset(
            kind=AssetKind.CLOUD_RESOURCE,
            name=f"dockerfiles {request.path}",
            attributes={"provider": "dockerfile", "path": str(request.path)},
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
    return DockerfileScanOutcome(report=report, parsed=parsed, errors=errors, config=config)
