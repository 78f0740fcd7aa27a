"""Where Sigma meets mamori: log sources, field names, levels and output fields.

Sigma rules for CloudTrail and Kubernetes audit name their fields after the raw JSON
records (``eventName``, ``userIdentity.arn``, ``objectRef.resource``), so most field
names are dotted paths into the record as they are. The exceptions, below, are the
names SigmaHQ rules use that are not paths of the raw record:

CloudTrail (``aws_cloudtrail``):

- ``status``: there is no such key in a CloudTrail record; it reads ``success`` when
  the record has no ``errorCode`` (or a null one) and ``failure`` otherwise (what log
  pipelines such as Elastic's ``event.outcome`` derive).

Kubernetes audit (``k8s_audit``):

- ``apiGroup``: ``objectRef.apiGroup``;
- ``hostPath``: the pod's ``hostPath`` volumes (``requestObject.spec.volumes.hostPath``);
- ``capabilities``: ``securityContext.capabilities`` of every container, init container
  and ephemeral container of the pod in ``requestObject``;
- ``responseStatus.code``: the response code, and also the authorizer's decision
  annotation ``authorization.k8s.io/decision`` (``allow``/``forbid``), which is what a
  value such as ``ALLOW`` can only mean in a raw audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mamori.rules.priority import Priority
from mamori.rules.sigma.fields import Values, first_of

LOGSOURCES: dict[tuple[str, str], str] = {
    ("aws", "cloudtrail"): "aws_cloudtrail",
    ("kubernetes", "audit"): "k8s_audit",
}
"""Sigma ``logsource`` (product, service) -> mamori event source."""

LEVELS: dict[str, Priority] = {
    "informational": Priority.INFORMATIONAL,
    "low": Priority.NOTICE,
    "medium": Priority.WARNING,
    "high": Priority.ERROR,
    "critical": Priority.CRITICAL,
}
DEFAULT_PRIORITY = Priority.WARNING
"""A rule without ``level``."""


def _status(ev: Any) -> tuple[Any, ...]:
    return ("failure",) if ev.get("errorCode") is not None else ("success",)


_POD = "requestObject.spec"
_CONTAINERS = ("containers", "initContainers", "ephemeralContainers")

MAPPINGS: dict[str, dict[str, list[str] | Values]] = {
    "aws_cloudtrail": {"status": _status},
    "k8s_audit": {
        "apiGroup": ["objectRef.apiGroup"],
        "hostPath": [f"{_POD}.volumes.hostPath"],
        "capabilities": [f"{_POD}.{c}.securityContext.capabilities" for c in _CONTAINERS],
        "responseStatus.code": [
            "responseStatus.code",
            "annotations.authorization.k8s.io/decision",
        ],
    },
}

OUTPUT_FIELDS: dict[str, tuple[str, ...]] = {
    "aws_cloudtrail": (
        "eventName",
        "eventSource",
        "userIdentity.arn",
        "sourceIPAddress",
        "awsRegion",
        "recipientAccountId",
    ),
    "k8s_audit": (
        "verb",
        "user.username",
        "objectRef",
        "requestURI",
        "sourceIPs",
        "responseStatus.code",
    ),
}
"""Fields every Sigma match carries (plus the rule's own ``fields:``)."""

DISPATCH_FIELD: dict[str, str] = {"aws_cloudtrail": "eventName", "k8s_audit": "verb"}
"""The raw field a source indexes its rules by, when it has one."""


def raw_paths(source: str, name: str) -> list[str] | None:
    """The raw record paths a Sigma field reads (None: a computed field)."""
    mapped = MAPPINGS.get(source, {}).get(name)
    if mapped is None:
        return [name]
    return mapped if isinstance(mapped, list) else None


def resolver(source: str) -> Callable[[str], Values]:
    """Field name -> getter of its values, cached per source (one getter per field)."""
    cache: dict[str, Values] = {}
    table = MAPPINGS.get(source, {})

    def resolve(name: str) -> Values:
        got = cache.get(name)
        if got is None:
            mapped = table.get(name, [name])
            got = first_of(mapped) if isinstance(mapped, list) else mapped
            cache[name] = got
        return got

    return resolve
