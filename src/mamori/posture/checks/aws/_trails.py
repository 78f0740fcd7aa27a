"""What the CloudTrail and monitoring checks share (private: the registry skips `_` modules).

Which events a trail records, whether it qualifies as the CIS "active multi-region trail",
and what a check could not see. A judgement is `(True, "")`, `(False, why)` or
`(None, why)` — None when a call the answer depends on failed, so the check says MANUAL
rather than PASS or FAIL on facts it does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mamori.model import GLOBAL_REGION, CloudResource, CollectionError, Inventory
from mamori.posture.check import Result, Verdict

TRAIL = "aws.cloudtrail.trail"
READ, WRITE = "read", "write"
BOTH = frozenset({READ, WRITE})
_RW = {"All": BOTH, "ReadOnly": frozenset({READ}), "WriteOnly": frozenset({WRITE})}
_READ_ONLY = {"true": READ, "false": WRITE}

Judgement = tuple[bool | None, str]


def accounts(inventory: Inventory) -> list[str]:
    """The scanned accounts (those with resources or errors when the list is empty)."""
    if inventory.accounts:
        return list(inventory.accounts)
    return sorted({r.account for r in inventory.resources} | {e.account for e in inventory.errors})


def errors_for(
    inventory: Inventory, type_: str, account: str, regions: Iterable[str] | None = None
) -> list[CollectionError]:
    wanted = None if regions is None else set(regions)
    return [
        e
        for e in inventory.failed(type_)
        if e.account == account and (wanted is None or e.region in wanted)
    ]


def describe(error: CollectionError) -> str:
    why = _line(error.message) or error.kind
    return f"{error.type} in {error.region} could not be collected ({why})"


def _line(text: str) -> str:
    """One line (reasons are one sentence), and short."""
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


def failed_call(resource: CloudResource, operation: str) -> str | None:
    """The recorded error of a per-item sub-call, if it failed."""
    message = (resource.attributes.get("errors") or {}).get(operation)
    return None if message is None else f"{operation} failed for {resource.name} ({_line(message)})"


def _rw(field: dict[str, Any] | None) -> frozenset[str]:
    """The readOnly field of an advanced selector: "true" reads, "false" writes, absent both."""
    if field is None:
        return BOTH
    equals, not_equals = field.get("equals") or [], field.get("not_equals") or []
    values = {str(v).lower() for v in equals} or (
        {"true", "false"} - {str(v).lower() for v in not_equals}
    )
    return frozenset(_READ_ONLY[v] for v in values if v in _READ_ONLY)


def _fields(selector: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["field"]: f for f in selector.get("field_selectors", [])}


def management_events(trail: CloudResource) -> frozenset[str] | None:
    """Which management events (read, write) the trail records; None when unknown.

    As in the CIS audit, excluded event sources (classic ExcludeManagementEventSources,
    an advanced eventSource NotEquals such as KMS) do not disqualify a selector.
    """
    attrs = trail.attributes
    if attrs.get("event_selectors") is None:
        return None
    found: set[str] = set()
    for sel in attrs["event_selectors"]:
        if sel.get("include_management_events"):
            found |= _RW.get(sel.get("read_write_type", "All"), frozenset())
    for sel in attrs.get("advanced_event_selectors") or []:
        fields = _fields(sel)
        if fields.get("eventCategory", {}).get("equals") == ["Management"]:
            found |= _rw(fields.get("readOnly"))
    return frozenset(found)


def s3_object_events(trail: CloudResource) -> frozenset[str] | None:
    """Which S3 object-level events the trail records for every bucket; None when unknown.

    Classic selectors need type AWS::S3::Object with the value "arn:<partition>:s3" or
    "arn:<partition>:s3:::" (all buckets). Advanced selectors need eventCategory Data and
    resources.type AWS::S3::Object, and nothing else but readOnly or an ARN prefix that
    is again all buckets: any other condition narrows what is logged.
    """
    attrs = trail.attributes
    if attrs.get("event_selectors") is None:
        return None
    all_buckets = f"arn:{(trail.arn or 'arn:aws').split(':')[1]}:s3"
    found: set[str] = set()
    for sel in attrs["event_selectors"]:
        for data in sel.get("data_resources", []):
            values = {v.rstrip(":") for v in data.get("values", [])}
            if data.get("type") == "AWS::S3::Object" and all_buckets in values:
                found |= _RW.get(sel.get("read_write_type", "All"), frozenset())
    for sel in attrs.get("advanced_event_selectors") or []:
        fields = _fields(sel)
        arn = fields.pop("resources.ARN", None)
        read_only = fields.pop("readOnly", None)
        if (
            fields.get("eventCategory") == {"field": "eventCategory", "equals": ["Data"]}
            and fields.get("resources.type")
            == {"field": "resources.type", "equals": ["AWS::S3::Object"]}
            and set(fields) == {"eventCategory", "resources.type"}
            and (arn is None or _all_prefix(arn, all_buckets))
        ):
            found |= _rw(read_only)
    return frozenset(found)


def _all_prefix(field: dict[str, Any], all_buckets: str) -> bool:
    prefixes = {v.rstrip(":") for v in field.get("starts_with", [])}
    return set(field) == {"field", "starts_with"} and all_buckets in prefixes


def active_multi_region(trail: CloudResource) -> Judgement:
    """Multi-region and logging."""
    if not trail.attributes.get("is_multi_region"):
        return False, "not multi-region"
    status = trail.attributes.get("status")
    if status is None:
        return None, failed_call(trail, "GetTrailStatus") or "logging status unknown"
    if not status.get("is_logging"):
        return False, "not logging"
    return True, ""


def records(
    events: Callable[[CloudResource], frozenset[str] | None], need: frozenset[str]
) -> Callable[[CloudResource], Judgement]:
    """A judgement: an active multi-region trail that records `need` of `events`."""

    def judge(trail: CloudResource) -> Judgement:
        ok, why = active_multi_region(trail)
        if not ok:
            return ok, why
        found = events(trail)
        if found is None:
            return None, failed_call(trail, "GetEventSelectors") or "event selectors unknown"
        missing = sorted(need - found)
        return (False, f"does not record {' or '.join(missing)} events") if missing else (True, "")

    return judge


cis_trail = records(management_events, BOTH)  # the trail CIS 3.1 and 4.x build on


def judge_trails(
    inventory: Inventory, account: str, judge: Callable[[CloudResource], Judgement]
) -> tuple[list[CloudResource], list[str], list[str]]:
    """(trails that qualify, "name: why not" for the others, what could not be seen)."""
    good: list[CloudResource] = []
    notes: list[str] = []
    unknown = [describe(e) for e in errors_for(inventory, TRAIL, account)]
    for trail in inventory.of_type(TRAIL):
        if trail.account != account:
            continue
        ok, why = judge(trail)
        if ok:
            good.append(trail)
        elif ok is None:
            unknown.append(why)
        else:
            notes.append(f"{trail.name}: {why}")
    return good, notes, unknown


def account_result(
    inventory: Inventory, account: str, judge: Callable[[CloudResource], Judgement], does: str
) -> Result:
    """PASS if some trail qualifies; else MANUAL if something was unseen; else FAIL."""
    good, notes, unknown = judge_trails(inventory, account, judge)
    if good:
        trail = good[0]
        reason = f"Trail {trail.name} ({trail.region}) is multi-region, logging and {does}."
        return result(Verdict.PASS, reason, account)
    if unknown:
        return result(Verdict.MANUAL, f"Could not verify: {unknown[0]}.", account)
    detail = f" ({'; '.join(notes)})" if notes else " (no trails)"
    return result(Verdict.FAIL, f"No multi-region logging trail {does}{detail}.", account)


def result(verdict: Verdict, reason: str, account: str, region: str = GLOBAL_REGION) -> Result:
    return Result(verdict=verdict, reason=reason, account=account, region=region)


def trail_results(
    inventory: Inventory, judge: Callable[[CloudResource], tuple[Verdict, str]]
) -> Iterator[Result]:
    """One result per trail, and MANUAL for each region whose trails could not be listed."""
    for trail in inventory.of_type(TRAIL):
        verdict, reason = judge(trail)
        yield Result(
            verdict=verdict,
            reason=reason,
            resource=trail,
            account=trail.account,
            region=trail.region,
        )
    for error in inventory.failed(TRAIL):
        yield result(
            Verdict.MANUAL, f"Could not verify: {describe(error)}.", error.account, error.region
        )
