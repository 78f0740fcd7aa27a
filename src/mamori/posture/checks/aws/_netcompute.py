"""Helpers for the network and compute checks (private: the registry skips `_` modules)."""

from __future__ import annotations

from mamori.model import CloudResource
from mamori.posture.checks.aws._common import result as result
from mamori.posture.checks.aws._common import unseen as unseen
from mamori.posture.exposure.netrules import ADMIN_PORTS, TCP, Family, world_ingress


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
