"""The posture scan end to end against a real moto server: seeded good and bad settings,
collected by the real collectors, judged by the registered checks, summarised per CIS
control, and rendered; plus AWS Organizations account discovery through assume-role."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import boto3
import httpx
import pytest

from mamori.app.posture import PostureOutcome, PostureRequest, run_posture_scan
from mamori.app.posture_targets import organization_targets, resolve_targets, role_targets
from mamori.cloud.aws.collect import Target, caller_account
from mamori.model import FindingStatus, Notice
from mamori.outputs import outputs
from mamori.posture.check import checks
from mamori.posture.compliance import annotate, checks_for
from mamori.posture.frameworks import load_framework
from mamori.posture.runner import required_types, run_checks
from mamori.posture.summary import RequirementStatus, framework_summary
from tests.cloud.conftest import ACCOUNT, REGION


def seed(session: boto3.Session) -> None:
    """One clearly bad and one clearly good setting per control asserted below."""
    iam = session.client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=24)
    ec2 = session.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="ssh-open", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    kms = session.client("kms", region_name=REGION)
    kms.create_key(Description="never rotated")
    s3 = session.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="mamori-no-tls-policy")


@pytest.fixture(scope="module")
def scanned(moto_url: str) -> Iterator[PostureOutcome]:
    """One seeded account scanned once for CIS v3.0.0 (collection is the slow part)."""
    with pytest.MonkeyPatch.context() as mp:
        httpx.post(f"{moto_url}/moto-api/reset", timeout=60).raise_for_status()
        for var, value in {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            mp.setenv(var, value)
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            mp.delenv(var, raising=False)
        session = boto3.Session(region_name=REGION)
        seed(session)
        request = PostureRequest(regions=[REGION], framework="cis_aws_3.0", workers=8)
        yield run_posture_scan(request, targets=[Target(session=session, account=ACCOUNT)])


def test_runner_findings_match_what_the_checks_say(scanned: PostureOutcome) -> None:
    inventory = scanned.inventory
    ids = scanned.check_ids
    assert ids == checks_for(load_framework("cis_aws_3.0")) and ids
    notices: list[Notice] = []
    findings = run_checks(inventory, ids, notices=notices)
    # Independent count: call every check directly and compare verdict by verdict.
    expected = []
    for check_id in ids:
        for result in checks.get(check_id)().run(inventory):
            expected.append((check_id, result.verdict.value, result.reason))
    got = [
        (f.rule_id, {"open": "fail"}.get(f.status.value, f.status.value), f.reason)
        for f in findings
    ]
    assert sorted(got) == sorted(expected)
    assert not [n.message for n in notices]  # no registered check raised
    assert required_types(ids) & {r.type for r in inventory.resources}


def test_cis_scan_end_to_end(scanned: PostureOutcome) -> None:
    outcome = scanned
    assert [a.account for a in outcome.accounts] == [ACCOUNT]
    posture = outcome.accounts[0]
    report, summary = posture.report, posture.summary
    assert summary is not None
    assert report.target.name == f"aws account {ACCOUNT}"
    assert report.target.identity.account == ACCOUNT
    assert report.target.attributes["framework"] == "cis_aws_3.0"
    assert report.stats["resources"] == len(outcome.inventory.resources) > 0
    assert report.stats["checks"] == len(outcome.check_ids)
    for finding in report.findings:
        assert finding.evidence["framework"] == "cis_aws_3.0"
    statuses = {r.id: r.status for r in summary.requirements}
    registered = set(checks.names())
    expectations = {
        "1.8": ("iam_password_policy_minimum_length_14", RequirementStatus.FAIL),
        "1.9": ("iam_password_policy_reuse_24", RequirementStatus.PASS),
        "3.6": ("kms_cmk_rotation_enabled", RequirementStatus.FAIL),
        "5.2": ("ec2_securitygroup_no_admin_ports_ipv4", RequirementStatus.FAIL),
        "2.1.1": ("s3_bucket_secure_transport_policy", RequirementStatus.FAIL),
        "1.1": ("", RequirementStatus.MANUAL),
    }
    for control, (check_id, status) in expectations.items():
        if not check_id or check_id in registered:
            assert statuses[control] == status, control
    assert report.stats["requirements_fail"] == sum(
        1 for s in statuses.values() if s == RequirementStatus.FAIL
    )
    failed_sg = [
        f
        for f in report.findings
        if f.rule_id == "ec2_securitygroup_no_admin_ports_ipv4" and f.status == FindingStatus.OPEN
    ]
    assert failed_sg and all(f.evidence["requirements"] == "5.2" for f in failed_sg)
    # The outputs render the real report.
    rows = list(csv.DictReader(io.StringIO(_render("csv", report))))
    assert len(rows) == len(report.findings)
    events = json.loads(_render("ocsf", report))
    assert len(events) == len(report.findings)
    assert {e["compliance"]["standards"][0] for e in events} == {"cis_aws_3.0"}
    table = _render("table", report)
    assert "Score" in table and "Failed checks" in table


@pytest.mark.parametrize("framework", ["cis_aws_7.0", "pci_dss_4.0"])
def test_other_frameworks_summarise_the_same_inventory(
    scanned: PostureOutcome, framework: str
) -> None:
    fw = load_framework(framework)
    ids = checks_for(fw)
    assert set(ids) <= set(scanned.check_ids)  # CIS v3.0.0's collection covers them
    findings = annotate(run_checks(scanned.inventory, ids), fw)
    summary = framework_summary(fw, findings, evaluated=ids)
    assert summary.framework == framework
    assert len(summary.requirements) == len(fw.requirements)
    if "iam_password_policy_minimum_length_14" in checks.names():
        control = {"cis_aws_7.0": "2.8", "pci_dss_4.0": "8.3.6"}[framework]
        assert summary.status_of(control) == RequirementStatus.FAIL
    if framework == "cis_aws_7.0":
        assert summary.status_of("6.1.2") == RequirementStatus.NOT_EVALUATED


def _render(name: str, report: object) -> str:
    buf = io.StringIO()
    outputs.get(name)().render(report, buf)  # type: ignore[arg-type]
    return buf.getvalue()


def test_accounts_from_organizations_and_roles(aws: boto3.Session, moto_url: str) -> None:
    try:
        _organizations_and_roles(aws)
    finally:
        # Accounts made here weigh on moto's next reset: pay for it now, with time to spare.
        httpx.post(f"{moto_url}/moto-api/reset", timeout=60).raise_for_status()


def _organizations_and_roles(aws: boto3.Session) -> None:
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    made = [
        org.create_account(Email=f"{n}@example.com", AccountName=n)["CreateAccountStatus"][
            "AccountId"
        ]
        for n in ("dev", "gone")
    ]
    org.close_account(AccountId=made[1])  # SUSPENDED: not scanned
    notices: list[Notice] = []
    targets = organization_targets(aws, "MamoriAudit", notices)
    assert [t.account for t in targets] == sorted([ACCOUNT, made[0]])
    for target in targets:
        assert caller_account(target.session)[0] == target.account
    own = next(t for t in targets if t.account == ACCOUNT)
    assert own.session is aws  # the management account scans with its own credentials
    assert notices == []
    assert [t.account for t in resolve_targets(aws, organization_role="MamoriAudit")] == [
        t.account for t in targets
    ]
    # Explicit roles instead of the organization; and the caller's own account by default.
    assumed = role_targets(aws, [f"arn:aws:iam::{made[0]}:role/Audit"], notices)
    assert [t.account for t in assumed] == [made[0]]
    assert [t.account for t in resolve_targets(aws)] == [ACCOUNT]
    assert role_targets(aws, ["not-an-arn"], notices) == []
    assert len(notices) == 1 and "not-an-arn" in notices[0].message
