"""CIS AWS 3.0 5.6: instances accept only IMDSv2 (session tokens), or no IMDS at all.

Terminated instances, which AWS still lists for about an hour, are not judged. Launch
templates and launch configurations (`aws.ec2.launch_template`,
`aws.autoscaling.launch_configuration`: no collector yet, the IaC scan reads them) carry
the same `metadata_options` and are judged the same way when the inventory holds them:
every instance launched from one gets its options.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import result, unseen

# types without a collector, so not in `requires`: judged when an inventory holds them
TEMPLATE_TYPES = ("aws.ec2.launch_template", "aws.autoscaling.launch_configuration")


@check(__file__)
class Ec2InstanceImdsv2Required:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        judged = [*inventory.of_type(self.metadata.resource_type)]
        for type_ in TEMPLATE_TYPES:
            judged.extend(inventory.of_type(type_))
        for inst in judged:
            if inst.attributes.get("state") == "terminated":
                continue
            options = inst.attributes.get("metadata_options") or {}
            tokens, endpoint = options.get("http_tokens"), options.get("http_endpoint")
            if endpoint == "disabled":
                yield result(Verdict.PASS, "The instance metadata service is disabled.", inst)
            elif tokens == "required":
                yield result(Verdict.PASS, "IMDSv2 is required (HttpTokens required).", inst)
            elif tokens is None:
                yield result(Verdict.MANUAL, "AWS reported no metadata options.", inst)
            else:
                reason = f"IMDSv1 is allowed (HttpTokens {tokens}, endpoint {endpoint})."
                yield result(Verdict.FAIL, reason, inst)
