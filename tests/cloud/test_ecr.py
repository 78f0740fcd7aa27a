"""The ECR repository collector against moto: scanning, mutability, policy, images.

The oracle is what create_repository, set_repository_policy and put_image were asked
for. Not emulated by moto: BatchGetRepositoryScanningConfiguration ignores a
repository's own scanOnPush (it answers MANUAL for every repository), so the check reads
both settings (see ecr_repository_scan_on_push_enabled).
"""

from __future__ import annotations

import boto3
import pytest

from mamori.cloud.aws.collect import Target, collect
from mamori.cloud.aws.resources import ecr as ecr_module
from tests.cloud.computeseed import PULL_FOR_ALL, PULL_FOR_ORG
from tests.cloud.computeseed import repositories as seed
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.moto_auth import denying, enforced, principal


def test_repositories(aws: boto3.Session, target: Target) -> None:
    seed(aws)
    inv = collect([target], regions=[REGION], types=["aws.ecr.repository"])
    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.ecr.repository")}
    assert set(found) == {"scanned", "open", "org"}
    assert found["open"].arn == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/open"

    scanned = found["scanned"].attributes
    assert scanned["scan_on_push"] is True and scanned["tag_mutability"] == "IMMUTABLE"
    assert scanned["encryption"]["type"] == "KMS" and scanned["encryption"]["kms_key"]
    assert scanned["policy"] is None and scanned["images"] == [] and scanned["errors"] == {}
    assert scanned["scanning"]["registry_scan_type"] == "BASIC"

    opened = found["open"].attributes
    assert opened["scan_on_push"] is False
    assert opened["policy"] == PULL_FOR_ALL and opened["policy_public"] is True
    assert opened["policy_public_actions"] == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert sorted(t for i in opened["images"] for t in i["tags"]) == ["v0", "v1", "v2"]
    assert all(i["digest"].startswith("sha256:") and i["pushed_at"] for i in opened["images"])
    assert opened["images_capped"] is False

    org = found["org"].attributes
    assert org["policy"] == PULL_FOR_ORG and org["policy_public"] is False


def test_images_are_capped(
    aws: boto3.Session, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(aws)
    monkeypatch.setattr(ecr_module, "MAX_IMAGES", 2)
    inv = collect([target], regions=[REGION], types=["aws.ecr.repository"])
    opened = next(r for r in inv.of_type("aws.ecr.repository") if r.id == "open").attributes
    assert len(opened["images"]) == 2 and opened["images_capped"] is True


def test_a_denied_sub_call_is_recorded_on_the_repository(aws: boto3.Session, moto_url: str) -> None:
    seed(aws)
    scanner = principal(aws, "scanner", denying("ecr:DescribeImages"))
    with enforced(moto_url):
        inv = collect(
            [Target(session=scanner, account=ACCOUNT)],
            regions=[REGION],
            types=["aws.ecr.repository"],
        )
    assert not inv.errors
    opened = next(r for r in inv.of_type("aws.ecr.repository") if r.id == "open").attributes
    assert set(opened["errors"]) == {"DescribeImages"}
    assert opened["images"] == [] and opened["policy_public"] is True
