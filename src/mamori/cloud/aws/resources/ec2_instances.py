"""EC2 instances: state, instance metadata service (IMDS) options, addresses, network.

aws.ec2.instance attributes:
    state: "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated"
    instance_type, image_id, platform (str | None), launch_time (ISO-8601 | None)
    metadata_options: {http_tokens: "required" | "optional", http_endpoint: "enabled" |
        "disabled", hop_limit: int | None, http_protocol_ipv6, instance_metadata_tags}
    public_ip, public_dns (str | None; the primary interface's), private_ip (str | None)
    private_ips: [str] (every interface), ipv6_addresses: [str]
    subnet_id, vpc_id (str | None), security_group_ids: [str] (every interface)
    iam_instance_profile_arn (str | None)
    network_interfaces: [{id, subnet_id, vpc_id, security_group_ids: [str],
        public_ip (str | None), private_ips: [str], ipv6_addresses: [str], primary: bool}]
    tags: {str: str}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import iso, tags
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


def _interface(eni: dict[str, Any]) -> dict[str, Any]:
    privates = [str(p["PrivateIpAddress"]) for p in eni.get("PrivateIpAddresses", [])]
    if not privates and eni.get("PrivateIpAddress"):
        privates = [str(eni["PrivateIpAddress"])]
    public = (eni.get("Association") or {}).get("PublicIp")
    return {
        "id": str(eni["NetworkInterfaceId"]),
        "subnet_id": eni.get("SubnetId"),
        "vpc_id": eni.get("VpcId"),
        "security_group_ids": sorted(str(g["GroupId"]) for g in eni.get("Groups", [])),
        "public_ip": str(public) if public else None,
        "private_ips": privates,
        "ipv6_addresses": [str(a["Ipv6Address"]) for a in eni.get("Ipv6Addresses", [])],
        "primary": (eni.get("Attachment") or {}).get("DeviceIndex") == 0,
    }


def _metadata(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "http_tokens": options.get("HttpTokens"),
        "http_endpoint": options.get("HttpEndpoint"),
        "hop_limit": options.get("HttpPutResponseHopLimit"),
        "http_protocol_ipv6": options.get("HttpProtocolIpv6"),
        "instance_metadata_tags": options.get("InstanceMetadataTags"),
    }


def _attributes(inst: dict[str, Any]) -> dict[str, Any]:
    enis = sorted(
        (_interface(e) for e in inst.get("NetworkInterfaces", [])),
        key=lambda e: (not e["primary"], e["id"]),
    )
    groups = {str(g["GroupId"]) for g in inst.get("SecurityGroups", [])}
    groups.update(g for e in enis for g in e["security_group_ids"])
    return {
        "state": (inst.get("State") or {}).get("Name"),
        "instance_type": inst.get("InstanceType"),
        "image_id": inst.get("ImageId"),
        "platform": inst.get("Platform"),
        "launch_time": iso(inst.get("LaunchTime")),
        "metadata_options": _metadata(inst.get("MetadataOptions") or {}),
        "public_ip": inst.get("PublicIpAddress"),
        "public_dns": inst.get("PublicDnsName") or None,
        "private_ip": inst.get("PrivateIpAddress"),
        "private_ips": sorted({ip for e in enis for ip in e["private_ips"]}),
        "ipv6_addresses": sorted({ip for e in enis for ip in e["ipv6_addresses"]}),
        "subnet_id": inst.get("SubnetId"),
        "vpc_id": inst.get("VpcId"),
        "security_group_ids": sorted(groups),
        "iam_instance_profile_arn": (inst.get("IamInstanceProfile") or {}).get("Arn"),
        "network_interfaces": enis,
        "tags": tags(inst.get("Tags")),
    }


@resource_type(
    "aws.ec2.instance",
    service="ec2",
    calls=("DescribeInstances",),
    id_field="InstanceId",
)
def instances(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("ec2")
    for reservation in paginate(client, "describe_instances", "Reservations"):
        for inst in reservation.get("Instances", []):
            iid = str(inst["InstanceId"])
            attrs = _attributes(inst)
            yield ctx.resource(
                "aws.ec2.instance",
                iid,
                name=attrs["tags"].get("Name", iid),
                arn=ctx.arn("ec2", f"instance/{iid}", region=ctx.region),
                attributes=attrs,
            )
