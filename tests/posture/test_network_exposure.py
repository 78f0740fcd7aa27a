"""Network exposure: each hop on hand-built resources, then end to end on a moto account."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from mamori.cloud.aws.collect import Target, collect
from mamori.model import CloudResource, CollectionError, ErrorKind, Exposure, Inventory
from mamori.posture.exposure.network import NEEDS, apply_network_exposure
from tests.cloud import computeseed, netseed
from tests.cloud.conftest import ACCOUNT, REGION

ALLOW_ALL = [
    {"rule_number": 100, "egress": e, "protocol": "-1", "action": "allow", "cidr": "0.0.0.0/0"}
    for e in (False, True)
] + [
    {"rule_number": 101, "egress": e, "protocol": "-1", "action": "allow", "ipv6_cidr": "::/0"}
    for e in (False, True)
]
SSH = {"protocol": "tcp", "from_port": 22, "to_port": 22, "ipv4_ranges": ["0.0.0.0/0"]}


def res(type_: str, id_: str, **attributes: Any) -> CloudResource:
    return CloudResource(
        type=f"aws.{type_}", id=id_, account=ACCOUNT, region=REGION, attributes=attributes
    )


def world(**change: Any) -> dict[str, CloudResource]:
    """A public instance: every hop open unless `change` replaces a resource's attributes."""
    parts: dict[str, dict[str, Any]] = {
        "instance": {
            "state": "running",
            "network_interfaces": [
                {
                    "id": "eni-1",
                    "subnet_id": "subnet-1",
                    "security_group_ids": ["sg-1"],
                    "public_ip": "54.1.2.3",
                    "ipv6_addresses": [],
                }
            ],
        },
        "subnet": {"vpc_id": "vpc-1", "route_table_id": "rtb-1", "network_acl_id": "acl-1"},
        "table": {
            "routes": [
                {"destination_cidr": "0.0.0.0/0", "gateway_id": "igw-1", "state": "active"},
                {"destination_ipv6_cidr": "::/0", "gateway_id": "igw-1", "state": "active"},
            ]
        },
        "gateway": {"attachments": [{"vpc_id": "vpc-1", "state": "available"}]},
        "group": {"ingress": [SSH]},
        "acl": {"entries": ALLOW_ALL},
    }
    parts.update(change)
    return {
        "instance": res("ec2.instance", "i-1", **parts["instance"]),
        "subnet": res("ec2.subnet", "subnet-1", **parts["subnet"]),
        "table": res("ec2.route_table", "rtb-1", **parts["table"]),
        "gateway": res("ec2.internet_gateway", "igw-1", **parts["gateway"]),
        "group": res("ec2.security_group", "sg-1", **parts["group"]),
        "acl": res("ec2.network_acl", "acl-1", **parts["acl"]),
    }


def exposure(
    parts: dict[str, CloudResource], errors: tuple[CollectionError, ...] = ()
) -> Exposure | None:
    inv = Inventory(resources=tuple(parts.values()), errors=errors)
    [inst] = apply_network_exposure(inv).of_type("aws.ec2.instance")
    return inst.exposure


def test_every_hop_open_is_reachable_and_each_hop_is_a_reason() -> None:
    assert exposure(world()) == Exposure(
        internet=True,
        reasons=(
            "public IP 54.1.2.3",
            "route 0.0.0.0/0 -> igw-1 in rtb-1",
            "sg-1 allows tcp/22 from 0.0.0.0/0",
            "acl-1 rule 100 allows tcp/22",
        ),
    )


def _eni(**change: Any) -> dict[str, Any]:
    eni = {"id": "eni-1", "subnet_id": "subnet-1", "security_group_ids": ["sg-1"]}
    return {"state": "running", "network_interfaces": [{**eni, **change}]}


NAT = {"destination_cidr": "0.0.0.0/0", "nat_gateway_id": "nat-1", "state": "active"}
DENY_SSH = {"rule_number": 90, "egress": False, "protocol": "6", "action": "deny",
            "cidr": "0.0.0.0/0", "port_from": 22, "port_to": 22}  # fmt: skip
NO_REPLIES = {"rule_number": 50, "egress": True, "protocol": "-1", "action": "deny",
              "cidr": "0.0.0.0/0"}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"instance": _eni(public_ip=None)}, "no public IPv4 or IPv6 address"),
        ({"instance": {**_eni(public_ip="54.1.2.3"), "state": "stopped"}}, "instance is stopped"),
        ({"table": {"routes": [NAT]}}, "no 0.0.0.0/0 route to an internet gateway in rtb-1"),
        ({"gateway": {"attachments": []}}, "igw-1 is not attached to vpc-1"),
        (
            {"group": {"ingress": [{**SSH, "ipv4_ranges": ["10.0.0.0/8"]}]}},
            "no security group of eni-1 allows ingress from 0.0.0.0/0",
        ),
        ({"acl": {"entries": [DENY_SSH, *ALLOW_ALL]}}, "acl-1 lets none of the traffic"),
        ({"acl": {"entries": [NO_REPLIES, *ALLOW_ALL]}}, "acl-1 lets none of the traffic"),
    ],
)
def test_one_closed_hop_is_enough(change: dict[str, Any], why: str) -> None:
    found = exposure(world(**change))
    assert found is not None and found.internet is False
    assert any(r.startswith(why) for r in found.reasons), found.reasons


def test_only_what_both_sg_and_acl_let_through_is_reported() -> None:
    everything = {"protocol": "-1", "ipv4_ranges": ["0.0.0.0/0"]}
    https = {"rule_number": 100, "egress": False, "protocol": "6", "action": "allow",
             "cidr": "0.0.0.0/0", "port_from": 443, "port_to": 443}  # fmt: skip
    found = exposure(
        world(group={"ingress": [everything]}, acl={"entries": [https, *ALLOW_ALL[1:]]})
    )
    assert found is not None and found.internet is True
    assert found.reasons[2:] == (
        "sg-1 allows all traffic from 0.0.0.0/0",
        "acl-1 rule 100 allows tcp/443",
    )


def test_ipv6_path() -> None:
    v6 = _eni(public_ip=None, ipv6_addresses=["2600:1f18::10"])
    ssh6 = {"protocol": "tcp", "from_port": 22, "to_port": 22, "ipv6_ranges": ["::/0"]}
    found = exposure(world(instance=v6, group={"ingress": [ssh6]}))
    assert found == Exposure(
        internet=True,
        reasons=(
            "IPv6 address 2600:1f18::10",
            "route ::/0 -> igw-1 in rtb-1",
            "sg-1 allows tcp/22 from ::/0",
            "acl-1 rule 101 allows tcp/22",
        ),
    )
    closed = exposure(world(instance=v6))  # the group opens 22 to 0.0.0.0/0 only
    assert closed is not None and closed.internet is False


def test_unknown_when_a_needed_type_or_resource_is_missing() -> None:
    parts = world()
    del parts["group"]
    assert exposure(parts) is None
    for type_ in NEEDS:
        error = CollectionError(
            type=type_, account=ACCOUNT, region=REGION, kind=ErrorKind.ERROR, message="x"
        )
        # an instance that was seen is judged even if listing the others failed
        assert (exposure(world(), (error,)) is None) == (type_ != "aws.ec2.instance"), type_
    elsewhere = CollectionError(
        type="aws.ec2.subnet", account=ACCOUNT, region="eu-west-1", kind=ErrorKind.ERROR, message=""
    )
    assert exposure(world(), (elsewhere,)) is not None


def judged(resource: CloudResource) -> Exposure | None:
    [found] = apply_network_exposure(Inventory(resources=(resource,))).resources
    return found.exposure


def test_lambda_eks_and_ecr() -> None:
    url = {"url": "https://x.lambda-url.us-east-1.on.aws/", "auth_type": "NONE"}
    public = ["lambda:InvokeFunctionUrl"]
    fn = judged(res("lambda.function", "f", url=url, policy_public_actions=public, errors={}))
    assert fn is not None and fn.internet is True and "AuthType NONE" in fn.reasons[0]
    unpermitted = judged(res("lambda.function", "f", url=url, policy_public_actions=[]))
    assert unpermitted is not None and unpermitted.internet is False
    signed = judged(res("lambda.function", "f", url={**url, "auth_type": "AWS_IAM"}))
    assert signed is not None and signed.internet is False
    failed = {"GetFunctionUrlConfig": "AccessDenied"}
    assert judged(res("lambda.function", "f", url=None, errors=failed)) is None

    cluster = {"endpoint_public_access": True, "public_access_cidrs": ["0.0.0.0/0"]}
    opened = judged(res("eks.cluster", "c", **cluster))
    assert opened is not None and opened.internet is True
    narrow = judged(res("eks.cluster", "c", **{**cluster, "public_access_cidrs": ["1.2.3.0/24"]}))
    assert narrow is not None and narrow.internet is False

    repo = judged(res("ecr.repository", "r", policy_public_actions=["ecr:*"], errors={}))
    assert repo is not None and repo.internet is True


def test_end_to_end_on_moto(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    netseed.acl_entry(aws, net.acl, 100, "allow", ports=(22, 22))
    netseed.acl_entry(aws, net.acl, 110, "allow", protocol="-1", cidr="::/0")
    netseed.acl_entry(aws, net.acl, 100, "allow", ports=(1024, 65535), egress=True)
    netseed.acl_entry(aws, net.acl, 110, "allow", protocol="-1", cidr="::/0", egress=True)
    ssh = netseed.group(aws, net.vpc, "ssh", netseed.tcp(22, v4="0.0.0.0/0", v6="::/0"))
    web = netseed.group(aws, net.vpc, "web", netseed.tcp(443, v4="0.0.0.0/0"))
    exposed = netseed.instance(aws, net.public_subnet, [ssh])
    unrouted = netseed.instance(aws, net.private_subnet, [ssh])  # public IP, no igw route
    filtered = netseed.instance(aws, net.public_subnet, [web])  # the ACL drops 443
    address = netseed.v6_address(aws, net.public_subnet, 0x20)
    v6 = netseed.instance(aws, net.public_subnet, [ssh], ipv6=address)
    private = netseed.instance(aws, net.public_subnet, [ssh], public=False)
    computeseed.function(aws, "public-fn", url="NONE", public=True)
    computeseed.clusters(aws)

    types = [*NEEDS, "aws.lambda.function", "aws.eks.cluster"]
    inv = apply_network_exposure(collect([target], regions=[REGION], types=types))
    assert not inv.errors
    found = {r.id: r.exposure for r in inv.resources if r.exposure is not None}
    public_ip = next(r for r in inv.of_type("aws.ec2.instance") if r.id == exposed)
    assert found[exposed] == Exposure(
        internet=True,
        reasons=(
            f"public IP {public_ip.attributes['public_ip']}",
            f"route 0.0.0.0/0 -> {net.igw} in {net.public_rtb}",
            f"{ssh} allows tcp/22 from 0.0.0.0/0",
            f"{net.acl} rule 100 allows tcp/22",
        ),
    )
    assert found[unrouted].internet is False
    assert f"no 0.0.0.0/0 route to an internet gateway in {net.main_rtb}" in found[unrouted].reasons
    assert found[filtered].internet is False
    assert found[v6].internet is True and found[v6].reasons[0] == f"IPv6 address {address}"
    assert f"{net.acl} rule 110 allows tcp/22" in found[v6].reasons
    assert found[private] == Exposure(internet=False, reasons=("no public IPv4 or IPv6 address",))
    assert found["public-fn"].internet is True
    assert {c: found[c].internet for c in ("open", "private", "office")} == {
        "open": True,
        "private": False,
        "office": False,
    }
