"""CIS AWS 3.0 5.1: no network ACL lets 0.0.0.0/0 in to TCP 22 (SSH) or 3389 (RDP).

The ACL is evaluated as AWS does, in rule-number order with the first match deciding,
so an allow that an earlier deny shadows does not fail it; an all-traffic rule or a port
range including 22 or 3389 does. CIS 5.1 names only the source 0.0.0.0/0 (its audit
reads "has a Source of 0.0.0.0/0"), and CIS 3.0 has no NACL control for ::/0, so IPv6
entries are not judged here (the exposure analysis still takes them into account).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import result, unseen
from mamori.posture.exposure.netrules import ADMIN_PORTS, TCP, Traffic, acl_allowed


@check(__file__)
class Ec2NetworkaclNoAdminPortsIpv4:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for acl in inventory.of_type(self.metadata.resource_type):
            entries = acl.attributes.get("entries") or []
            open_ = [
                f"rule {d.rule_number} allows {d.traffic.label}"
                for port in ADMIN_PORTS
                for d in acl_allowed(entries, Traffic(TCP, (port, port)), "ipv4")
            ]
            if open_:
                reason = f"Ingress from 0.0.0.0/0 reaches admin ports: {'; '.join(open_)}."
                yield result(Verdict.FAIL, reason, acl)
            else:
                reason = "No ingress from 0.0.0.0/0 reaches TCP 22 or 3389."
                yield result(Verdict.PASS, reason, acl)
