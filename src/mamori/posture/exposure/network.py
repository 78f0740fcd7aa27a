"""Network exposure: which instances, Lambda function URLs, EKS endpoints and ECR
repositories the internet can reach, with each hop of the evidence as a reason.

An instance is reachable when, for one of its network interfaces and one address family:
it has a public IPv4 address (or an IPv6 address), its subnet's route table sends
0.0.0.0/0 (::/0) to an internet gateway, one of the interface's security groups allows
ingress from 0.0.0.0/0 (::/0), and the subnet's network ACL lets some of that traffic in
and lets the responses out (netrules). When a resource type needed to judge an instance
could not be collected in its region, or a resource it refers to is missing, its
exposure stays None (unknown) rather than a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from mamori.model import CloudResource, Exposure, Inventory
from mamori.posture.exposure.netrules import (
    ALL,
    OTHER,
    PORTED,
    Family,
    Traffic,
    acl_allowed,
    internet_route,
    world_ingress,
)

INSTANCE = "aws.ec2.instance"
NETWORK = (  # what judging an instance reads besides the instance itself
    "aws.ec2.security_group",
    "aws.ec2.subnet",
    "aws.ec2.route_table",
    "aws.ec2.network_acl",
    "aws.ec2.internet_gateway",
)
NEEDS = (INSTANCE, *NETWORK)  # the types to collect for instance exposure
RUNNING = ("pending", "running")
EPHEMERAL = (1024, 65535)  # response ports a stateless ACL must let out

Verdict = tuple[bool | None, list[str]]  # (exposed; None: cannot tell), reasons


class _Index:
    def __init__(self, inventory: Inventory) -> None:
        self._by: dict[tuple[str, str, str, str], CloudResource] = {
            (r.type, r.account, r.region, r.id): r for r in inventory.resources
        }

    def get(self, near: CloudResource, type_: str, id_: Any) -> CloudResource | None:
        return self._by.get((type_, near.account, near.region, str(id_)))


def apply_network_exposure(inventory: Inventory) -> Inventory:
    """The inventory with `exposure` set on instances, functions, clusters, repositories."""
    index = _Index(inventory)
    blind = {(e.account, e.region) for e in inventory.errors if e.type in NETWORK}
    judges = {
        "aws.lambda.function": _function,
        "aws.eks.cluster": _cluster,
        "aws.ecr.repository": _repository,
    }
    resources: list[CloudResource] = []
    for res in inventory.resources:
        exposure: Exposure | None = None
        if res.type == INSTANCE and (res.account, res.region) not in blind:
            exposure = _instance(res, index)
        elif res.type in judges:
            exposure = judges[res.type](res.attributes)
        resources.append(res if exposure is None else res.model_copy(update={"exposure": exposure}))
    return inventory.model_copy(update={"resources": tuple(resources)})


def _instance(inst: CloudResource, index: _Index) -> Exposure | None:
    attrs = inst.attributes
    if attrs.get("state") not in RUNNING:
        return Exposure(internet=False, reasons=(f"instance is {attrs.get('state')}",))
    interfaces = attrs.get("network_interfaces") or []
    exposed: list[str] = []
    closed: list[str] = []
    unknown = False
    for eni in interfaces:
        paths: list[tuple[Family, str | None, str]] = [
            ("ipv4", eni.get("public_ip"), "public IP"),
            *(("ipv6", a, "IPv6 address") for a in eni.get("ipv6_addresses") or []),
        ]
        for family, address, kind in paths:
            if not address:
                continue
            verdict, reasons = _path(inst, eni, family, index)
            if verdict is None:
                unknown = True
            elif verdict:
                exposed += [f"{kind} {address}", *reasons]
            else:
                closed += [f"{kind} {address}", *reasons]
    if exposed:
        return Exposure(internet=True, reasons=tuple(exposed))
    if unknown:
        return None
    if not closed:
        return Exposure(internet=False, reasons=("no public IPv4 or IPv6 address",))
    return Exposure(internet=False, reasons=tuple(closed))


def _path(inst: CloudResource, eni: Mapping[str, Any], family: Family, index: _Index) -> Verdict:
    """Whether the internet reaches this interface over `family`, and why (not)."""
    subnet = index.get(inst, "aws.ec2.subnet", eni.get("subnet_id"))
    if subnet is None or subnet.attributes.get("errors"):
        return None, []
    table = index.get(inst, "aws.ec2.route_table", subnet.attributes.get("route_table_id"))
    acl = index.get(inst, "aws.ec2.network_acl", subnet.attributes.get("network_acl_id"))
    groups = [
        index.get(inst, "aws.ec2.security_group", g) for g in eni.get("security_group_ids") or []
    ]
    if table is None or acl is None or any(g is None for g in groups):
        return None, []
    world = "0.0.0.0/0" if family == "ipv4" else "::/0"
    route = internet_route(table.attributes.get("routes") or [], family)
    if route is None:
        return False, [f"no {world} route to an internet gateway in {table.id}"]
    gateway = index.get(inst, "aws.ec2.internet_gateway", route["gateway_id"])
    vpcs = [a.get("vpc_id") for a in (gateway.attributes if gateway else {}).get("attachments", [])]
    if gateway is not None and subnet.attributes.get("vpc_id") not in vpcs:
        return False, [f"{gateway.id} is not attached to {subnet.attributes.get('vpc_id')}"]
    hop = f"route {world} -> {route['gateway_id']} in {table.id}"
    opened = [
        rule for g in groups if g is not None for rule in world_ingress(g.id, g.attributes, family)
    ]
    if not opened:
        return False, [hop, f"no security group of {eni.get('id')} allows ingress from {world}"]
    entries = acl.attributes.get("entries") or []
    through: list[str] = []
    for rule in opened:
        decisions = acl_allowed(entries, rule.traffic, family)
        answered = [d for d in decisions if _responses_allowed(entries, d.traffic, family)]
        if answered:
            through.append(rule.label)
            through += [f"{acl.id} rule {d.rule_number} allows {d.traffic.label}" for d in answered]
    if not through:
        return False, [
            hop,
            f"{acl.id} lets none of the traffic the security groups allow from {world} in and out",
        ]
    return True, [hop, *dict.fromkeys(through)]


def _responses_allowed(entries: list[Any], inbound: Traffic, family: Family) -> bool:
    """Whether the stateless ACL lets replies to `inbound` traffic out to the internet."""
    if inbound.protocol in PORTED:
        reply = Traffic(inbound.protocol, EPHEMERAL)
    elif inbound.protocol in (ALL, OTHER):
        reply = Traffic(ALL)
    else:
        reply = Traffic(inbound.protocol)
    return bool(acl_allowed(entries, reply, family, egress=True))


def _allows(actions: list[str], wanted: str) -> bool:
    return any(fnmatchcase(wanted.lower(), str(a).lower()) for a in actions)


def _function(attrs: Mapping[str, Any]) -> Exposure | None:
    errors = attrs.get("errors") or {}
    url = attrs.get("url")
    if "GetFunctionUrlConfig" in errors:
        return None
    if not url:
        return Exposure(internet=False, reasons=("no function URL",))
    if url.get("auth_type") != "NONE":
        return Exposure(
            internet=False, reasons=(f"function URL requires {url.get('auth_type')} auth",)
        )
    if "GetPolicy" in errors:
        return None
    first = f"function URL {url.get('url')} has AuthType NONE"
    if _allows(attrs.get("policy_public_actions") or [], "lambda:InvokeFunctionUrl"):
        return Exposure(
            internet=True,
            reasons=(first, "resource policy allows lambda:InvokeFunctionUrl to any principal"),
        )
    return Exposure(
        internet=False,
        reasons=(first, "but no resource policy statement allows anyone lambda:InvokeFunctionUrl"),
    )


def _cluster(attrs: Mapping[str, Any]) -> Exposure | None:
    if attrs.get("errors"):
        return None
    cidrs = list(attrs.get("public_access_cidrs") or [])
    if not attrs.get("endpoint_public_access"):
        return Exposure(internet=False, reasons=("API endpoint is private only",))
    if "0.0.0.0/0" in cidrs:
        return Exposure(
            internet=True,
            reasons=(
                f"public API endpoint {attrs.get('endpoint')}",
                "public access from 0.0.0.0/0",
            ),
        )
    return Exposure(
        internet=False, reasons=(f"public API endpoint restricted to {', '.join(cidrs)}",)
    )


def _repository(attrs: Mapping[str, Any]) -> Exposure | None:
    if "GetRepositoryPolicy" in (attrs.get("errors") or {}):
        return None
    if _allows(attrs.get("policy_public_actions") or [], "ecr:BatchGetImage"):
        return Exposure(
            internet=True, reasons=("repository policy allows anyone ecr:BatchGetImage (pull)",)
        )
    return Exposure(internet=False, reasons=("repository policy grants no public pull",))
