"""No EBS snapshot this account owns can be used by every AWS account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import failed_call, judge_each


def _judge(snapshot: CloudResource) -> tuple[Verdict, str]:
    public = snapshot.attributes.get("public")
    if public is None:
        error = failed_call(snapshot, "permissions") or "permissions unknown"
        return Verdict.MANUAL, f"Who may create volumes from it could not be read ({error})."
    if public:
        return Verdict.FAIL, "The snapshot is public: any AWS account can create a volume from it."
    shared = snapshot.attributes.get("shared_with") or []
    more = f", shared with {len(shared)} account(s)" if shared else ""
    return Verdict.PASS, f"The snapshot is not public{more}."


@check(__file__)
class Ec2EbsSnapshotNotPublic:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
