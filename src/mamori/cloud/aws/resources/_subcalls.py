"""Helpers for the logging and monitoring collectors (private: the registry skips `_` modules).

A collector lists items with one call and then needs a call or two per item. If one of
those per-item calls fails, the item is still reported: `attempt` records the failure in
the item's `errors` attribute ({API operation: "Code: message"}) and the matching
attribute is None, so a check can answer MANUAL for that item instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from mamori.cloud.aws.errors import classify

T = TypeVar("T")


def iso(value: Any) -> str | None:
    """A boto3 datetime (or epoch milliseconds) as an ISO-8601 UTC string; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return str(value.astimezone(UTC).isoformat())
    return str(value)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def attempt(errors: dict[str, str], operation: str, fn: Callable[[], T]) -> T | None:
    """`fn()`, or None with the AWS error recorded under `errors[operation]`."""
    try:
        return fn()
    except (ClientError, BotoCoreError) as exc:
        errors[operation] = " ".join(classify(exc)[1].split())[:300]  # one line
        return None
