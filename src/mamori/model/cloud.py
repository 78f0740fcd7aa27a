"""Cloud inventory: resources as the provider's APIs describe them, and what failed."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import Field

from mamori.model.common import Frozen, Identity

GLOBAL_REGION = "global"  # resources with no region (IAM); S3 buckets carry their own


class Exposure(Frozen):
    """Whether a resource is reachable from the internet, and the evidence for it."""

    internet: bool
    reasons: tuple[str, ...] = ()  # e.g. "public IP 3.1.2.3", "sg-1 allows 0.0.0.0/0:22"


class CloudResource(Frozen):
    """One resource. `attributes` holds the JSON-compatible facts the checks read."""

    type: str  # "aws.iam.user", "aws.s3.bucket", ...
    id: str
    name: str = ""
    arn: str | None = None
    account: str
    region: str = GLOBAL_REGION
    attributes: dict[str, Any] = Field(default_factory=dict)
    exposure: Exposure | None = None

    @property
    def key(self) -> str:
        """Stable across scans: the ARN, else type/account/region/id."""
        return self.arn or f"{self.type}:{self.account}:{self.region}:{self.id}"

    @property
    def identity(self) -> Identity:
        region = None if self.region == GLOBAL_REGION else self.region
        return Identity(account=self.account, region=region)


class ErrorKind(enum.StrEnum):
    ACCESS_DENIED = "access_denied"
    UNSUPPORTED = "unsupported"  # region or API not available
    THROTTLED = "throttled"
    ERROR = "error"


class CollectionError(Frozen):
    """A resource type that could not be collected in one account and region."""

    type: str
    account: str
    region: str
    kind: ErrorKind
    message: str


class Inventory(Frozen):
    provider: str = "aws"
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    resources: tuple[CloudResource, ...] = ()
    errors: tuple[CollectionError, ...] = ()
    collected_at: datetime | None = None

    def of_type(self, type_: str) -> list[CloudResource]:
        return [r for r in self.resources if r.type == type_]

    def failed(self, type_: str) -> list[CollectionError]:
        """Errors for a type: a check must not report PASS for what it could not see."""
        return [e for e in self.errors if e.type == type_]
