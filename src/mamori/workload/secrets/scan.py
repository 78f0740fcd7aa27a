"""The secrets scan: files under a root -> detectors -> suppressions -> ScanReport.

Every finding (kind SECRET) carries the file, line, column and the masked value only:
the cleartext never leaves `detectors.detect`, so no output (table, JSON, SARIF) and no
notice can contain it. Files that are binary (NUL bytes), not UTF-8 (decoded with
replacement, still scanned), over the size cap, or unreadable are counted and, except
binaries, reported as INFO/WARNING notices naming the path only.

Suppression, as in the manifest scan: `mamori:ignore RULE_ID reason` on the line of the
secret or the line above (any comment syntax), and `.mamori.yaml` exceptions (`check`:
the rule id, `path`: a glob) and severity overrides.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mamori import __version__
from mamori.model import (
    Asset,
    AssetKind,
    Finding,
    FindingKind,
    FindingStatus,
    Notice,
    NoticeLevel,
    Provenance,
    Sbom,
    ScanReport,
    utcnow,
)
from mamori.workload.dockerfile.scan import config_notices
from mamori.workload.k8s.config import CONFIG_NAME, Config, default_config_path, load_config
from mamori.workload.secrets.detectors import RULES, SecretMatch, detect
from mamori.workload.secrets.walk import TooLargeError, is_binary, read_bytes, relative, walk

PRODUCER = "mamori.workload.secrets"
SOURCE = "workload.secrets"
MAX_FILE_BYTES = 1 << 20
_IGNORE = re.compile(r"mamori:ignore\s+([A-Za-z0-9_.*-]+)(?:[ \t]+([^\n]*?))?\s*(?:\*/|-->)?\s*$")


@dataclass
class SecretsScanRequest:
    path: Path
    config: Path | None = None
    max_file_bytes: int = MAX_FILE_BYTES


@dataclass
class FileStats:
    files: int = 0
    scanned: int = 0
    binary: int = 0
    too_large: int = 0
    unreadable: int = 0
    bytes: int = 0


@dataclass
class SecretsScanOutcome:
    report: ScanReport
    config: Config = field(default_factory=Config)
    files: FileStats = field(default_factory=FileStats)


def inline_ignores(lines: list[str], line: int) -> dict[str, str]:
    """Suppressions on the secret's line and the line above it."""
    found: dict[str, str] = {}
    for number in (line - 1, line):
        if 1 <= number <= len(lines) and "mamori:ignore" in lines[number - 1]:
            hit = _IGNORE.search(lines[number - 1])
            if hit:
                found[hit.group(1)] = (hit.group(2) or "").strip()
    return found


def _finding(match: SecretMatch, rel: str, now: datetime, scan_id: str) -> Finding:
    rule = match.rule
    where = f"{rel}:{match.line}"
    what = f"{rule.title} {match.masked}" + (f" assigned to {match.name}" if match.name else "")
    return Finding(
        kind=FindingKind.SECRET,
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        resource=Asset(
            kind=AssetKind.FILESYSTEM,
            name=f"{where} ({match.masked})",
            attributes={
                "file": rel,
                "kind": "file",
                "object_name": f"{where}:{match.column}",
                "line": str(match.line),
            },
        ),
        evidence={
            "file": rel,
            "line": str(match.line),
            "column": str(match.column),
            "masked": match.masked,
            "subject": f"{rel}:{match.line}:{match.column}",
            **({"name": match.name} if match.name else {}),
        },
        first_seen=now,
        last_seen=now,
        provenance=Provenance(
            producer=PRODUCER,
            producer_version=__version__,
            scan_id=scan_id,
            observed_at=now,
            source=where,
        ),
        reason=f"{what} in {where}",
    )


def _suppress(
    finding: Finding, ignores: dict[str, str], config: Config, now: datetime
) -> tuple[Finding, bool]:
    """(finding, whether an inline ignore without a reason was found)."""
    override = config.severity.get(finding.rule_id)
    if override is not None:
        finding = finding.model_copy(update={"severity": override})
    inline = ignores.get(finding.rule_id, ignores.get("*"))
    if inline:
        return finding.model_copy(
            update={"status": FindingStatus.IGNORED, "reason": f"inline: {inline}"}
        ), False
    attrs = {"file": finding.evidence["file"], "name": Path(finding.evidence["file"]).name}
    for exception in config.exceptions:
        if exception.matches(finding.rule_id, attrs) and not exception.expired(now):
            reason = f"{Path(config.source).name}: {exception.reason}"
            return finding.model_copy(
                update={"status": FindingStatus.IGNORED, "reason": reason}
            ), False
    return finding, inline is not None


def _read(path: Path, cap: int, stats: FileStats, notices: list[Notice], rel: str) -> str | None:
    try:
        data = read_bytes(path, cap)
    except TooLargeError:
        stats.too_large += 1
        notices.append(
            Notice(
                level=NoticeLevel.INFO,
                source=SOURCE,
                message=f"skipped, larger than {cap} bytes",
                path=rel,
            )
        )
        return None
    except OSError as exc:
        stats.unreadable += 1
        notices.append(
            Notice(
                level=NoticeLevel.WARNING,
                source=SOURCE,
                message=f"cannot read: {exc.strerror or exc}",
                path=rel,
            )
        )
        return None
    if is_binary(data):
        stats.binary += 1
        return None
    stats.scanned += 1
    stats.bytes += len(data)
    return data.decode("utf-8", errors="replace")


def run_secrets_scan(request: SecretsScanRequest) -> SecretsScanOutcome:
    """Scan a file or a directory tree. Raises ValueError for a bad path or config."""
    started = utcnow()
    root = request.path
    if not root.exists():
        raise ValueError(f"{root} does not exist")
    config_path = request.config or default_config_path(root)
    config = load_config(config_path)
    scan_id = uuid.uuid4().hex
    stats = FileStats()
    notices: list[Notice] = config_notices(config, set(RULES), SOURCE)
    findings: list[Finding] = []
    t0 = time.perf_counter()
    for path in walk(root):
        if path.name == CONFIG_NAME and root.is_dir():
            continue
        stats.files += 1
        rel = relative(path, root)
        text = _read(path, request.max_file_bytes, stats, notices, rel)
        if text is None:
            continue
        lines = text.split("\n")
        for match in detect(text):
            finding, bare = _suppress(
                _finding(match, rel, started, scan_id),
                inline_ignores(lines, match.line),
                config,
                started,
            )
            if bare:
                notices.append(
                    Notice(
                        level=NoticeLevel.WARNING,
                        source=SOURCE,
                        message=f"mamori:ignore {match.rule_id} without a "
                        f"reason is not applied (line {match.line})",
                        path=rel,
                    )
                )
            findings.append(finding)
    figures: dict[str, float] = {
        "files": stats.files,
        "files_scanned": stats.scanned,
        "files_binary": stats.binary,
        "files_too_large": stats.too_large,
        "files_unreadable": stats.unreadable,
        "bytes_scanned": stats.bytes,
        "secrets_open": sum(1 for f in findings if f.status == FindingStatus.OPEN),
        "secrets_ignored": sum(1 for f in findings if f.status == FindingStatus.IGNORED),
        "scan_seconds": round(time.perf_counter() - t0, 4),
    }
    report = ScanReport(
        scan_id=scan_id,
        target=Asset(
            kind=AssetKind.FILESYSTEM,
            name=f"secrets {root}",
            attributes={"provider": "secrets", "path": str(root)},
        ),
        started_at=started,
        finished_at=utcnow(),
        sbom=Sbom(),
        findings=tuple(findings),
        notices=tuple(notices),
        tool_version=__version__,
        evaluated=tuple(sorted(RULES)),
        stats=figures,
    )
    return SecretsScanOutcome(report=report, config=config, files=stats)
