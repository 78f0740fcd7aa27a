"""EKS cluster API endpoints are not open to the whole internet.

Failing: public endpoint access enabled with 0.0.0.0/0 among the allowed CIDRs (what
AWS reports when public access is unrestricted). A public endpoint limited to chosen
CIDRs, or a private-only endpoint, passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import failed_call, result, unseen


@check(__file__)
class EksClusterEndpointNotPublic:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for cluster in inventory.of_type(self.metadata.resource_type):
            cidrs = cluster.attributes.get("public_access_cidrs") or []
            if failed := failed_call(cluster, "DescribeCluster"):
                yield result(Verdict.MANUAL, failed, cluster)
            elif not cluster.attributes.get("endpoint_public_access"):
                yield result(Verdict.PASS, "The API endpoint is private only.", cluster)
            elif "0.0.0.0/0" in cidrs:
                reason = "The API endpoint is public and open to 0.0.0.0/0."
                yield result(Verdict.FAIL, reason, cluster)
            else:
                reason = f"The public API endpoint is limited to {', '.join(cidrs)}."
                yield result(Verdict.PASS, reason, cluster)
