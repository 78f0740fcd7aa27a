"""What every check shares (private: the registry skips `_` modules)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Result, Verdict


def result(verdict: Verdict, reason: str, resource: CloudResource) -> Result:
    """A verdict about one resource, in the resource's account and region."""
    return Result(
        verdict=verdict,
        reason=reason,
        resource=resource,
        account=resource.account,
        region=resource.region,
    )


def unseen(inventory: Inventory, types: Iterable[str]) -> Iterator[Result]:
    """One MANUAL per (account, region) where a required type could not be collected."""
    for type_ in types:
        for error in inventory.failed(type_):
            yield Result(
                verdict=Verdict.MANUAL,
                reason=f"{type_} could not be collected ({error.kind}: {error.message}).",
                account=error.account,
                region=error.region,
            )
