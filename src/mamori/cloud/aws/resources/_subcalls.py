"""Helpers for the logging and monitoring collectors (private: the registry skips `_` modules).

A collector lists items with one call and then needs a call or two per item. If one of
those per-item calls fails, the item is still reported: `attempt` records the failure in
the item's `errors` attribute ({API operation: "Code: message"}) and the matching
attribute is None, so a check can answer MANUAL for that item instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from mamori.cloud.aws.errors import classify
from mamori.cloud.aws.resources._common import iso as iso

T = TypeVar("T")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def attempt(errors: dict[str, str], operation: str, fn: Callable[[], T]) -> T | None:
    """`fn()`, or None with the AWS error recorded under `errors[operation]`."""
    try:
        return fn()
    except (ClientError, BotoCoreError) as exc:
        errors[operation] = " ".join(classify(exc)[1].split())[:300]  # one line
        return None
