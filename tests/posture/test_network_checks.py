"""CIS AWS 3.0 3.7 and 5.x network checks, each on a moto account seeded with passing
and failing resources: collect, run the check, expect the exact verdict per resource.

moto differs from AWS in ways these tests meet: the default security group has no
self-referencing ingress rule, and the default network ACLs carry no IPv6 entries.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.model import CloudResource, CollectionError, ErrorKind, Inventory
from mamori.posture.check import Result, Verdict, checks
from tests.cloud import netseed
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.moto_auth import denying, enforced, principal
from tests.cloud.netseed import tcp

PASS, FAIL, MANUAL = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL


def run(target: Target, check_id: str) -> tuple[Inventory, list[Result]]:
    cls = checks.get(check_id)
    inv = collect([target], regions=[REGION], types=cls.metadata.requires)
    assert not inv.errors
    return inv, list(cls().run(inv))


def verdicts(results: list[Result]) -> dict[str, Verdict]:
    found = {r.resource.id: r.verdict for r in results if r.resource is not None}
    assert len(found) == len(results), "one result per resource"
    return found


def test_vpc_flow_logs_enabled(aws: boto3.Session, target: Target) -> None:
    logged = netseed.network(aws)
    netseed.ec2(aws).create_flow_logs(
        ResourceIds=[logged.vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="flows",
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/flows",
    )
    inv, results = run(target, "vpc_flow_logs_enabled")
    default = next(r.id for r in inv.of_type("aws.ec2.vpc") if r.attributes["is_default"])
    assert verdicts(results) == {logged.vpc: PASS, default: FAIL}


def test_vpc_flow_logs_that_are_not_active_fail() -> None:
    logs = [{"id": "fl-1", "status": "ERROR", "traffic_type": "ALL"}]
    vpc = CloudResource(
        type="aws.ec2.vpc", id="vpc-1", account=ACCOUNT, region=REGION,
        attributes={"flow_logs": logs, "errors": {}},
    )  # fmt: skip
    inv = Inventory(accounts=(ACCOUNT,), regions=(REGION,), resources=(vpc,))
    [result] = checks.get("vpc_flow_logs_enabled")().run(inv)
    assert result.verdict == FAIL and "fl-1 ERROR" in result.reason


def test_vpc_flow_logs_unreadable_is_manual(aws: boto3.Session, moto_url: str) -> None:
    netseed.network(aws)
    scanner = principal(aws, "scanner", denying("ec2:DescribeFlowLogs"))
    with enforced(moto_url):
        _, results = run(Target(session=scanner, account=ACCOUNT), "vpc_flow_logs_enabled")
    assert len(results) == 2 and {r.verdict for r in results} == {MANUAL}
    assert all("DescribeFlowLogs failed" in r.reason for r in results)


def test_networkacl_no_admin_ports_ipv4(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    create = netseed.ec2(aws).create_network_acl
    wide = net.acl  # a port range that includes 22 and 3389
    netseed.acl_entry(aws, wide, 100, "allow", ports=(0, 4000))
    shadowed = create(VpcId=net.vpc)["NetworkAcl"]["NetworkAclId"]  # denies come first
    netseed.acl_entry(aws, shadowed, 50, "deny", ports=(22, 22))
    netseed.acl_entry(aws, shadowed, 60, "deny", ports=(3389, 3389))
    netseed.acl_entry(aws, shadowed, 100, "allow", protocol="-1")
    rdp = create(VpcId=net.vpc)["NetworkAcl"]["NetworkAclId"]  # only 3389 open
    netseed.acl_entry(aws, rdp, 100, "allow", ports=(3389, 3389))
    other = create(VpcId=net.vpc)["NetworkAcl"]["NetworkAclId"]  # narrow source, IPv6, UDP
    netseed.acl_entry(aws, other, 100, "allow", ports=(22, 22), cidr="10.0.0.0/8")
    netseed.acl_entry(aws, other, 110, "allow", protocol="-1", cidr="::/0")
    netseed.acl_entry(aws, other, 120, "allow", protocol="17", ports=(0, 65535))
    inv, results = run(target, "ec2_networkacl_no_admin_ports_ipv4")
    defaults = {r.id for r in inv.of_type("aws.ec2.network_acl") if r.attributes["is_default"]}
    assert len(defaults) == 2  # the default VPC's and the seeded VPC's: allow all traffic
    assert verdicts(results) == {
        wide: FAIL,
        shadowed: PASS,
        rdp: FAIL,
        other: PASS,
        **dict.fromkeys(defaults, FAIL),
    }
    reasons = {r.resource.id: r.reason for r in results if r.resource is not None}
    assert "rule 100 allows tcp/22" in reasons[wide] and "tcp/3389" in reasons[wide]
    assert "tcp/22" not in reasons[rdp] and "rule 100 allows tcp/3389" in reasons[rdp]


def test_securitygroup_admin_ports_ipv4_and_ipv6(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    everything = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    everything6 = {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    udp = {
        "IpProtocol": "udp",
        "FromPort": 3389,
        "ToPort": 3389,
        "IpRanges": everything["IpRanges"],
    }
    seeded = {
        "ssh4": netseed.group(aws, net.vpc, "ssh4", tcp(22, v4="0.0.0.0/0")),
        "rdp6": netseed.group(aws, net.vpc, "rdp6", tcp(3389, v6="::/0")),
        "range4": netseed.group(aws, net.vpc, "range4", tcp(0, 1024, v4="0.0.0.0/0")),
        "all": netseed.group(aws, net.vpc, "all", everything, everything6),
        "web": netseed.group(aws, net.vpc, "web", tcp(443, v4="0.0.0.0/0", v6="::/0")),
        "narrow": netseed.group(aws, net.vpc, "narrow", tcp(22, v4="10.0.0.0/8", v6="fd00::/8")),
        "udp": netseed.group(aws, net.vpc, "udp", udp),
    }
    expected4 = {"ssh4": FAIL, "range4": FAIL, "all": FAIL}
    expected6 = {"rdp6": FAIL, "all": FAIL}
    for check_id, failing in (
        ("ec2_securitygroup_no_admin_ports_ipv4", expected4),
        ("ec2_securitygroup_no_admin_ports_ipv6", expected6),
    ):
        inv, results = run(target, check_id)
        found = verdicts(results)
        defaults = {r.id for r in inv.of_type("aws.ec2.security_group")} - set(seeded.values())
        assert {found[d] for d in defaults} == {PASS}, check_id
        assert {name: found[gid] for name, gid in seeded.items()} == {
            name: failing.get(name, PASS) for name in seeded
        }, check_id


def test_securitygroup_default_restricts_all(aws: boto3.Session, target: Target) -> None:
    closed = netseed.network(aws)
    opened = netseed.network(aws, "10.2.0.0/16", "opened")
    ec2 = netseed.ec2(aws)

    def default_group(vpc: str) -> str:
        return str(
            ec2.describe_security_groups(
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc]},
                    {"Name": "group-name", "Values": ["default"]},
                ]
            )["SecurityGroups"][0]["GroupId"]
        )

    everything = [
        {
            "IpProtocol": "-1",
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        }
    ]
    for vpc in (closed.vpc, opened.vpc):
        ec2.revoke_security_group_egress(GroupId=default_group(vpc), IpPermissions=everything)
    ec2.authorize_security_group_ingress(
        GroupId=default_group(opened.vpc), IpPermissions=[tcp(80, v4="10.0.0.0/8")]
    )
    custom = netseed.group(aws, closed.vpc, "custom", tcp(22, v4="0.0.0.0/0"))
    inv, results = run(target, "ec2_securitygroup_default_restricts_all")
    untouched = next(
        r.id
        for r in inv.of_type("aws.ec2.security_group")
        if r.attributes["is_default"] and r.attributes["vpc_id"] not in (closed.vpc, opened.vpc)
    )
    found = verdicts(results)
    assert found == {
        default_group(closed.vpc): PASS,
        default_group(opened.vpc): FAIL,
        untouched: FAIL,  # the default VPC's group still allows all outbound traffic
    }
    assert custom not in found


def test_instance_imdsv2_required(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    v2 = netseed.instance(aws, net.private_subnet, [], public=False)
    v1 = netseed.instance(aws, net.private_subnet, [], tokens="optional", public=False)
    off = netseed.instance(aws, net.private_subnet, [], tokens="optional", public=False)
    gone = netseed.instance(aws, net.private_subnet, [], tokens="optional", public=False)
    ec2 = netseed.ec2(aws)
    ec2.modify_instance_metadata_options(
        InstanceId=off, HttpTokens="optional", HttpEndpoint="disabled"
    )
    ec2.terminate_instances(InstanceIds=[gone])
    _, results = run(target, "ec2_instance_imdsv2_required")
    assert verdicts(results) == {v2: PASS, v1: FAIL, off: PASS}


def test_a_region_that_could_not_be_read_is_manual() -> None:
    group = CloudResource(
        type="aws.ec2.security_group", id="sg-1", account=ACCOUNT, region=REGION,
        attributes={"ingress": [], "egress": [], "is_default": False},
    )  # fmt: skip
    error = CollectionError(
        type="aws.ec2.security_group",
        account=ACCOUNT,
        region="eu-west-3",
        kind=ErrorKind.ACCESS_DENIED,
        message="UnauthorizedOperation: no",
    )
    inv = Inventory(
        accounts=(ACCOUNT,), regions=(REGION, "eu-west-3"), resources=(group,), errors=(error,)
    )
    results = list(checks.get("ec2_securitygroup_no_admin_ports_ipv4")().run(inv))
    assert [(r.verdict, r.region, r.resource) for r in results] == [
        (MANUAL, "eu-west-3", None),
        (PASS, REGION, group),
    ]
    assert "UnauthorizedOperation" in results[0].reason
