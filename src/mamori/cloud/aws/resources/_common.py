"""Helpers shared by the collectors (private: the registry skips `_` modules).

A collector lists a service's resources with one paginated call, then makes a few calls
per item (a bucket's ACL and policy, a Lambda function's URL, an ECR repository's images). `attempt`
turns a failed per-item call into a fact on that item (`attributes["errors"][call]`)
so one unreadable bucket never loses the whole type, and `each` runs those per-item
calls on a small pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from mamori.cloud.aws.errors import classify

T = TypeVar("T")
R = TypeVar("R")

WORKERS = 8  # per-item calls in flight per collector; the runner adds its own parallelism


def iso(value: Any) -> str | None:
    """A datetime as an ISO-8601 UTC string; None stays None, strings pass through."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    return str(value)


def tags(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """AWS [{"Key": k, "Value": v}] tags as a plain dict."""
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or () if "Key" in t}


def attempt(
    errors: dict[str, str], call: str, fn: Callable[[], T], *, missing: tuple[str, ...] = ()
) -> T | None:
    """`fn()`, or None.

    None either because AWS answered with an error code in `missing` (the item simply
    has no such configuration, e.g. NoSuchBucketPolicy), or because the call failed,
    which is then recorded as `errors[call]` so a check can answer MANUAL for that one
    item instead of guessing.
    """
    try:
        return fn()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in missing:
            return None
        errors[call] = _one_line(exc)
    except BotoCoreError as exc:
        errors[call] = _one_line(exc)
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(classify(exc)[1].split())[:300]


def each(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`fn` over `items` on a small thread pool (boto3 clients are thread-safe), in order."""
    work = list(items)
    if len(work) <= 1:
        return [fn(item) for item in work]
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(work))) as pool:
        return list(pool.map(fn, work))
