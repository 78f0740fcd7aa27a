"""CIS AWS 3.0 4.1-4.15 against moto: trail -> log group -> metric filter -> alarm -> SNS.

Scenarios are scans of one account changed between them (a moto reset costs seconds
here), which is also how a monitored account evolves. moto confirms every subscription
at once, so "pending confirmation" cannot be seeded.
"""

from __future__ import annotations

from collections.abc import Callable

import boto3

from mamori.cloud.aws.collect import Target, assume, collect
from mamori.model import CollectionError, ErrorKind, Inventory
from mamori.posture.check import Verdict, checks
from mamori.posture.checks.aws._filter_pattern import Term, parse
from mamori.posture.checks.aws._metric_filters import PATTERNS
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import (
    MONITORING_TYPES,
    OTHER_REGION,
    alarm_chain,
    log_group_arn,
    trail,
)
from tests.cloud.moto_auth import denying, enforced, principal

PASS, FAIL, MANUAL = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL
ROOT = "cloudwatch_log_metric_filter_root_usage"


def judged(check_id: str, inv: Inventory) -> dict[str, tuple[Verdict, str]]:
    """Account -> (verdict, reason) of the one account-level result per account."""
    results = list(checks.get(check_id)().run(inv))
    assert all(r.resource is None and r.region == "global" for r in results)
    assert sorted(r.account for r in results) == sorted(inv.accounts)
    for r in results:
        assert r.reason.endswith(".") and "\n" not in r.reason, r.reason
    return {r.account: (r.verdict, r.reason) for r in results}


def broken(pattern: str) -> str:
    """The pattern with its first term's value changed: one event CIS asks for is lost."""
    node = parse(pattern)
    while not isinstance(node, Term):
        node = node.parts[0]
    value = node.value
    assert value in pattern
    return pattern.replace(value, "NotTheCisEvent", 1)


VARIANTS = {
    # v1.x pattern: no delivery.logs / HeadBucket exclusions, so it alarms on more
    "cloudwatch_log_metric_filter_unauthorized_api_calls": (
        '{($.errorCode="*UnauthorizedOperation")||($.errorCode="AccessDenied*")}'
    ),
    # the benchmark's own SSO variant
    "cloudwatch_log_metric_filter_sign_in_without_mfa": PATTERNS[
        "cloudwatch_log_metric_filter_sign_in_without_mfa"
    ][1],
    # reordered, compact, quoted, one extra event
    "cloudwatch_log_metric_filter_cloudtrail_changes": (
        '{($.eventName="StopLogging")||($.eventName=StartLogging)||($.eventName=DeleteTrail)'
        "||($.eventName=UpdateTrail)||($.eventName=CreateTrail)||($.eventName=PutEventSelectors)}"
    ),
    # with the eventSource condition of earlier benchmark versions
    "cloudwatch_log_metric_filter_route_table_changes": PATTERNS[
        "cloudwatch_log_metric_filter_route_table_changes"
    ][1],
}


def test_each_control_passes_and_fails(aws: boto3.Session, target: Target) -> None:
    trail(aws, "main", log_group="cloudtrail")
    logs = aws.client("logs")

    def scan(pick: Callable[[str], str | None]) -> dict[str, Verdict]:
        """Metric filters (and alarms) from `pick`; check id -> verdict."""
        for found in logs.describe_metric_filters(logGroupName="cloudtrail")["metricFilters"]:
            logs.delete_metric_filter(logGroupName="cloudtrail", filterName=found["filterName"])
        for check_id in PATTERNS:
            pattern = pick(check_id)
            if pattern is not None:
                alarm_chain(aws, pattern, metric=check_id.rsplit("filter_", 1)[1])
        inv = collect([target], regions=[REGION], types=MONITORING_TYPES)
        assert inv.errors == ()
        return {c: judged(c, inv)[ACCOUNT][0] for c in PATTERNS}

    assert scan(lambda c: PATTERNS[c][0]) == dict.fromkeys(PATTERNS, PASS)
    assert scan(lambda c: broken(PATTERNS[c][0])) == dict.fromkeys(PATTERNS, FAIL)
    assert scan(VARIANTS.get) == {c: PASS if c in VARIANTS else FAIL for c in PATTERNS}


def test_the_furthest_broken_link_is_named(aws: boto3.Session, target: Target) -> None:
    """One account repaired link by link; each scan names what is still missing."""
    ct, cloudwatch = aws.client("cloudtrail"), aws.client("cloudwatch")

    def scan() -> tuple[Verdict, str]:
        inv = collect([target], regions=[REGION, OTHER_REGION], types=MONITORING_TYPES)
        assert inv.errors == ()
        return judged(ROOT, inv)[ACCOUNT]

    def fails(fragment: str) -> None:
        verdict, reason = scan()
        assert verdict is FAIL and fragment in reason, reason

    alarm_chain(aws, PATTERNS[ROOT][0], metric="root", region=OTHER_REGION, alarm=False)
    fails("no multi-region trail is logging all management events.")
    trail(aws, "main", multi_region=False, logging=False)
    fails("all management events (main: not multi-region)")
    ct.update_trail(Name="main", IsMultiRegionTrail=True)
    fails("all management events (main: not logging)")
    ct.start_logging(Name="main")
    fails("trail main does not send to CloudWatch Logs")
    ct.update_trail(Name="main", CloudWatchLogsLogGroupArn=log_group_arn("cloudtrail"))
    fails("log group cloudtrail (us-east-1) has no metric filter")  # it is in eu-west-1
    alarm_chain(
        aws, PATTERNS[ROOT][0], metric="root", log_group="application", alarm=False, subscribe=False
    )
    fails("log group cloudtrail (us-east-1) has no metric filter")  # on another group
    alarm_chain(aws, PATTERNS[ROOT][0], metric="root", alarm=False, subscribe=False)
    fails("no alarm watches metric CISBenchmark/root of filter root")
    alarm_chain(aws, PATTERNS[ROOT][0], metric="root", actions_enabled=False, subscribe=False)
    fails("alarm root_alarm has its actions disabled")
    cloudwatch.enable_alarm_actions(AlarmNames=["root_alarm"])
    fails(f"SNS topic arn:aws:sns:{REGION}:{ACCOUNT}:security-alerts of alarm root_alarm has")
    alarm_chain(aws, PATTERNS[ROOT][0], metric="root")
    verdict, reason = scan()
    assert verdict is PASS, reason
    assert reason == (
        "Metric filter root on log group cloudtrail (us-east-1) covers the CIS pattern and "
        f"alarm root_alarm notifies arn:aws:sns:{REGION}:{ACCOUNT}:security-alerts, which has "
        "a confirmed subscription."
    )


def test_one_account_chain_never_serves_another(aws: boto3.Session, target: Target) -> None:
    trail(aws, "main", log_group="cloudtrail")
    alarm_chain(aws, PATTERNS[ROOT][0], metric="root")
    other = "210987654321"  # an assumed role's credentials are that account's in moto
    session = assume(aws, f"arn:aws:iam::{other}:role/scan")  # the scanner's (slim) session
    creds = session.get_credentials()
    assert creds is not None
    seeding = boto3.Session(  # the same credentials, every API operation
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        aws_session_token=creds.token,
        region_name=REGION,
    )
    trail(seeding, "other-main", log_group="cloudtrail", account=other)
    inv = collect([target, Target(session, other)], regions=[REGION], types=MONITORING_TYPES)
    got = judged(ROOT, inv)
    assert (got[ACCOUNT][0], got[other][0]) == (PASS, FAIL)
    assert "log group cloudtrail (us-east-1) has no metric filter" in got[other][1]


def test_what_could_not_be_seen(aws: boto3.Session, moto_url: str, target: Target) -> None:
    trail(aws, "main", log_group="cloudtrail")
    alarm_chain(aws, PATTERNS[ROOT][0], metric="root")
    complete = collect([target], regions=[REGION], types=MONITORING_TYPES)
    # An error in a region the chain does not go through changes nothing...
    elsewhere = CollectionError(
        type="aws.cloudwatch.alarm",
        account=ACCOUNT,
        region="ap-south-1",
        kind=ErrorKind.ACCESS_DENIED,
        message="AccessDenied",
    )
    assert _verdict(complete.model_copy(update={"errors": (elsewhere,)})) is PASS
    # ...an alarm pointing at a topic of an account that was not scanned cannot PASS...
    (alarm,) = complete.of_type("aws.cloudwatch.alarm")
    foreign = alarm.model_copy(
        update={
            "attributes": {
                **alarm.attributes,
                "alarm_actions": [f"arn:aws:sns:{REGION}:999999999999:central-alerts"],
            }
        }
    )
    others = tuple(r for r in complete.resources if r is not alarm)
    assert _verdict(complete.model_copy(update={"resources": (*others, foreign)})) is MANUAL
    # ...and neither can a scan that was denied the metric filters.
    session = principal(aws, "scanner", denying("logs:DescribeMetricFilters"))
    with enforced(moto_url):
        denied = collect([Target(session, ACCOUNT)], regions=[REGION], types=MONITORING_TYPES)
    assert [e.type for e in denied.errors] == ["aws.logs.metric_filter"]
    assert _verdict(denied) is MANUAL


def _verdict(inventory: Inventory) -> Verdict:
    (result,) = checks.get(ROOT)().run(inventory)
    return result.verdict
