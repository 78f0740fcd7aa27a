"""What the storage and encryption checks share (private: the registry skips `_` modules).

Most of these checks judge each resource of one type on its own: `judge_each` yields a
MANUAL result for every (account, region) where the type could not be collected, then
one result per resource. A judge answers MANUAL itself when a per-item call it depends
on failed (`failed_call`), so nothing unseen is passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Result, Verdict
from mamori.posture.checks.aws._common import result as result
from mamori.posture.checks.aws._common import unseen as unseen
from mamori.posture.exposure.s3_policy import as_list

Judge = Callable[[CloudResource], tuple[Verdict, str]]


def failed_call(resource: CloudResource, *calls: str) -> str | None:
    """ "call: message" for the first of `calls` that failed for this resource, else None."""
    errors: Mapping[str, str] = resource.attributes.get("errors") or {}
    for call in calls:
        if call in errors:
            return f"{call}: {errors[call]}"
    return None


def judge_each(inventory: Inventory, types: Iterable[str], judge: Judge) -> Iterator[Result]:
    """MANUAL where a type could not be collected, then `judge` on every resource of it."""
    wanted = list(types)
    yield from unseen(inventory, wanted)
    for type_ in wanted:
        for resource in inventory.of_type(type_):
            verdict, reason = judge(resource)
            yield result(verdict, reason, resource)


def _pattern(glob: str) -> re.Pattern[str]:
    """An IAM resource pattern (`*` and `?` wildcards) as a regular expression."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile("".join(parts), re.IGNORECASE)


def _covers(resources: list[Any], target: str) -> bool:
    return any(_pattern(str(r)).fullmatch(target) for r in resources)


def _to_everyone(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))


def _only_insecure_transport(condition: Any) -> bool:
    """The condition is exactly aws:SecureTransport = false (any other entry narrows it)."""
    if not isinstance(condition, Mapping) or len(condition) != 1:
        return False
    operator, entries = next(iter(condition.items()))
    if str(operator).lower() not in ("bool", "boolifexists"):
        return False
    if not isinstance(entries, Mapping) or len(entries) != 1:
        return False
    key, values = next(iter(entries.items()))
    listed = [str(v).lower() for v in as_list(values)]
    return str(key).lower() == "aws:securetransport" and listed == ["false"]


def denies_insecure_transport(statement: Mapping[str, Any], bucket_arn: str) -> bool:
    """A Deny of every S3 action, to everyone, on the bucket and its objects, over HTTP."""
    if statement.get("Effect") != "Deny" or not _to_everyone(statement):
        return False
    actions = {str(a).lower() for a in as_list(statement.get("Action"))}
    if not actions & {"*", "s3:*"}:
        return False
    resources = as_list(statement.get("Resource"))
    if not (_covers(resources, bucket_arn) and _covers(resources, f"{bucket_arn}/*")):
        return False
    return _only_insecure_transport(statement.get("Condition"))
