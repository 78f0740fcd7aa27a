"""VPC topology: VPCs with their flow logs, subnets, route tables, internet gateways.

aws.ec2.vpc attributes:
    cidr (str), cidrs: [str] (every associated IPv4 block), ipv6_cidrs: [str]
    is_default (bool), state, tags: {str: str}
    flow_logs: [{id, status: "ACTIVE" | ..., traffic_type: "ACCEPT" | "REJECT" | "ALL",
        destination_type: "cloud-watch-logs" | "s3" | "kinesis-data-firehose",
        destination (str | None), deliver_logs_status (str | None)}]
        the flow logs whose resource is this VPC; None when DescribeFlowLogs failed
    errors: {call: message} for a per-VPC sub-call that failed (DescribeFlowLogs)

aws.ec2.subnet attributes:
    vpc_id, cidr, ipv6_cidrs: [str], availability_zone, default_for_az (bool),
    map_public_ip_on_launch (bool), assign_ipv6_on_creation (bool)
    route_table_id (str | None): the explicitly associated table, else the VPC's main one
    route_table_explicit (bool), network_acl_id (str | None), tags: {str: str}
    errors: {call: message} when the route tables or network ACLs could not be read

aws.ec2.route_table attributes:
    vpc_id, main (bool: the VPC's main table), subnet_ids: [str] (explicit associations)
    associations: [{id, subnet_id, gateway_id, main: bool, state}]
    routes: [{destination_cidr, destination_ipv6_cidr, destination_prefix_list,
        gateway_id ("igw-..." | "local" | "vgw-..." | None), nat_gateway_id,
        egress_only_internet_gateway_id, vpc_peering_connection_id, transit_gateway_id,
        network_interface_id, instance_id, state ("active" | "blackhole"), origin}]
    tags: {str: str}

aws.ec2.internet_gateway attributes:
    attachments: [{vpc_id, state}], tags: {str: str}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import attempt, tags
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

GONE = frozenset({"disassociating", "disassociated", "failing", "failed"})


def _flow_log(log: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": log.get("FlowLogId"),
        "status": log.get("FlowLogStatus"),
        "traffic_type": log.get("TrafficType"),
        "destination_type": log.get("LogDestinationType"),
        "destination": log.get("LogDestination") or log.get("LogGroupName"),
        "deliver_logs_status": log.get("DeliverLogsStatus"),
    }


@resource_type(
    "aws.ec2.vpc",
    service="ec2",
    calls=("DescribeVpcs", "DescribeFlowLogs"),
    id_field="VpcId",
)
def vpcs(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("ec2")
    found = paginate(client, "describe_vpcs", "Vpcs")
    errors: dict[str, str] = {}
    logs = attempt(
        errors, "DescribeFlowLogs", lambda: paginate(client, "describe_flow_logs", "FlowLogs")
    )
    by_vpc: dict[str, list[dict[str, Any]]] = {}
    for log in logs or []:
        by_vpc.setdefault(str(log.get("ResourceId")), []).append(_flow_log(log))
    for vpc in found:
        vid = str(vpc["VpcId"])
        labels = tags(vpc.get("Tags"))
        v4 = [a for a in vpc.get("CidrBlockAssociationSet", []) if _associated(a, "CidrBlockState")]
        v6 = [
            a
            for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
            if _associated(a, "Ipv6CidrBlockState")
        ]
        yield ctx.resource(
            "aws.ec2.vpc",
            vid,
            name=labels.get("Name", vid),
            arn=ctx.arn("ec2", f"vpc/{vid}", region=ctx.region),
            attributes={
                "cidr": vpc.get("CidrBlock"),
                "cidrs": sorted(str(a["CidrBlock"]) for a in v4),
                "ipv6_cidrs": sorted(str(a["Ipv6CidrBlock"]) for a in v6),
                "is_default": bool(vpc.get("IsDefault")),
                "state": vpc.get("State"),
                "flow_logs": None if logs is None else by_vpc.get(vid, []),
                "errors": dict(errors),
                "tags": labels,
            },
        )


def _associated(assoc: dict[str, Any], key: str) -> bool:
    """Not on its way out: "associated" or "associating" (blocks being removed, or that
    failed to attach, are not the network's)."""
    return str((assoc.get(key) or {}).get("State", "")) not in GONE


@resource_type(
    "aws.ec2.subnet",
    service="ec2",
    calls=("DescribeSubnets", "DescribeRouteTables", "DescribeNetworkAcls"),
    id_field="SubnetId",
)
def subnets(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("ec2")
    found = paginate(client, "describe_subnets", "Subnets")
    errors: dict[str, str] = {}
    tables = attempt(
        errors,
        "DescribeRouteTables",
        lambda: paginate(client, "describe_route_tables", "RouteTables"),
    )
    acls = attempt(
        errors,
        "DescribeNetworkAcls",
        lambda: paginate(client, "describe_network_acls", "NetworkAcls"),
    )
    explicit: dict[str, str] = {}
    main: dict[str, str] = {}
    for table in tables or []:
        for assoc in table.get("Associations", []):
            if assoc.get("Main"):
                main[str(table.get("VpcId"))] = str(table["RouteTableId"])
            elif assoc.get("SubnetId"):
                explicit[str(assoc["SubnetId"])] = str(table["RouteTableId"])
    acl_of = {
        str(a["SubnetId"]): str(acl["NetworkAclId"])
        for acl in acls or []
        for a in acl.get("Associations", [])
        if "SubnetId" in a
    }
    for subnet in found:
        sid = str(subnet["SubnetId"])
        labels = tags(subnet.get("Tags"))
        v6 = subnet.get("Ipv6CidrBlockAssociationSet", [])
        yield ctx.resource(
            "aws.ec2.subnet",
            sid,
            name=labels.get("Name", sid),
            arn=subnet.get("SubnetArn") or ctx.arn("ec2", f"subnet/{sid}", region=ctx.region),
            attributes={
                "vpc_id": subnet.get("VpcId"),
                "cidr": subnet.get("CidrBlock"),
                "ipv6_cidrs": sorted(
                    str(a["Ipv6CidrBlock"]) for a in v6 if _associated(a, "Ipv6CidrBlockState")
                ),
                "availability_zone": subnet.get("AvailabilityZone"),
                "default_for_az": bool(subnet.get("DefaultForAz")),
                "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
                "assign_ipv6_on_creation": bool(subnet.get("AssignIpv6AddressOnCreation")),
                "route_table_id": explicit.get(sid) or main.get(str(subnet.get("VpcId"))),
                "route_table_explicit": sid in explicit,
                "network_acl_id": acl_of.get(sid),
                "errors": dict(errors),
                "tags": labels,
            },
        )


def _route(route: dict[str, Any]) -> dict[str, Any]:
    return {
        "destination_cidr": route.get("DestinationCidrBlock"),
        "destination_ipv6_cidr": route.get("DestinationIpv6CidrBlock"),
        "destination_prefix_list": route.get("DestinationPrefixListId"),
        "gateway_id": route.get("GatewayId"),
        "nat_gateway_id": route.get("NatGatewayId"),
        "egress_only_internet_gateway_id": route.get("EgressOnlyInternetGatewayId"),
        "vpc_peering_connection_id": route.get("VpcPeeringConnectionId"),
        "transit_gateway_id": route.get("TransitGatewayId"),
        "network_interface_id": route.get("NetworkInterfaceId"),
        "instance_id": route.get("InstanceId"),
        "state": route.get("State"),
        "origin": route.get("Origin"),
    }


@resource_type(
    "aws.ec2.route_table",
    service="ec2",
    calls=("DescribeRouteTables",),
    id_field="RouteTableId",
)
def route_tables(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("ec2")
    for table in paginate(client, "describe_route_tables", "RouteTables"):
        rid = str(table["RouteTableId"])
        labels = tags(table.get("Tags"))
        assocs = [
            {
                "id": a.get("RouteTableAssociationId"),
                "subnet_id": a.get("SubnetId"),
                "gateway_id": a.get("GatewayId"),
                "main": bool(a.get("Main")),
                "state": (a.get("AssociationState") or {}).get("State"),
            }
            for a in table.get("Associations", [])
        ]
        yield ctx.resource(
            "aws.ec2.route_table",
            rid,
            name=labels.get("Name", rid),
            arn=ctx.arn("ec2", f"route-table/{rid}", region=ctx.region),
            attributes={
                "vpc_id": table.get("VpcId"),
                "main": any(a["main"] for a in assocs),
                "subnet_ids": sorted(str(a["subnet_id"]) for a in assocs if a["subnet_id"]),
                "associations": assocs,
                "routes": [_route(r) for r in table.get("Routes", [])],
                "tags": labels,
            },
        )


@resource_type(
    "aws.ec2.internet_gateway",
    service="ec2",
    calls=("DescribeInternetGateways",),
    id_field="InternetGatewayId",
)
def internet_gateways(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("ec2")
    for gateway in paginate(client, "describe_internet_gateways", "InternetGateways"):
        gid = str(gateway["InternetGatewayId"])
        labels = tags(gateway.get("Tags"))
        yield ctx.resource(
            "aws.ec2.internet_gateway",
            gid,
            name=labels.get("Name", gid),
            arn=ctx.arn("ec2", f"internet-gateway/{gid}", region=ctx.region),
            attributes={
                "attachments": [
                    {"vpc_id": a.get("VpcId"), "state": a.get("State")}
                    for a in gateway.get("Attachments", [])
                ],
                "tags": labels,
            },
        )
