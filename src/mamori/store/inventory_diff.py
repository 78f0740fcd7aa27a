"""Comparing two inventory snapshots, and deriving new/resolved findings from a scan diff.

Resources are matched by `CloudResource.key`. A resource on one side only is ADDED or
REMOVED, unless the other side could not have seen it: a CollectionError for its type and
account, in its region or account-wide (`GLOBAL_REGION`: the type is listed once per
account, as S3 buckets are, whatever region each bucket is in), makes it `unseen` or
`newly_visible` instead. Otherwise a lost permission would read as "everything deleted".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from mamori.model import (
    GLOBAL_REGION,
    CloudResource,
    CollectionError,
    Finding,
    FindingStatus,
    Inventory,
)
from mamori.store.deep_diff import NATURAL_IDS, diff_values
from mamori.store.records import (
    AttributeChange,
    ChangeOp,
    ExposureChange,
    InventoryDiff,
    ResourceChange,
    ScanDiff,
)

_FIELDS = ("name", "arn", "id")


class Located(Protocol):
    """What the diff needs of a resource before loading it: where it lives."""

    @property
    def type(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def region(self) -> str: ...


E = TypeVar("E", bound=Located)


class _Blind:
    """Where an inventory's collection failed: the resources it could not have seen."""

    def __init__(self, errors: Iterable[CollectionError]) -> None:
        self._scoped: set[tuple[str, str, str]] = set()
        self._wide: set[tuple[str, str]] = set()
        for error in errors:
            if error.region == GLOBAL_REGION:
                self._wide.add((error.type, error.account))
            self._scoped.add((error.type, error.account, error.region))

    def covers(self, item: Located) -> bool:
        return (item.type, item.account) in self._wide or (
            item.type,
            item.account,
            item.region,
        ) in self._scoped


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _field_changes(before: CloudResource, after: CloudResource) -> list[AttributeChange]:
    changes = []
    for name in _FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append(
                AttributeChange(path=name, steps=(name,), op=ChangeOp.CHANGED, old=old, new=new)
            )
    return changes


def resource_change(
    before: CloudResource,
    after: CloudResource,
    *,
    ids: Sequence[tuple[str, ...]] = NATURAL_IDS,
) -> ResourceChange | None:
    """How one resource differs between snapshots, or None when it does not."""
    # Equal canonical JSON is equal data (and cheap, in C); unequal text may still be equal
    # data (1 vs 1.0, a list matched by id in another order), so the walk decides.
    same_text = _canonical(before.attributes) == _canonical(after.attributes)
    attributes = [] if same_text else diff_values(before.attributes, after.attributes, ids=ids)
    fields = _field_changes(before, after)
    exposure = None
    if before.exposure != after.exposure:
        exposure = ExposureChange(before=before.exposure, after=after.exposure)
    if not attributes and not fields and exposure is None:
        return None
    return ResourceChange(
        key=after.key,
        type=after.type,
        id=after.id,
        name=after.name,
        arn=after.arn,
        account=after.account,
        region=after.region,
        fields=tuple(fields),
        attributes=tuple(attributes),
        exposure=exposure,
    )


def _error_key(error: CollectionError) -> tuple[str, str, str, str]:
    return (error.account, error.type, error.region, str(error.kind))


def diff_inventories(
    before: Inventory,
    after: Inventory,
    *,
    before_id: str = "",
    after_id: str = "",
    account: str | None = None,
    ids: Sequence[tuple[str, ...]] = NATURAL_IDS,
) -> InventoryDiff:
    """Added, removed and changed resources from `before` to `after` (one `account` only
    when given), each list sorted by key."""
    return diff_resources(
        {r.key: r for r in before.resources if account in (None, r.account)},
        {r.key: r for r in after.resources if account in (None, r.account)},
        [e for e in before.errors if account in (None, e.account)],
        [e for e in after.errors if account in (None, e.account)],
        load=lambda r: r,
        before_id=before_id,
        after_id=after_id,
        ids=ids,
    )


def diff_resources(
    old: Mapping[str, E],
    new: Mapping[str, E],
    errors_before: Sequence[CollectionError],
    errors_after: Sequence[CollectionError],
    *,
    load: Callable[[E], CloudResource],
    same: Callable[[E, E], bool] = lambda a, b: False,
    before_id: str = "",
    after_id: str = "",
    ids: Sequence[tuple[str, ...]] = NATURAL_IDS,
) -> InventoryDiff:
    """The diff over resources keyed by `CloudResource.key`, in whatever form a source
    holds them: `load` makes a CloudResource of one, and `same(a, b)` may say cheaply
    that two are identical (stored rows with the same text) so neither is loaded."""
    blind_before, blind_after = _Blind(errors_before), _Blind(errors_after)
    added: list[CloudResource] = []
    removed: list[CloudResource] = []
    unseen: list[CloudResource] = []
    visible: list[CloudResource] = []
    changed: list[ResourceChange] = []
    unchanged = 0
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            (visible if blind_before.covers(b) else added).append(load(b))
        elif b is None and a is not None:
            (unseen if blind_after.covers(a) else removed).append(load(a))
        elif a is not None and b is not None:
            change = None if same(a, b) else resource_change(load(a), load(b), ids=ids)
            if change is None:
                unchanged += 1
            else:
                changed.append(change)
    errors_a = {_error_key(e): e for e in errors_before}
    errors_b = {_error_key(e): e for e in errors_after}
    return InventoryDiff(
        before=before_id,
        after=after_id,
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        unseen=tuple(unseen),
        newly_visible=tuple(visible),
        new_errors=tuple(e for k, e in sorted(errors_b.items()) if k not in errors_a),
        cleared_errors=tuple(e for k, e in sorted(errors_a.items()) if k not in errors_b),
        unchanged=unchanged,
    )


def finding_changes(
    scan: ScanDiff, statuses_before: dict[str, str], unseen: Collection[str] = ()
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """(new, resolved, unverified) findings from `Store.diff`'s comparison and the status
    each fingerprint had in the earlier scan.

    Only OPEN counts as failing: a posture check that went from PASS to FAIL keeps its
    fingerprint, so it is "unchanged" to the plain diff but new here. A failing finding no
    longer reported about a resource in `unseen` (keys the later scan could not collect;
    the posture runner puts the resource key in `evidence["subject"]`) is unverified, not
    resolved: nobody looked."""
    open_ = str(FindingStatus.OPEN)
    hidden = set(unseen)
    new = [f for f in scan.new if f.status is FindingStatus.OPEN]
    resolved: list[Finding] = []
    unverified: list[Finding] = []
    for finding in scan.fixed:
        if statuses_before.get(finding.fingerprint) == open_:
            subject = finding.evidence.get("subject", "")
            (unverified if subject in hidden else resolved).append(finding)
    for finding in scan.unchanged:
        was_open = statuses_before.get(finding.fingerprint) == open_
        is_open = finding.status is FindingStatus.OPEN
        if is_open and not was_open:
            new.append(finding)
        elif was_open and not is_open:
            resolved.append(finding)
    return new, resolved, unverified
