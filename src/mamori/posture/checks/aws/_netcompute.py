"""Helpers for the network and compute checks (private: the registry skips `_` modules)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Result, Verdict
from mamori.posture.exposure.netrules import ADMIN_PORTS, TCP, Family, world_ingress


def result(verdict: Verdict, reason: str, resource: CloudResource) -> Result:
    return Result(
        verdict=verdict,
        reason=reason,
        resource=resource,
        account=resource.account,
        region=resource.region,
    )


def unseen(inventory: Inventory, types: Iterable[str]) -> Iterator[Result]:
    """One MANUAL per (account, region) where a required type could not be collected."""
    for type_ in types:
        for error in inventory.failed(type_):
            yield Result(
                verdict=Verdict.MANUAL,
                reason=f"{type_} could not be collected ({error.kind}: {error.message}).",
                account=error.account,
                region=error.region,
            )


def failed_call(resource: CloudResource, *calls: str) -> str | None:
    """A sentence naming the first of `calls` that failed for this item, if any did."""
    errors = resource.attributes.get("errors") or {}
    for call in calls:
        if call in errors:
            return f"{call} failed for {resource.name} ({errors[call]})."
    return None


def admin_port_rules(group: CloudResource, family: Family) -> list[str]:
    """The group's ingress rules that open TCP 22 or 3389 to 0.0.0.0/0 (or ::/0).

    All-traffic rules and port ranges that include an admin port count, as CIS says.
    """
    return [
        rule.label
        for rule in world_ingress(group.id, group.attributes, family)
        if any(rule.traffic.covers(TCP, port) for port in ADMIN_PORTS)
    ]
