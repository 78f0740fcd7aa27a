"""Helpers shared by the network and compute collectors (private: the registry skips `_`).

Collectors list a service's resources with one paginated call, then make a few calls
per item (a Lambda function's URL and policy, an ECR repository's images). `attempt`
turns a failed per-item call into a fact on that item (`attributes["errors"][call]`)
instead of losing the whole type, and `each` runs the per-item calls on a small pool.
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
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return str(value.astimezone(UTC).isoformat())
    return str(value)


def tags(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """EC2-style [{"Key", "Value"}] tags as a dict."""
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or () if "Key" in t}


def attempt(
    errors: dict[str, str], call: str, fn: Callable[[], T], *, missing: tuple[str, ...] = ()
) -> T | None:
    """`fn()`, or None: when AWS answers with an error code in `missing` (nothing there),
    or when the call fails, which is then recorded as `errors[call]` so the checks can
    say MANUAL for that one item rather than guess.
    """
    try:
        return fn()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in missing:
            return None
        errors[call] = classify(exc)[1][:300]
    except BotoCoreError as exc:
        errors[call] = classify(exc)[1][:300]
    return None


def each(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`fn` over `items` on a small thread pool (boto3 clients are thread-safe), in order."""
    work = list(items)
    if len(work) <= 1:
        return [fn(item) for item in work]
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(work))) as pool:
        return list(pool.map(fn, work))
