"""`count` and `for_each`: one resource instance per index or key, as Terraform does.

`count = N` gives instances `[0]`..`[N-1]` with `count.index`; `for_each` over a map
gives one instance per key (`["key"]`, Terraform's lexical key order) with `each.key`
and `each.value`, over a set of strings one per element (`each.value` = `each.key`).
A count or for_each the reader cannot evaluate leaves the resource declared once, with
a note, as before; more than `MAX_RESOURCE_INSTANCES` instances are cut there, with a
note, so `count = 1e9` cannot exhaust memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mamori.workload.iac.model import Failed, Ref, Unknown
from mamori.workload.iac.tfeval import Scope, instance_suffix
from mamori.workload.iac.tffuncs import FuncError, num

MAX_RESOURCE_INSTANCES = 1000


@dataclass
class Expansion:
    """A resource's instances: (instance key or None, names it adds to the scope)."""

    instances: list[tuple[int | str | None, dict[str, Any]]]
    notes: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[int | str] | None:
        """The instance keys, or None when the resource stays declared once."""
        if len(self.instances) == 1 and self.instances[0][0] is None:
            return None
        return [k for k, _ in self.instances if k is not None]


def expand(scope: Scope, body: dict[str, Any]) -> Expansion:
    """The instances `body`'s `count` / `for_each` (evaluated in `scope`) declare."""
    if "count" in body:
        return _count(scope.value(body["count"]))
    if "for_each" in body:
        return _for_each(scope.deref(scope.value(body["for_each"])))
    return Expansion([(None, {})])


def _once(note: str) -> Expansion:
    return Expansion([(None, {})], [note])


def _capped(items: list[tuple[int | str | None, dict[str, Any]]], what: str) -> Expansion:
    if len(items) <= MAX_RESOURCE_INSTANCES:
        return Expansion(items)
    note = f"{what} gives {len(items)} instances; only the first {MAX_RESOURCE_INSTANCES} read"
    return Expansion(items[:MAX_RESOURCE_INSTANCES], [note])


def _count(value: Any) -> Expansion:
    if value is None or isinstance(value, Unknown | Ref | list | dict):
        return _once("count not expanded")
    try:
        count = num(value)
    except FuncError:
        return _once("count not expanded")
    if not isinstance(count, int) or count < 0:
        return _once("count not expanded")
    if count > MAX_RESOURCE_INSTANCES:
        note = f"count = {count}; only the first {MAX_RESOURCE_INSTANCES} instances read"
        count_items = range(MAX_RESOURCE_INSTANCES)
        return Expansion([(i, {"count": {"index": i}}) for i in count_items], [note])
    return Expansion([(i, {"count": {"index": i}}) for i in range(count)])


def _for_each(value: Any) -> Expansion:
    if isinstance(value, Failed) or not isinstance(value, dict | list):
        return _once("for_each not expanded")
    if isinstance(value, dict):
        items = [(k, {"each": {"key": k, "value": value[k]}}) for k in sorted(value)]
        return _capped(list(items), "for_each")
    if not all(isinstance(v, str) for v in value):  # a set of strings, or unknown
        return _once("for_each not expanded")
    keys = sorted(set(value))
    return _capped([(k, {"each": {"key": k, "value": k}}) for k in keys], "for_each")


def address(base: str, key: int | str | None) -> str:
    """`aws_s3_bucket.b[0]`, `aws_s3_bucket.b["logs"]`, or `base` for a single instance."""
    return base if key is None else base + instance_suffix(key)
