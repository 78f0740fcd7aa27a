"""Run one check on an inventory collected for exactly what it requires."""

from __future__ import annotations

from datetime import timedelta

from mamori.cloud.aws.collect import Target, collect
from mamori.model import Inventory
from mamori.posture.check import Verdict, checks
from tests.cloud.conftest import REGION


def collect_for(target: Target, *check_ids: str, regions: tuple[str, ...] = (REGION,)) -> Inventory:
    types = {t for c in check_ids for t in checks.get(c).metadata.requires}
    return collect([target], regions=list(regions), types=types)


def verdicts(check_id: str, inventory: Inventory) -> dict[str, Verdict]:
    """Verdict per resource id ("account/region" for results about an account)."""
    results = list(checks.get(check_id)().run(inventory))
    keyed = {
        (r.resource.id if r.resource else f"{r.account}/{r.region}"): r.verdict for r in results
    }
    assert len(keyed) == len(results), "one result per resource"
    for r in results:
        assert r.reason.endswith(".") and "\n" not in r.reason, r.reason
        assert r.account and r.region
    return keyed


def later(inventory: Inventory, days: float) -> Inventory:
    """The same inventory judged `days` after it was collected."""
    assert inventory.collected_at is not None
    return inventory.model_copy(
        update={"collected_at": inventory.collected_at + timedelta(days=days)}
    )
