"""CIS AWS 3.0 3.3: AWS Config records all supported resources in every region.

One result per scanned region: a recorder there records all supported resource types,
is recording and its last delivery did not fail. Global resource types (IAM) need to be
recorded in one region only (AWS advises against recording them in several, and regions
opened since 2022 cannot): one more account-level result says whether some region does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import GLOBAL_REGION, CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._trails import Judgement, accounts, describe, errors_for, failed_call

RECORDER = "aws.config.recorder"
_RANK = {True: 0, None: 1, False: 2}


@check(__file__)
class ConfigRecorderAllRegionsEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        for account in accounts(inventory):
            found = [r for r in inventory.of_type(RECORDER) if r.account == account]
            regions = inventory.regions or sorted({r.region for r in found})
            good: list[CloudResource] = []
            unseen: list[str] = []
            for region in regions:
                verdict, reason = _region(inventory, account, region, found, good)
                unseen += [reason] if verdict is Verdict.MANUAL else []
                yield Result(verdict=verdict, reason=reason, account=account, region=region)
            yield _global(account, good, unseen)


def _region(
    inventory: Inventory,
    account: str,
    region: str,
    found: list[CloudResource],
    good: list[CloudResource],
) -> tuple[Verdict, str]:
    errors = errors_for(inventory, RECORDER, account, [region])
    if errors:
        return Verdict.MANUAL, f"Could not verify: {describe(errors[0])}."
    here = [r for r in found if r.region == region]
    if not here:
        return Verdict.FAIL, f"No AWS Config recorder in {region}."
    judged = [(_judge(r), r) for r in here]
    good += [r for (ok, _), r in judged if ok]
    (ok, why), recorder = min(judged, key=lambda j: _RANK[j[0][0]])  # the best one speaks
    if ok:
        return Verdict.PASS, f"Recorder {recorder.name} records all supported resources."
    if ok is None:
        return Verdict.MANUAL, f"Could not verify: {why}."
    return Verdict.FAIL, f"Recorder {recorder.name} {why}."


def _judge(recorder: CloudResource) -> Judgement:
    attrs = recorder.attributes
    if not attrs.get("all_supported"):
        return False, "does not record all supported resource types"
    if attrs.get("recording") is None:
        return None, failed_call(
            recorder, "DescribeConfigurationRecorderStatus"
        ) or "status unknown"
    if not attrs["recording"]:
        return False, "is not recording"
    if attrs.get("last_status") == "FAILURE":
        return False, f"fails to deliver ({attrs.get('last_error_code') or 'unknown error'})"
    return True, ""


def _global(account: str, good: list[CloudResource], unseen: list[str]) -> Result:
    with_global = [r for r in good if r.attributes.get("include_global_resource_types")]
    if with_global:
        verdict, reason = (
            Verdict.PASS,
            (
                f"Recorder {with_global[0].name} in {with_global[0].region} records global "
                "resource types (IAM)."
            ),
        )
    elif unseen:
        verdict, reason = Verdict.MANUAL, unseen[0]
    else:
        verdict, reason = Verdict.FAIL, "No recording region records global resource types (IAM)."
    return Result(verdict=verdict, reason=reason, account=account, region=GLOBAL_REGION)
