"""What a collector gets: a boto3 session scoped to one account and region."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from mamori.model import GLOBAL_REGION, CloudResource

# One client is created at a time, process-wide. botocore caches a service's model in the
# session's loader, but threads that miss the cache together each parse the JSON (EC2's
# is megabytes): with 16 collectors starting at once that doubled the scan's peak memory.
# Creating a client from a warm cache takes about a millisecond.
_CREATING = threading.Lock()

# Adaptive client-side rate limiting on top of retries: throttling slows us, never fails us.
RETRY_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "adaptive"},
    connect_timeout=10,
    read_timeout=60,
    max_pool_connections=32,
)


@dataclass
class AwsContext:
    """One (account, region) to collect from. Clients are created once and shared."""

    session: boto3.Session
    account: str
    region: str  # GLOBAL_REGION for account-wide types; clients then use `home_region`
    home_region: str = "us-east-1"
    partition: str = "aws"
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str) -> Any:
        """A boto3 client for `service` in this context's region (home region if global)."""
        with self._lock, _CREATING:
            if service not in self._clients:
                region = self.home_region if self.region == GLOBAL_REGION else self.region
                # Any: the service name is data here, not one of boto3's Literal overloads.
                session: Any = self.session
                self._clients[service] = session.client(
                    service, region_name=region, config=RETRY_CONFIG
                )
            return self._clients[service]

    def resource(
        self,
        type_: str,
        id_: str,
        *,
        name: str = "",
        arn: str | None = None,
        region: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> CloudResource:
        """A CloudResource stamped with this context's account and region."""
        return CloudResource(
            type=type_,
            id=id_,
            name=name or id_,
            arn=arn,
            account=self.account,
            region=region or self.region,
            attributes=attributes or {},
        )

    def arn(
        self, service: str, resource: str, *, region: str = "", account: str | None = None
    ) -> str:
        acct = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{acct}:{resource}"


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """All items under `key` across the pages of `operation`."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items
