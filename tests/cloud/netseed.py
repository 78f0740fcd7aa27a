"""Seed moto with VPC networks through the EC2 API, as an operator would build them.

Shared by the collector, check and exposure tests: what is seeded here is the oracle
the tests compare against.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import boto3

from tests.cloud.conftest import REGION

AMI = "ami-12c6146b"  # an image moto ships


@dataclass(frozen=True)
class Net:
    vpc: str
    public_subnet: str  # explicit route table with 0.0.0.0/0 and ::/0 -> igw, custom ACL
    private_subnet: str  # the VPC's main route table (local routes only), default ACL
    igw: str
    public_rtb: str
    main_rtb: str
    acl: str  # associated with the public subnet; starts with no entries (denies all)
    default_acl: str


def ec2(aws: boto3.Session) -> Any:
    return aws.client("ec2", region_name=REGION)


def network(aws: boto3.Session, cidr: str = "10.1.0.0/16", name: str = "app") -> Net:
    client = ec2(aws)
    vpc = client.create_vpc(CidrBlock=cidr, AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    client.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": name}])
    v6 = client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]
    block = next(ipaddress.IPv6Network(v6["Ipv6CidrBlock"]).subnets(new_prefix=64))
    base = cidr.rsplit(".", 2)[0]
    public = client.create_subnet(VpcId=vpc, CidrBlock=f"{base}.1.0/24", Ipv6CidrBlock=str(block))[
        "Subnet"
    ]["SubnetId"]
    client.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    private = client.create_subnet(VpcId=vpc, CidrBlock=f"{base}.2.0/24")["Subnet"]["SubnetId"]
    igw = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    client.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    client.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    client.associate_route_table(RouteTableId=rtb, SubnetId=public)
    main = client.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"][0]["RouteTableId"]
    acls = client.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    default = acls["NetworkAcls"][0]
    acl = client.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    assoc = next(a for a in default["Associations"] if a["SubnetId"] == public)
    client.replace_network_acl_association(
        AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl
    )
    return Net(vpc, public, private, igw, rtb, main, acl, default["NetworkAclId"])


def acl_entry(
    aws: boto3.Session,
    acl: str,
    number: int,
    action: str,
    *,
    protocol: str = "6",
    ports: tuple[int, int] | None = None,
    cidr: str = "0.0.0.0/0",
    egress: bool = False,
) -> None:
    args: dict[str, Any] = {
        "NetworkAclId": acl,
        "RuleNumber": number,
        "Protocol": protocol,
        "RuleAction": action,
        "Egress": egress,
    }
    args["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
    if ports is not None:
        args["PortRange"] = {"From": ports[0], "To": ports[1]}
    ec2(aws).create_network_acl_entry(**args)


def group(aws: boto3.Session, vpc: str, name: str, *rules: dict[str, Any]) -> str:
    """A security group with the given IpPermissions as ingress."""
    client = ec2(aws)
    gid = str(client.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"])
    if rules:
        client.authorize_security_group_ingress(GroupId=gid, IpPermissions=list(rules))
    return gid


def tcp(low: int, high: int | None = None, *, v4: str = "", v6: str = "") -> dict[str, Any]:
    """An IpPermission for TCP low-high from the given sources."""
    return {
        "IpProtocol": "tcp",
        "FromPort": low,
        "ToPort": low if high is None else high,
        "IpRanges": [{"CidrIp": v4}] if v4 else [],
        "Ipv6Ranges": [{"CidrIpv6": v6}] if v6 else [],
    }


def instance(
    aws: boto3.Session,
    subnet: str,
    groups: list[str],
    *,
    tokens: str = "required",
    public: bool = True,
    ipv6: str = "",
) -> str:
    """An instance on a new interface in `subnet`: with a public IPv4 address when
    `public`, or, when `ipv6` is given, with that IPv6 address and no public IPv4."""
    client = ec2(aws)
    if ipv6:
        eni = client.create_network_interface(
            SubnetId=subnet, Groups=groups, Ipv6Addresses=[{"Ipv6Address": ipv6}]
        )["NetworkInterface"]["NetworkInterfaceId"]
        nic: dict[str, Any] = {"DeviceIndex": 0, "NetworkInterfaceId": eni}
    else:
        nic = {
            "DeviceIndex": 0,
            "SubnetId": subnet,
            "Groups": groups,
            "AssociatePublicIpAddress": public,
        }
    reply = client.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[nic],
        MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"},
    )
    return str(reply["Instances"][0]["InstanceId"])


def v6_address(aws: boto3.Session, subnet: str, host: int) -> str:
    """An address of the subnet's IPv6 block."""
    block = ec2(aws).describe_subnets(SubnetIds=[subnet])["Subnets"][0]
    cidr = block["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    return str(ipaddress.IPv6Network(cidr)[host])
