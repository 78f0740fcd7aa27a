"""CIS AWS 3.0 5.2: no security group lets 0.0.0.0/0 in to TCP 22 (SSH) or 3389 (RDP).

A rule for all traffic, or a TCP port range that includes 22 or 3389, counts too. Only
the exact source 0.0.0.0/0 is judged here; CIS keeps 0.0.0.0/0 and ::/0 as separate
controls (5.2 and 5.3).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import admin_port_rules, result, unseen


@check(__file__)
class Ec2SecuritygroupNoAdminPortsIpv4:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for group in inventory.of_type(self.metadata.resource_type):
            rules = admin_port_rules(group, "ipv4")
            if rules:
                yield result(Verdict.FAIL, f"Admin ports open: {'; '.join(rules)}.", group)
            else:
                reason = "No ingress rule opens TCP 22 or 3389 to 0.0.0.0/0."
                yield result(Verdict.PASS, reason, group)
