"""CIS AWS 3.0 3.3 against moto: a recorder per region, global types in one of them.

moto never delivers, so a FAILURE last status is judged on the collected inventory with
that one attribute changed, as a delivery failure reported by AWS would set it.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target
from mamori.posture.check import Verdict
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import OTHER_REGION, recorder
from tests.cloud.moto_auth import denying, enforced, principal
from tests.posture.iam_helpers import collect_for, verdicts

PASS, FAIL, MANUAL = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL
CHECK = "config_recorder_all_regions_enabled"
THIRD = "ap-south-1"
REGIONS = (REGION, OTHER_REGION, THIRD)


def keyed(by_region: dict[str, Verdict]) -> dict[str, Verdict]:
    return {f"{ACCOUNT}/{region}": v for region, v in by_region.items()}


def test_every_region_and_global_types_once(aws: boto3.Session, target: Target) -> None:
    recorder(aws, REGION, include_global=True)
    recorder(aws, OTHER_REGION)
    recorder(aws, THIRD)
    inv = collect_for(target, CHECK, regions=REGIONS)
    assert verdicts(CHECK, inv) == keyed(
        {REGION: PASS, OTHER_REGION: PASS, THIRD: PASS, "global": PASS}
    )


def test_missing_partial_and_stopped_recorders(aws: boto3.Session, target: Target) -> None:
    recorder(aws, REGION)  # no global types anywhere
    recorder(aws, OTHER_REGION, all_supported=False)
    inv = collect_for(target, CHECK, regions=REGIONS)
    assert verdicts(CHECK, inv) == keyed(
        {REGION: PASS, OTHER_REGION: FAIL, THIRD: FAIL, "global": FAIL}
    )
    aws.client("config").stop_configuration_recorder(ConfigurationRecorderName="default")
    stopped = collect_for(target, CHECK, regions=(REGION,))
    assert verdicts(CHECK, stopped) == keyed({REGION: FAIL, "global": FAIL})


def test_delivery_failure_fails(aws: boto3.Session, target: Target) -> None:
    recorder(aws, REGION, include_global=True)
    inv = collect_for(target, CHECK, regions=(REGION,))
    (found,) = inv.resources
    failing = found.model_copy(
        update={"attributes": {**found.attributes, "last_status": "FAILURE"}}
    )
    broken = inv.model_copy(update={"resources": (failing,)})
    assert verdicts(CHECK, broken) == keyed({REGION: FAIL, "global": FAIL})


def test_unseen_regions_are_manual(aws: boto3.Session, moto_url: str) -> None:
    recorder(aws, REGION)
    no_status = principal(aws, "no-status", denying("config:DescribeConfigurationRecorderStatus"))
    nothing = principal(aws, "nothing", denying("config:DescribeConfigurationRecorders"))
    with enforced(moto_url):
        status = collect_for(Target(no_status, ACCOUNT), CHECK, regions=(REGION,))
        blind = collect_for(Target(nothing, ACCOUNT), CHECK, regions=(REGION,))
    assert verdicts(CHECK, status) == keyed({REGION: MANUAL, "global": MANUAL})
    assert verdicts(CHECK, blind) == keyed({REGION: MANUAL, "global": MANUAL})
