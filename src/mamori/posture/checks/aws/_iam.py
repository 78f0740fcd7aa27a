"""Helpers for the IAM and Access Analyzer checks (private: the registry skips `_`).

Time-dependent checks judge against `inventory.collected_at`, so re-running a check
on a stored inventory gives the same verdicts (and tests move the clock by copying the
inventory with another `collected_at`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mamori.model import GLOBAL_REGION, CloudResource, Inventory, utcnow
from mamori.posture.check import Result, Verdict
from mamori.posture.checks.aws._common import result as result
from mamori.posture.checks.aws._common import unseen as unseen


def now(inventory: Inventory) -> datetime:
    """When the inventory was collected (aware, UTC if stored without a zone)."""
    at = inventory.collected_at or utcnow()
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 attribute as an aware datetime; None when absent or unparsable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def older_than(value: Any, at: datetime, days: int) -> bool:
    """True when the timestamp `value` is at least `days` days before `at`."""
    moment = parse_time(value)
    return moment is not None and at - moment >= timedelta(days=days)


def one_per_account(inventory: Inventory, type_: str) -> tuple[list[Result], list[CloudResource]]:
    """For an account-wide type with one resource per account: (MANUAL results for the
    accounts where it failed or is missing, the resources found)."""
    manual = list(unseen(inventory, [type_]))
    failed = {r.account for r in manual}
    found = {r.account: r for r in inventory.of_type(type_)}
    for account in inventory.accounts:
        if account not in found and account not in failed:
            manual.append(
                Result(
                    verdict=Verdict.MANUAL,
                    reason=f"{type_} was not collected for this account.",
                    account=account,
                    region=GLOBAL_REGION,
                )
            )
    return manual, [r for a, r in sorted(found.items()) if a not in failed]


def statements(document: Any) -> list[dict[str, Any]]:
    """A policy document's statements, whether `Statement` is one object or a list."""
    if not isinstance(document, dict):
        return []
    found = document.get("Statement", [])
    found = [found] if isinstance(found, dict) else found
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str)]


def full_admin(document: Any) -> list[dict[str, Any]]:
    """Statements that Allow Action "*" on Resource "*" (NotAction/NotResource excluded).

    Conditions are ignored, as in the CIS audit: a conditioned "*:*" grant is still one.
    """
    return [
        s
        for s in statements(document)
        if s.get("Effect") == "Allow"
        and any(a in ("*", "*:*") for a in _values(s.get("Action")))
        and "*" in _values(s.get("Resource"))
    ]
