"""VPC topology and traffic-filter collectors against moto: what was seeded is collected.

The oracle is the seeding (tests/cloud/netseed.py builds a VPC through the EC2 API as an
operator would) plus boto3 reads made here for what moto invents (ids).
Not emulated by moto: a new custom network ACL lists no entries (AWS lists the `*` deny
rules, which mean the same), and the default security group has no self-referencing
ingress rule (AWS creates one).
"""

from __future__ import annotations

from typing import Any

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.model import Inventory
from tests.cloud import netseed
from tests.cloud.conftest import REGION
from tests.cloud.moto_auth import denying, enforced, principal

TYPES = [
    "aws.ec2.vpc",
    "aws.ec2.subnet",
    "aws.ec2.route_table",
    "aws.ec2.internet_gateway",
    "aws.ec2.network_acl",
    "aws.ec2.security_group",
]


def attrs(inv: Inventory, type_: str, id_: str) -> dict[str, Any]:
    found = [r for r in inv.of_type(type_) if r.id == id_]
    assert len(found) == 1, (type_, id_)
    return found[0].attributes


def test_vpcs_with_their_flow_logs(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    other = netseed.network(aws, "10.2.0.0/16", "quiet")
    log = netseed.ec2(aws).create_flow_logs(
        ResourceIds=[net.vpc],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogGroupName="flows",
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flows",
    )["FlowLogIds"][0]
    inv = collect([target], regions=[REGION], types=TYPES)
    assert not inv.errors
    app = attrs(inv, "aws.ec2.vpc", net.vpc)
    assert app["cidr"] == "10.1.0.0/16" and app["cidrs"] == ["10.1.0.0/16"]
    assert len(app["ipv6_cidrs"]) == 1 and app["ipv6_cidrs"][0].endswith("/56")
    assert app["is_default"] is False and app["tags"] == {"Name": "app"}
    assert app["flow_logs"] == [
        {
            "id": log,
            "status": "ACTIVE",
            "traffic_type": "REJECT",
            "destination_type": "cloud-watch-logs",
            "destination": "flows",
            "deliver_logs_status": app["flow_logs"][0]["deliver_logs_status"],
        }
    ]
    assert attrs(inv, "aws.ec2.vpc", other.vpc)["flow_logs"] == []
    defaults = [r for r in inv.of_type("aws.ec2.vpc") if r.attributes["is_default"]]
    assert len(defaults) == 1 and defaults[0].attributes["flow_logs"] == []
    assert next(r for r in inv.of_type("aws.ec2.vpc") if r.id == net.vpc).name == "app"


def test_subnets_resolve_their_route_table_and_acl(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    inv = collect([target], regions=[REGION], types=TYPES)
    public = attrs(inv, "aws.ec2.subnet", net.public_subnet)
    private = attrs(inv, "aws.ec2.subnet", net.private_subnet)
    assert public["route_table_id"] == net.public_rtb and public["route_table_explicit"]
    assert private["route_table_id"] == net.main_rtb and not private["route_table_explicit"]
    assert public["network_acl_id"] == net.acl
    assert private["network_acl_id"] == net.default_acl
    assert public["map_public_ip_on_launch"] and not private["map_public_ip_on_launch"]
    assert public["vpc_id"] == net.vpc and public["cidr"] == "10.1.1.0/24"
    assert len(public["ipv6_cidrs"]) == 1 and private["ipv6_cidrs"] == []


def test_route_tables_and_internet_gateways(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    inv = collect([target], regions=[REGION], types=TYPES)
    public = attrs(inv, "aws.ec2.route_table", net.public_rtb)
    main = attrs(inv, "aws.ec2.route_table", net.main_rtb)
    assert public["main"] is False and public["subnet_ids"] == [net.public_subnet]
    assert main["main"] is True and main["subnet_ids"] == []
    to_igw = {
        (r["destination_cidr"], r["destination_ipv6_cidr"])
        for r in public["routes"]
        if r["gateway_id"] == net.igw
    }
    assert to_igw == {("0.0.0.0/0", None), (None, "::/0")}
    assert {r["gateway_id"] for r in main["routes"]} == {"local"}
    gateway = attrs(inv, "aws.ec2.internet_gateway", net.igw)
    assert [a["vpc_id"] for a in gateway["attachments"]] == [net.vpc]


def test_network_acl_entries(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    netseed.acl_entry(aws, net.acl, 200, "allow", ports=(1024, 65535), egress=True)
    netseed.acl_entry(aws, net.acl, 100, "deny", ports=(22, 22), cidr="0.0.0.0/0")
    netseed.acl_entry(aws, net.acl, 110, "allow", protocol="-1", cidr="::/0")
    inv = collect([target], regions=[REGION], types=TYPES)
    acl = attrs(inv, "aws.ec2.network_acl", net.acl)
    assert acl["subnet_ids"] == [net.public_subnet] and acl["is_default"] is False
    blank = {"icmp_type": None, "icmp_code": None, "cidr": None, "ipv6_cidr": None}
    assert acl["entries"] == [
        {**blank, "rule_number": 100, "egress": False, "protocol": "6", "action": "deny",
         "cidr": "0.0.0.0/0", "port_from": 22, "port_to": 22},
        {**blank, "rule_number": 110, "egress": False, "protocol": "-1", "action": "allow",
         "ipv6_cidr": "::/0", "port_from": None, "port_to": None},
        {**blank, "rule_number": 200, "egress": True, "protocol": "6", "action": "allow",
         "cidr": "0.0.0.0/0", "port_from": 1024, "port_to": 65535},
    ]  # fmt: skip
    default = attrs(inv, "aws.ec2.network_acl", net.default_acl)
    assert default["is_default"] is True and net.private_subnet in default["subnet_ids"]


def test_security_group_rules_are_flattened(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    web = netseed.group(aws, net.vpc, "web", netseed.tcp(22, v4="0.0.0.0/0", v6="::/0"))
    netseed.ec2(aws).authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": web}]}],
    )
    inv = collect([target], regions=[REGION], types=TYPES)
    group = attrs(inv, "aws.ec2.security_group", web)
    assert group["vpc_id"] == net.vpc and group["is_default"] is False
    assert group["ingress"] == [
        {"protocol": "tcp", "from_port": 22, "to_port": 22, "ipv4_ranges": ["0.0.0.0/0"],
         "ipv6_ranges": ["::/0"], "groups": [], "prefix_lists": []},
        {"protocol": "-1", "from_port": None, "to_port": None, "ipv4_ranges": [],
         "ipv6_ranges": [], "groups": [web], "prefix_lists": []},
    ]  # fmt: skip
    assert group["egress"] == [
        {"protocol": "-1", "from_port": None, "to_port": None, "ipv4_ranges": ["0.0.0.0/0"],
         "ipv6_ranges": ["::/0"], "groups": [], "prefix_lists": []},
    ]  # fmt: skip
    defaults = [
        r for r in inv.of_type("aws.ec2.security_group") if r.attributes["vpc_id"] == net.vpc
    ]
    assert {r.name for r in defaults} == {"default", "web"}
    assert [r.attributes["is_default"] for r in defaults if r.name == "default"] == [True]


def test_denied_flow_logs_are_recorded_on_each_vpc(aws: boto3.Session, moto_url: str) -> None:
    net = netseed.network(aws)
    scanner = principal(aws, "scanner", denying("ec2:DescribeFlowLogs"))
    with enforced(moto_url):
        inv = collect(
            [Target(session=scanner, account="123456789012")],
            regions=[REGION],
            types=["aws.ec2.vpc"],
        )
    assert not inv.errors  # the VPCs themselves were seen
    app = attrs(inv, "aws.ec2.vpc", net.vpc)
    assert app["flow_logs"] is None
    assert "DescribeFlowLogs" in app["errors"]
    assert "AccessDenied" in app["errors"]["DescribeFlowLogs"]
