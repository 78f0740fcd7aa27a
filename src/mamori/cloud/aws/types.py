"""Declarative resource types: what to call, what it needs, how to collect it.

Each module in `mamori.cloud.aws.resources` registers collectors with
`@resource_type(...)`. The runner collects only the types the selected checks require
(and their dependencies), once per account for global types, once per region otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mamori.cloud.aws.context import AwsContext
from mamori.model import CloudResource
from mamori.registry import Registry

Collector = Callable[[AwsContext], Iterable[CloudResource]]


@dataclass(frozen=True)
class ResourceType:
    name: str  # "aws.iam.user"
    service: str  # boto3 service name
    # API operations used: "Operation" of `service`, "other:Operation" of another API.
    # Enforced: clients know only the declared operations (cloud.aws.models).
    calls: tuple[str, ...]
    permissions: tuple[str, ...]  # IAM actions needed
    collect: Collector
    global_: bool = False  # account-wide (IAM, account settings): collected once
    id_field: str = ""  # which API field is the id (documentation)


resource_types: Registry[ResourceType] = Registry("AWS resource type", "mamori.cloud.aws.resources")


def resource_type(
    name: str,
    *,
    service: str,
    calls: tuple[str, ...],
    permissions: tuple[str, ...] = (),
    global_: bool = False,
    id_field: str = "",
) -> Callable[[Collector], Collector]:
    """Register the decorated function as the collector of resource type `name`."""

    def decorate(fn: Collector) -> Collector:
        perms = permissions or tuple(c if ":" in c else f"{service}:{c}" for c in calls)
        resource_types.add(name, ResourceType(name, service, calls, perms, fn, global_, id_field))
        return fn

    return decorate
