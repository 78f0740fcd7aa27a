"""CIS AWS 3.0 3.8: S3 object-level write events are logged for all buckets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.aws._trails import (
    WRITE,
    account_result,
    accounts,
    records,
    s3_object_events,
)


@check(__file__)
class CloudtrailS3ObjectWriteEventsLogged:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterable[Result]:
        judge = records(s3_object_events, frozenset({WRITE}))
        does = "records S3 object-level write events for all buckets"
        return [account_result(inventory, a, judge, does) for a in accounts(inventory)]
