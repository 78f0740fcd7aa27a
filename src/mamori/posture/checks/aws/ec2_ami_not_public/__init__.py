"""No AMI this account owns can be launched by every AWS account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import judge_each


def _judge(image: CloudResource) -> tuple[Verdict, str]:
    # DescribeImages' own Public flag is always there: no per-item call decides this.
    if image.attributes.get("public") is True:
        return Verdict.FAIL, "The AMI is public: any AWS account can launch it."
    shared = image.attributes.get("shared_with") or []
    more = f", shared with {len(shared)} account(s)" if shared else ""
    return Verdict.PASS, f"The AMI is not public{more}."


@check(__file__)
class Ec2AmiNotPublic:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
