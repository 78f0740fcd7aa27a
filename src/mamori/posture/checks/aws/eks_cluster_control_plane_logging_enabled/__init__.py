"""EKS clusters send every control-plane log type to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import failed_call, result, unseen

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


@check(__file__)
class EksClusterControlPlaneLoggingEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for cluster in inventory.of_type(self.metadata.resource_type):
            enabled = set(cluster.attributes.get("logging_enabled") or [])
            missing = [t for t in LOG_TYPES if t not in enabled]
            if failed := failed_call(cluster, "DescribeCluster"):
                yield result(Verdict.MANUAL, failed, cluster)
            elif missing:
                reason = f"Control-plane logs not enabled: {', '.join(missing)}."
                yield result(Verdict.FAIL, reason, cluster)
            else:
                yield result(Verdict.PASS, "All five control-plane log types are enabled.", cluster)
