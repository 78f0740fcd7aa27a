"""Per-framework summary: one status per requirement, counts, a score, a section breakdown.

Status of a requirement, from the findings of the checks it maps to:

    MANUAL         the framework marks it manual (CIS "Manual"): a person must assess it.
                   Its checks, if any, still run; their counts are kept as evidence.
    FAIL           automated, and at least one of its checks' results failed.
    PASS           automated, at least one result, and every result passed.
    MANUAL         automated, no failure, but some result needs review (a check that could
                   not run, or a check that itself answers MANUAL).
    NO_RESOURCES   automated, its checks ran and produced no result: nothing to judge
                   (no RDS instance, no EFS file system, ...). Not counted in the score.
    NOT_EVALUATED  automated, but none of its checks ran (mamori has no such check yet,
                   or the scan selected other checks). Not counted in the score.

Score = PASS / (PASS + FAIL) over requirements, or None when nothing was judged. Suppressed
(IGNORED) and FIXED findings are left out: they are not verdicts of this scan.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from mamori.model import Finding, FindingStatus
from mamori.posture.frameworks import Framework, Requirement


class RequirementStatus(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    MANUAL = "manual"
    NO_RESOURCES = "no_resources"
    NOT_EVALUATED = "not_evaluated"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RequirementSummary(_Model):
    id: str
    title: str
    section: str
    automated: bool
    status: RequirementStatus
    checks: tuple[str, ...] = ()
    passed: int = 0  # results (resource verdicts) of its checks
    failed: int = 0
    manual: int = 0
    not_run: tuple[str, ...] = ()  # mapped checks that did not run


class SectionSummary(_Model):
    section: str
    counts: dict[RequirementStatus, int]
    score: float | None


class FrameworkSummary(_Model):
    framework: str
    title: str
    version: str = ""
    requirements: tuple[RequirementSummary, ...]
    counts: dict[RequirementStatus, int]
    score: float | None
    sections: tuple[SectionSummary, ...]

    def status_of(self, requirement_id: str) -> RequirementStatus:
        for req in self.requirements:
            if req.id == requirement_id:
                return req.status
        raise KeyError(requirement_id)


def score(counts: dict[RequirementStatus, int]) -> float | None:
    """PASS / (PASS + FAIL), or None when no requirement was judged either way."""
    judged = counts.get(RequirementStatus.PASS, 0) + counts.get(RequirementStatus.FAIL, 0)
    return counts.get(RequirementStatus.PASS, 0) / judged if judged else None


def _tally(findings: Iterable[Finding]) -> dict[str, Counter[FindingStatus]]:
    by_check: dict[str, Counter[FindingStatus]] = defaultdict(Counter)
    for finding in findings:
        by_check[finding.rule_id][finding.status] += 1
    return by_check


def _status(
    req: Requirement, passed: int, failed: int, manual: int, ran: bool
) -> RequirementStatus:
    if not req.automated:
        return RequirementStatus.MANUAL
    if failed:
        return RequirementStatus.FAIL
    if manual:
        return RequirementStatus.MANUAL
    if passed:
        return RequirementStatus.PASS
    return RequirementStatus.NO_RESOURCES if ran else RequirementStatus.NOT_EVALUATED


def _section(req: Requirement) -> str:
    return req.section or req.id.split(".", 1)[0]


def _counts(reqs: Iterable[RequirementSummary]) -> dict[RequirementStatus, int]:
    counts = dict.fromkeys(RequirementStatus, 0)
    for req in reqs:
        counts[req.status] += 1
    return counts


def summary_stats(summary: FrameworkSummary) -> dict[str, float]:
    """`requirements_<status>` counts and the `score` (when any requirement was judged)."""
    stats: dict[str, float] = {
        f"requirements_{status.value}": count for status, count in summary.counts.items()
    }
    if summary.score is not None:
        stats["score"] = round(summary.score, 4)
    return stats


def framework_summary(
    framework: Framework,
    findings: Iterable[Finding],
    *,
    evaluated: Iterable[str] | None = None,
    passes: Mapping[str, int] | None = None,
) -> FrameworkSummary:
    """Summarise `findings` (one account's, usually) against `framework`.

    `evaluated` is the set of check ids the scan ran; by default, those with at least one
    finding. Pass it so that a check that ran and found nothing (no RDS instance) reads as
    NO_RESOURCES rather than NOT_EVALUATED. `passes` counts, per check, the PASS verdicts
    a scan did not keep as findings (the file scans list failures only by default).
    """
    tally = _tally(findings)
    for check_id, count in (passes or {}).items():
        tally[check_id][FindingStatus.PASS] += count
    ran = set(evaluated) if evaluated is not None else set(tally)
    summaries = []
    for req in framework.requirements:
        passed = sum(tally[c][FindingStatus.PASS] for c in req.checks if c in tally)
        failed = sum(tally[c][FindingStatus.OPEN] for c in req.checks if c in tally)
        manual = sum(tally[c][FindingStatus.MANUAL] for c in req.checks if c in tally)
        not_run = tuple(c for c in req.checks if c not in ran and c not in tally)
        did_run = len(not_run) < len(req.checks)
        summaries.append(
            RequirementSummary(
                id=req.id,
                title=req.title,
                section=_section(req),
                automated=req.automated,
                status=_status(req, passed, failed, manual, did_run),
                checks=req.checks,
                passed=passed,
                failed=failed,
                manual=manual,
                not_run=not_run,
            )
        )
    sections: dict[str, list[RequirementSummary]] = {}
    for summary in summaries:
        sections.setdefault(summary.section, []).append(summary)
    section_summaries = tuple(
        SectionSummary(section=name, counts=_counts(reqs), score=score(_counts(reqs)))
        for name, reqs in sections.items()
    )
    counts = _counts(summaries)
    return FrameworkSummary(
        framework=framework.id,
        title=framework.title,
        version=framework.version,
        requirements=tuple(summaries),
        counts=counts,
        score=score(counts),
        sections=section_summaries,
    )
