"""Helpers shared by the IAM collectors (private: the registry skips `_` modules).

IAM lists principals once and then needs a few calls per principal; `each` runs
those calls on a small thread pool (boto3 clients are thread-safe), and `attempt`
turns a failed sub-call into a fact recorded on the item instead of losing the type.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import unquote

from mamori.cloud.aws.resources._common import attempt as common_attempt
from mamori.cloud.aws.resources._common import each as each
from mamori.cloud.aws.resources._common import iso as iso
from mamori.cloud.aws.resources._common import tags as tags

T = TypeVar("T")


def document(value: Any) -> Any:
    """A policy document as JSON data.

    boto3 decodes IAM policy documents into dicts, but the raw API returns them
    URL-encoded; accept both, and keep an unparsable document as its text.
    """
    if not isinstance(value, str):
        return value
    for text in (value, unquote(value)):
        try:
            return json.loads(text)
        except ValueError:
            continue
    return value


def attempt(
    errors: dict[str, str], call: str, fn: Callable[[], T], *, missing: str = ""
) -> tuple[bool, T | None]:
    """(ok, value) of `fn()`; a ClientError whose code is `missing` is (True, None).

    Any other AWS error is recorded in `errors[call]` and gives (False, None), so the
    checks can say MANUAL for that one item rather than guess.
    """
    value = common_attempt(errors, call, fn, missing=(missing,) if missing else ())
    return call not in errors, value


def policy_refs(attached: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """AttachedManagedPolicies as [{"name", "arn"}], sorted by ARN."""
    refs = [{"name": str(p["PolicyName"]), "arn": str(p["PolicyArn"])} for p in attached]
    return sorted(refs, key=lambda p: p["arn"])


def inline(policies: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inline policy lists from GetAccountAuthorizationDetails as [{"name", "document"}]."""
    found = [
        {"name": str(p["PolicyName"]), "document": document(p.get("PolicyDocument"))}
        for p in policies
    ]
    return sorted(found, key=lambda p: p["name"])
