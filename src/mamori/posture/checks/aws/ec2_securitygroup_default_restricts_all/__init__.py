"""CIS AWS 3.0 5.4: the default security group of every VPC has no rules at all.

AWS creates it allowing all traffic between its members and all outbound traffic;
CIS wants both rule lists emptied so nothing relies on the group by accident.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import result, unseen


@check(__file__)
class Ec2SecuritygroupDefaultRestrictsAll:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for group in inventory.of_type(self.metadata.resource_type):
            if not group.attributes.get("is_default"):
                continue
            inbound = len(group.attributes.get("ingress") or [])
            outbound = len(group.attributes.get("egress") or [])
            where = group.attributes.get("vpc_id")
            if inbound or outbound:
                reason = (
                    f"Default group of {where} has {inbound} inbound and {outbound} outbound rules."
                )
                yield result(Verdict.FAIL, reason, group)
            else:
                yield result(Verdict.PASS, f"Default group of {where} has no rules.", group)
