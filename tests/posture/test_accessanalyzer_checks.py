"""CIS AWS 3.0 1.20: an active external-access analyzer in every region.

moto has no Access Analyzer: the collector runs against the loopback stand-in in
tests/cloud/accessanalyzer_stub.py, seeded per region.
"""

from __future__ import annotations

import boto3
import pytest

from mamori.cloud.aws.collect import Target
from mamori.posture.check import Verdict
from tests.cloud.accessanalyzer_stub import analyzer, serving
from tests.cloud.conftest import ACCOUNT
from tests.posture.iam_helpers import collect_for, verdicts

CHECK = "accessanalyzer_enabled_all_regions"


def test_every_region_needs_an_active_external_access_analyzer(
    aws: boto3.Session, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    regions = ("us-east-1", "eu-west-1", "us-west-2", "ap-south-1", "sa-east-1", "eu-north-1")
    with serving(monkeypatch) as service:
        service.pages["us-east-1"] = [
            [analyzer("us-east-1", "old", "ACCOUNT", "DISABLED")],
            [analyzer("us-east-1", "main", "ACCOUNT", "ACTIVE")],
        ]
        service.pages["eu-west-1"] = [[analyzer("eu-west-1", "org", "ORGANIZATION", "ACTIVE")]]
        service.pages["ap-south-1"] = [[analyzer("ap-south-1", "x", "ACCOUNT", "CREATING")]]
        service.pages["sa-east-1"] = [
            [analyzer("sa-east-1", "unused", "ACCOUNT_UNUSED_ACCESS", "ACTIVE")]
        ]
        service.errors["eu-north-1"] = (403, "AccessDeniedException")
        inv = collect_for(target, CHECK, regions=regions)
    assert verdicts(CHECK, inv) == {
        "main": Verdict.PASS,
        "org": Verdict.PASS,
        f"{ACCOUNT}/us-west-2": Verdict.FAIL,  # no analyzer
        f"{ACCOUNT}/ap-south-1": Verdict.FAIL,  # not active yet
        f"{ACCOUNT}/sa-east-1": Verdict.FAIL,  # unused-access only
        f"{ACCOUNT}/eu-north-1": Verdict.MANUAL,  # could not look
    }
