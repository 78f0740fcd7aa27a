"""The Access Analyzer collector over HTTP, against a loopback stand-in for the service
(moto has none: see tests/cloud/accessanalyzer_stub.py)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from mamori.cloud.aws.collect import Target, collect
from mamori.model import ErrorKind
from tests.cloud.accessanalyzer_stub import ARN, Service, analyzer, serving


@pytest.fixture
def analyzers(aws: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    with serving(monkeypatch) as service:
        yield service


def test_analyzers_per_region_with_pages_and_errors(analyzers: Service, target: Target) -> None:
    analyzers.pages["us-east-1"] = [
        [analyzer("us-east-1", "external", "ACCOUNT", "ACTIVE")],
        [analyzer("us-east-1", "unused", "ACCOUNT_UNUSED_ACCESS", "ACTIVE")],
    ]
    analyzers.pages["eu-west-1"] = [[analyzer("eu-west-1", "old", "ACCOUNT", "DISABLED")]]
    analyzers.errors["ap-south-1"] = (403, "AccessDeniedException")
    regions = ["us-east-1", "eu-west-1", "us-west-2", "ap-south-1"]
    inv = collect([target], regions=regions, types=["aws.accessanalyzer.analyzer"])
    found = {(r.region, r.id): r for r in inv.of_type("aws.accessanalyzer.analyzer")}
    assert set(found) == {("us-east-1", "external"), ("us-east-1", "unused"), ("eu-west-1", "old")}
    external = found[("us-east-1", "external")]
    assert external.arn == ARN.format(region="us-east-1", name="external")
    assert external.attributes["type"] == "ACCOUNT" and external.attributes["status"] == "ACTIVE"
    assert external.attributes["created"] == "2024-01-02T03:04:05+00:00"
    assert external.attributes["tags"] == {"team": "sec"}
    assert found[("eu-west-1", "old")].attributes["status"] == "DISABLED"
    assert [(e.region, e.kind) for e in inv.errors] == [("ap-south-1", ErrorKind.ACCESS_DENIED)]
