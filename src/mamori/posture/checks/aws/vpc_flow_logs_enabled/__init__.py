"""CIS AWS 3.0 3.7: every VPC has an active flow log.

CIS audits for "a flow log with status Active" on the VPC itself, whatever its traffic
type; flow logs on single subnets or interfaces do not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import failed_call, result, unseen


@check(__file__)
class VpcFlowLogsEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for vpc in inventory.of_type(self.metadata.resource_type):
            logs = vpc.attributes.get("flow_logs")
            if logs is None:
                why = failed_call(vpc, "DescribeFlowLogs") or "Flow logs were not collected."
                yield result(Verdict.MANUAL, why, vpc)
                continue
            active = [log for log in logs if log.get("status") == "ACTIVE"]
            if active:
                log = active[0]
                reason = f"Flow log {log.get('id')} is active ({log.get('traffic_type')})."
                yield result(Verdict.PASS, reason, vpc)
            elif logs:
                states = ", ".join(f"{log.get('id')} {log.get('status')}" for log in logs)
                yield result(Verdict.FAIL, f"No flow log is active ({states}).", vpc)
            else:
                yield result(Verdict.FAIL, f"VPC {vpc.id} has no flow log.", vpc)
