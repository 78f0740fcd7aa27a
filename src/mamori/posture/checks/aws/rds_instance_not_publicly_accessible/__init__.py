"""CIS AWS 3.0 2.3.3: no RDS instance is publicly accessible from a public subnet.

As in the CIS audit: an instance fails when its PubliclyAccessible flag is set and one
of its subnets routes 0.0.0.0/0 (or ::/0) to an internet gateway. With the flag set
and no such route it passes, saying so; with the flag set and subnets that could not
be seen it is MANUAL; an instance outside any known subnet group fails on the flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import result, unseen
from mamori.posture.exposure.netrules import internet_route

INSTANCE, SUBNET, TABLE = "aws.rds.instance", "aws.ec2.subnet", "aws.ec2.route_table"
Key = tuple[str, str, str, str]  # type, account, region, id


def _judge(db: CloudResource, found: dict[Key, CloudResource]) -> tuple[Verdict, str]:
    if db.attributes.get("publicly_accessible") is not True:
        return Verdict.PASS, "The instance is not publicly accessible."
    subnet_ids = db.attributes.get("subnet_ids") or []
    if not subnet_ids:
        return Verdict.FAIL, "The instance is publicly accessible (its subnets are unknown)."
    unseen_ids = []
    for sid in subnet_ids:
        subnet = found.get((SUBNET, db.account, db.region, sid))
        table_id = None if subnet is None else subnet.attributes.get("route_table_id")
        table = found.get((TABLE, db.account, db.region, str(table_id)))
        if table is None:
            unseen_ids.append(sid)
            continue
        for family in ("ipv4", "ipv6"):
            route = internet_route(table.attributes.get("routes") or [], family)
            if route is not None:
                gateway = route.get("gateway_id")
                why = f"subnet {sid} routes the internet to {gateway}"
                return Verdict.FAIL, f"The instance is publicly accessible and {why}."
    if unseen_ids:
        return Verdict.MANUAL, f"Publicly accessible; routes of {', '.join(unseen_ids)} unseen."
    return Verdict.PASS, "Publicly accessible, but none of its subnets routes to the internet."


@check(__file__)
class RdsInstanceNotPubliclyAccessible:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, [INSTANCE])
        found: dict[Key, CloudResource] = {
            (r.type, r.account, r.region, r.id): r
            for r in inventory.resources
            if r.type in (SUBNET, TABLE)
        }
        for db in inventory.of_type(INSTANCE):
            yield result(*_judge(db, found), db)
