"""The CIS 4.1-4.15 monitoring checks, shared (private: the registry skips `_` modules).

Each control asks for the same chain, per account (CIS v3.0.0 section 4 audit steps):
an active multi-region trail recording all management events (`_trails.cis_trail`)
sends to a CloudWatch Logs group; that group has a metric filter whose pattern covers
the control's CIS pattern (`_filter_pattern.covers`: whitespace, order, quoting, extra
alternatives and broader wildcards do not matter); an alarm with actions enabled
watches the filter's metric; it notifies an SNS topic with a confirmed subscription.
PASS names the chain found; FAIL names the furthest link missing; MANUAL when no chain
was found and part of what it would run through could not be collected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Result, Verdict
from mamori.posture.checks.aws._filter_pattern import Node, PatternError, covers, parse
from mamori.posture.checks.aws._trails import (
    TRAIL,
    accounts,
    cis_trail,
    describe,
    errors_for,
    judge_trails,
    result,
)

FILTER, ALARM, SUBSCRIPTION = (
    "aws.logs.metric_filter",
    "aws.cloudwatch.alarm",
    "aws.sns.subscription",
)
REQUIRES = (TRAIL, FILTER, ALARM, SUBSCRIPTION)
_P = "cloudwatch_log_metric_filter_"

# The CIS AWS Foundations v3.0.0 patterns (section 4), and the variants the benchmark
# itself offers: 4.2 for SSO users; 4.13, whose remediation and audit texts differ.
# A filter passes when it covers any one of a control's patterns.
PATTERNS: dict[str, tuple[str, ...]] = {
    _P + "unauthorized_api_calls": (
        '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
        '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }',
    ),
    _P + "sign_in_without_mfa": (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    _P + "root_usage": (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }',
    ),
    _P + "policy_changes": (
        "{ ($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || "
        "($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || "
        "($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || "
        "($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || "
        "($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || "
        "($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || "
        "($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || "
        "($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy) }",
    ),
    _P + "cloudtrail_changes": (
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
        "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
        "($.eventName = StopLogging) }",
    ),
    _P + "authentication_failures": (
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    _P + "disable_or_delete_cmk": (
        "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
        "($.eventName = ScheduleKeyDeletion)) }",
    ),
    _P + "s3_bucket_policy_changes": (
        "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || "
        "($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || "
        "($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
        "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || "
        "($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }",
    ),
    _P + "aws_config_changes": (
        "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || "
        "($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || "
        "($.eventName=PutConfigurationRecorder)) }",
    ),
    _P + "security_group_changes": (
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || "
        "($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || "
        "($.eventName = RevokeSecurityGroupEgress) || "
        "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    ),
    _P + "nacl_changes": (
        "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
        "($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || "
        "($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
    ),
    _P + "network_gateway_changes": (
        "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
        "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
        "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
    ),
    _P + "route_table_changes": (
        "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || "
        "($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || "
        "($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || "
        "($.eventName = DisassociateRouteTable) }",
        "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || "
        "($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || "
        "($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || "
        "($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }",
        # the v3.0.0 audit text itself, whose eventSource binds to CreateRoute only
        "{ ($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || "
        "($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || "
        "($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || "
        "($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }",
    ),
    _P + "vpc_changes": (
        "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || "
        "($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || "
        "($.eventName = CreateVpcPeeringConnection) || "
        "($.eventName = DeleteVpcPeeringConnection) || "
        "($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || "
        "($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || "
        "($.eventName = EnableVpcClassicLink) }",
    ),
    _P + "aws_organizations_changes": (
        '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || '
        '($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || '
        '($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || '
        '($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || '
        '($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || '
        '($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || '
        '($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || '
        '($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || '
        '($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || '
        '($.eventName = "UpdateOrganizationalUnit")) }',
    ),
}


def metric_filter_results(inventory: Inventory, check_id: str) -> list[Result]:
    """One account-level result per scanned account for the control `check_id`."""
    required = [parse(p) for p in PATTERNS[check_id]]
    index: dict[tuple[str, str, str], list[CloudResource]] = defaultdict(list)
    for type_ in (FILTER, ALARM, SUBSCRIPTION):
        for resource in inventory.of_type(type_):
            index[(type_, resource.account, resource.region)].append(resource)
    return [_Search(inventory, index, required).run(account) for account in accounts(inventory)]


def matches(pattern: str, required: list[Node]) -> bool:
    """Does a filter pattern cover one of the accepted CIS patterns? Unparsable: no."""
    try:
        candidate = parse(pattern)
    except PatternError:
        return False
    return any(covers(candidate, r) for r in required)


class _Search:
    """Follows trail -> log group -> filter -> alarm -> topic -> subscription for one account,
    remembering the furthest link reached and what could not be seen on the way."""

    def __init__(
        self,
        inventory: Inventory,
        index: dict[tuple[str, str, str], list[CloudResource]],
        required: list[Node],
    ) -> None:
        self.inventory, self.index, self.required = inventory, index, required
        self.scanned = set(accounts(inventory))
        self.depth, self.missing = 0, ""
        self.unknown: list[str] = []

    def run(self, account: str) -> Result:
        trails, notes, self.unknown = judge_trails(self.inventory, account, cis_trail)
        self.missing = "no multi-region trail is logging all management events" + (
            f" ({'; '.join(notes)})" if notes else ""
        )
        for trail in trails:
            for found in self._chain(trail):
                return result(Verdict.PASS, found, account)
        if self.unknown:
            return result(Verdict.MANUAL, f"Could not verify: {self.unknown[0]}.", account)
        return result(Verdict.FAIL, f"No CIS metric filter and alarm: {self.missing}.", account)

    def _fail(self, depth: int, missing: str) -> None:
        if depth >= self.depth:
            self.depth, self.missing = depth, missing

    def _blind(self, type_: str, account: str, region: str) -> None:
        errors = errors_for(self.inventory, type_, account, [region])
        self.unknown += [describe(e) for e in errors]

    def _chain(self, trail: CloudResource) -> Iterator[str]:
        parts = str(trail.attributes.get("cloudwatch_logs_log_group_arn") or "").split(":")
        if len(parts) < 7 or parts[5] != "log-group":
            self._fail(1, f"trail {trail.name} does not send to CloudWatch Logs")
            return
        region, account, group = parts[3], parts[4], parts[6]
        self._blind(FILTER, account, region)
        self._fail(2, f"log group {group} ({region}) has no metric filter covering the CIS pattern")
        for flt in self.index[(FILTER, account, region)]:
            attrs = flt.attributes
            if attrs.get("log_group_name") != group:
                continue
            if not matches(str(attrs.get("filter_pattern", "")), self.required):
                continue
            self._blind(ALARM, account, region)
            for metric in attrs.get("metric_transformations", []):
                name, namespace = metric.get("metric_name"), metric.get("metric_namespace")
                self._fail(3, f"no alarm watches metric {namespace}/{name} of filter {flt.name}")
                for alarm in self.index[(ALARM, account, region)]:
                    if _watches(alarm, name, namespace):
                        yield from self._notified(alarm, flt)

    def _notified(self, alarm: CloudResource, flt: CloudResource) -> Iterator[str]:
        if not alarm.attributes.get("actions_enabled", True):
            self._fail(4, f"alarm {alarm.name} has its actions disabled")
            return
        topics = [a.split(":") for a in alarm.attributes.get("alarm_actions", [])]
        topics = [t for t in topics if len(t) >= 6 and t[2] == "sns"]
        if not topics:
            self._fail(4, f"alarm {alarm.name} notifies no SNS topic")
        for topic in topics:
            arn, region, account = ":".join(topic), topic[3], topic[4]
            if account not in self.scanned:
                self.unknown.append(f"SNS topic {arn} is in an account that was not scanned")
            self._blind(SUBSCRIPTION, account, region)
            self._fail(5, f"SNS topic {arn} of alarm {alarm.name} has no confirmed subscription")
            for sub in self.index[(SUBSCRIPTION, account, region)]:
                if sub.attributes.get("topic_arn") == arn and sub.attributes.get("confirmed"):
                    yield (
                        f"Metric filter {flt.name} on log group {flt.attributes['log_group_name']}"
                        f" ({flt.region}) covers the CIS pattern and alarm {alarm.name} notifies"
                        f" {arn}, which has a confirmed subscription."
                    )
                    return


def _watches(alarm: CloudResource, name: object, namespace: object) -> bool:
    attrs = alarm.attributes
    if attrs.get("metric_name") == name and attrs.get("namespace") == namespace:
        return True
    return any(
        m.get("metric_name") == name and m.get("namespace") == namespace
        for m in attrs.get("metrics", [])
    )
