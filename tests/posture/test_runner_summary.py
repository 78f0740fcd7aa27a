"""framework_summary over hand-built findings: every status rule, counts, score, sections;
and the framework/check mapping helpers (annotate, checks_for, missing_checks)."""

from __future__ import annotations

from datetime import UTC, datetime

from mamori.model import (
    Asset,
    AssetKind,
    Finding,
    FindingKind,
    FindingStatus,
    Identity,
    Provenance,
    Severity,
)
from mamori.posture.compliance import (
    annotate,
    checks_for,
    finding_requirements,
    mapped_checks,
    missing_checks,
    requirements_by_check,
)
from mamori.posture.frameworks import Framework, Requirement
from mamori.posture.summary import RequirementStatus as S
from mamori.posture.summary import framework_summary
from tests.posture.test_runner import fake_checks, judge_good, make_check

NOW = datetime(2025, 3, 1, tzinfo=UTC)


def finding(check: str, status: FindingStatus, subject: str = "r1") -> Finding:
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=check,
        title=check,
        severity=Severity.MEDIUM,
        resource=Asset(kind=AssetKind.CLOUD_RESOURCE, name=subject, identity=Identity(account="1")),
        status=status,
        evidence={"subject": subject},
        first_seen=NOW,
        last_seen=NOW,
        provenance=Provenance(producer="t", producer_version="0", observed_at=NOW),
    )


def req(
    id_: str, checks: tuple[str, ...], automated: bool = True, section: str = ""
) -> Requirement:
    return Requirement(
        id=id_, title=f"Requirement {id_}", section=section, automated=automated, checks=checks
    )


FRAMEWORK = Framework(
    id="test_fw",
    title="Test framework",
    version="1.0",
    requirements=(
        req("1.1", ("c_pass",), section="1 One"),
        req("1.2", ("c_fail", "c_pass"), section="1 One"),
        req("1.3", ("c_pass", "c_manual"), section="1 One"),
        req("1.4", ("c_none",), section="1 One"),
        req("2.1", ("c_missing",), section="2 Two"),
        req("2.2", (), section="2 Two"),
        req("2.3", ("c_fail",), automated=False, section="2 Two"),
        req("2.4", ("c_only_manual",), section="2 Two"),
        req("3.1", ("c_ignored",)),
    ),
)
FINDINGS = [
    finding("c_pass", FindingStatus.PASS, "a"),
    finding("c_pass", FindingStatus.PASS, "b"),
    finding("c_fail", FindingStatus.OPEN, "a"),
    finding("c_fail", FindingStatus.PASS, "b"),
    finding("c_manual", FindingStatus.MANUAL, "a"),
    finding("c_only_manual", FindingStatus.MANUAL, "a"),
    finding("c_ignored", FindingStatus.IGNORED, "a"),
    finding("c_unmapped", FindingStatus.OPEN, "a"),
]
RAN = ["c_pass", "c_fail", "c_manual", "c_none", "c_only_manual", "c_ignored", "c_unmapped"]


def test_each_status_rule() -> None:
    summary = framework_summary(FRAMEWORK, FINDINGS, evaluated=RAN)
    got = {r.id: r.status for r in summary.requirements}
    assert got == {
        "1.1": S.PASS,  # all results pass
        "1.2": S.FAIL,  # one failing result among passes
        "1.3": S.MANUAL,  # passes plus a result needing review
        "1.4": S.NO_RESOURCES,  # ran, nothing to judge
        "2.1": S.NOT_EVALUATED,  # no such check ran
        "2.2": S.NOT_EVALUATED,  # automated, no check mapped
        "2.3": S.MANUAL,  # manual requirement, whatever its check says
        "2.4": S.MANUAL,  # only manual results
        "3.1": S.NO_RESOURCES,  # an ignored finding is not a verdict of this scan
    }
    r12 = next(r for r in summary.requirements if r.id == "1.2")
    assert (r12.passed, r12.failed, r12.manual) == (3, 1, 0)
    r23 = next(r for r in summary.requirements if r.id == "2.3")
    assert (r23.failed, r23.passed) == (1, 1)  # evidence kept on a manual requirement
    assert next(r for r in summary.requirements if r.id == "2.1").not_run == ("c_missing",)


def test_counts_score_and_sections() -> None:
    summary = framework_summary(FRAMEWORK, FINDINGS, evaluated=RAN)
    assert summary.counts == {
        S.PASS: 1,
        S.FAIL: 1,
        S.MANUAL: 3,
        S.NO_RESOURCES: 2,
        S.NOT_EVALUATED: 2,
    }
    assert summary.score == 0.5
    sections = {s.section: s for s in summary.sections}
    assert list(sections) == ["1 One", "2 Two", "3"]  # file order; "3" from the id
    assert sections["1 One"].score == 0.5
    assert sections["2 Two"].score is None  # nothing judged pass/fail there
    assert sections["2 Two"].counts[S.MANUAL] == 2
    assert summary.status_of("1.2") == S.FAIL


def test_without_evaluated_a_silent_check_reads_not_evaluated() -> None:
    summary = framework_summary(FRAMEWORK, FINDINGS)
    assert summary.status_of("1.4") == S.NOT_EVALUATED
    assert framework_summary(FRAMEWORK, [], evaluated=[]).score is None


def test_all_pass_scores_one_and_a_failure_lowers_it() -> None:
    fw = Framework(
        id="f", title="f", requirements=tuple(req(f"1.{i}", (f"c{i}",)) for i in range(4))
    )
    passing = [finding(f"c{i}", FindingStatus.PASS) for i in range(4)]
    assert framework_summary(fw, passing).score == 1.0
    one_bad = [*passing, finding("c3", FindingStatus.OPEN, "other")]
    assert framework_summary(fw, one_bad).score == 0.75


def test_annotate_records_the_requirements_of_each_finding() -> None:
    mapping = requirements_by_check(FRAMEWORK)
    assert mapping["c_pass"] == ["1.1", "1.2", "1.3"]
    assert mapping["c_fail"] == ["1.2", "2.3"]
    annotated = annotate(FINDINGS, FRAMEWORK)
    by = {(f.rule_id, f.evidence["subject"]): f for f in annotated}
    assert finding_requirements(by[("c_fail", "a")]) == ["1.2", "2.3"]
    assert by[("c_fail", "a")].evidence["framework"] == "test_fw"
    assert finding_requirements(by[("c_unmapped", "a")]) == []
    assert by[("c_unmapped", "a")].evidence["requirements"] == ""
    # Annotation does not change identity: the fingerprint uses the subject only.
    assert [f.fingerprint for f in annotated] == [f.fingerprint for f in FINDINGS]


def test_checks_for_keeps_only_registered_checks() -> None:
    fw = Framework(
        id="f",
        title="f",
        requirements=(
            req("1", ("test_registered_one", "test_not_there")),
            req("2", ("test_registered_one",)),
        ),
    )
    with fake_checks(make_check("test_registered_one", judge_good)):
        assert mapped_checks(fw) == ["test_registered_one", "test_not_there"]
        assert checks_for(fw) == ["test_registered_one"]
        assert missing_checks(fw) == ["test_not_there"]
