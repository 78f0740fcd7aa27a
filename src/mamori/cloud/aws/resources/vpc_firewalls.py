"""VPC traffic filters: security groups (stateful, per interface) and network ACLs
(stateless, per subnet).

aws.ec2.security_group attributes:
    group_name, description, vpc_id (str | None), is_default (the VPC's "default" group)
    ingress, egress: [rule], one rule per IpPermission as AWS returns it:
        {protocol: "tcp" | "udp" | "icmp" | "icmpv6" | "-1" (all) | an IANA number,
         from_port, to_port: int | None (None for all traffic; ICMP type/code for ICMP),
         ipv4_ranges: [cidr], ipv6_ranges: [cidr], groups: [sg id],
         prefix_lists: [prefix list id]}
    tags: {str: str}

aws.ec2.network_acl attributes:
    vpc_id, is_default, subnet_ids: [subnet id] (the subnets associated with it)
    entries: [{rule_number: int, egress: bool, protocol: "-1" | IANA number as a string,
        action: "allow" | "deny", cidr (str | None), ipv6_cidr (str | None),
        port_from, port_to (int | None; TCP/UDP only), icmp_type, icmp_code (int | None)}]
        sorted by (egress, rule_number)
    tags: {str: str}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import tags
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


def _rule(perm: dict[str, Any]) -> dict[str, Any]:
    return {
        "protocol": str(perm.get("IpProtocol", "-1")).lower(),
        "from_port": perm.get("FromPort"),
        "to_port": perm.get("ToPort"),
        "ipv4_ranges": [str(r["CidrIp"]) for r in perm.get("IpRanges", [])],
        "ipv6_ranges": [str(r["CidrIpv6"]) for r in perm.get("Ipv6Ranges", [])],
        "groups": [str(g["GroupId"]) for g in perm.get("UserIdGroupPairs", []) if "GroupId" in g],
        "prefix_lists": [str(p["PrefixListId"]) for p in perm.get("PrefixListIds", [])],
    }


@resource_type(
    "aws.ec2.security_group",
    service="ec2",
    calls=("DescribeSecurityGroups",),
    id_field="GroupId",
)
def security_groups(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("ec2")
    for group in paginate(client, "describe_security_groups", "SecurityGroups"):
        gid = str(group["GroupId"])
        labels = tags(group.get("Tags"))
        yield ctx.resource(
            "aws.ec2.security_group",
            gid,
            name=str(group.get("GroupName") or gid),
            arn=group.get("SecurityGroupArn")
            or ctx.arn("ec2", f"security-group/{gid}", region=ctx.region),
            attributes={
                "group_name": group.get("GroupName"),
                "description": group.get("Description"),
                "vpc_id": group.get("VpcId"),
                "is_default": group.get("GroupName") == "default",
                "ingress": [_rule(p) for p in group.get("IpPermissions", [])],
                "egress": [_rule(p) for p in group.get("IpPermissionsEgress", [])],
                "tags": labels,
            },
        )


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    ports = entry.get("PortRange") or {}
    icmp = entry.get("IcmpTypeCode") or {}
    return {
        "rule_number": int(entry["RuleNumber"]),
        "egress": bool(entry.get("Egress")),
        "protocol": str(entry.get("Protocol", "-1")),
        "action": str(entry.get("RuleAction", "")).lower(),
        "cidr": entry.get("CidrBlock"),
        "ipv6_cidr": entry.get("Ipv6CidrBlock"),
        "port_from": ports.get("From"),
        "port_to": ports.get("To"),
        "icmp_type": icmp.get("Type"),
        "icmp_code": icmp.get("Code"),
    }


@resource_type(
    "aws.ec2.network_acl",
    service="ec2",
    calls=("DescribeNetworkAcls",),
    id_field="NetworkAclId",
)
def network_acls(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("ec2")
    for acl in paginate(client, "describe_network_acls", "NetworkAcls"):
        aid = str(acl["NetworkAclId"])
        labels = tags(acl.get("Tags"))
        entries = sorted(
            (_entry(e) for e in acl.get("Entries", [])),
            key=lambda e: (e["egress"], e["rule_number"]),
        )
        subnets = sorted(str(a["SubnetId"]) for a in acl.get("Associations", []) if "SubnetId" in a)
        yield ctx.resource(
            "aws.ec2.network_acl",
            aid,
            name=labels.get("Name", aid),
            arn=ctx.arn("ec2", f"network-acl/{aid}", region=ctx.region),
            attributes={
                "vpc_id": acl.get("VpcId"),
                "is_default": bool(acl.get("IsDefault")),
                "subnet_ids": subnets,
                "entries": entries,
                "tags": labels,
            },
        )
