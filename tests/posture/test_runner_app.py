"""The posture use case without AWS: grouped collection-error notices, the exposure hook
(present, missing, failing), and a scan whose checks need no collector."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from mamori.app.posture import (
    PostureRequest,
    apply_exposure,
    error_notices,
    exposure_types,
    run_posture_scan,
)
from mamori.cloud.aws.collect import Target
from mamori.model import CollectionError, ErrorKind, Inventory, Notice, NoticeLevel
from mamori.posture.check import Result, Verdict
from mamori.posture.frameworks import Framework, Requirement
from mamori.registry import RegistryError
from tests.posture.test_runner import ACCOUNT, fake_checks, inventory_of, make_check, thing


def _error(type_: str, region: str, kind: ErrorKind, account: str = ACCOUNT) -> CollectionError:
    return CollectionError(
        type=type_, account=account, region=region, kind=kind, message=f"{kind}: no"
    )


def test_collection_errors_are_grouped_per_type_and_kind() -> None:
    errors = [
        _error("aws.ec2.instance", r, ErrorKind.ACCESS_DENIED)
        for r in ("us-east-1", "eu-west-1", "ap-south-1")
    ] + [
        _error("aws.ec2.instance", "me-south-1", ErrorKind.UNSUPPORTED),
        _error("aws.iam.user", "global", ErrorKind.THROTTLED, account="999988887777"),
    ]
    notices = error_notices(errors)
    assert len(notices) == 3
    denied = next(n for n in notices if n.message.startswith("AccessDenied"))
    assert denied.message.startswith(
        "AccessDenied for aws.ec2.instance in 3 regions (ap-south-1, eu-west-1, us-east-1)"
    )
    assert denied.level == NoticeLevel.WARNING and denied.path == f"aws account {ACCOUNT}"
    unsupported = next(n for n in notices if n.message.startswith("Unsupported"))
    assert "in me-south-1:" in unsupported.message and unsupported.level == NoticeLevel.INFO
    assert any(n.path == "aws account 999988887777" for n in notices)


def test_exposure_is_applied_in_order_when_available() -> None:
    network = importlib.import_module("mamori.posture.exposure.network")
    storage = importlib.import_module("mamori.posture.exposure.storage")
    inv = inventory_of(thing("a"))
    notices: list[Notice] = []
    got = apply_exposure(inv, notices)
    assert got == storage.apply_storage_exposure(network.apply_network_exposure(inv))
    assert notices == []
    needs = set(network.NEEDS)
    assert exposure_types({"aws.ec2.instance"}) == needs | {"aws.ec2.instance"}
    assert exposure_types({"aws.iam.user"}) == {"aws.iam.user"}


def test_a_failing_exposure_analysis_is_a_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    import mamori.app.posture as posture

    def broken(inventory: Inventory) -> Inventory:
        raise ValueError("bad attributes")

    storage = importlib.import_module("mamori.posture.exposure.storage")
    monkeypatch.setattr(posture, "EXPOSURE_ANALYSES", ((storage.NEEDS, broken),))
    inv = inventory_of(thing("a"))
    notices: list[Notice] = []
    assert apply_exposure(inv, notices) == inv
    assert [(n.level, n.message) for n in notices] == [
        (NoticeLevel.WARNING, "exposure analysis broken failed: bad attributes"),
    ]


def test_exposure_types_follow_each_analysis() -> None:
    storage = importlib.import_module("mamori.posture.exposure.storage")
    assert exposure_types({"aws.s3.bucket"}) == {"aws.s3.bucket", *storage.NEEDS}


def _account_verdict(inventory: Inventory) -> Iterator[Result]:
    for account in inventory.accounts:
        yield Result(verdict=Verdict.FAIL, reason="nothing collected", account=account)


def test_scan_without_collectors_still_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    check = make_check("test_app_uncollected", _account_verdict, requires=("aws.test.none",))
    framework = Framework(
        id="fw_app",
        title="App test",
        requirements=(
            Requirement(id="1", title="Something holds", checks=("test_app_uncollected",)),
            Requirement(id="2", title="A manual one", automated=False),
        ),
    )
    targets = [Target(session=None, account=a) for a in (ACCOUNT, "444455556666")]  # type: ignore[arg-type]
    request = PostureRequest(regions=["us-east-1"], framework=framework)
    seen: list[tuple[str, int, int]] = []
    with fake_checks(check):
        outcome = run_posture_scan(
            request, targets=targets, progress=lambda *step: seen.append(step)
        )
        with pytest.raises(RegistryError):
            run_posture_scan(
                PostureRequest(regions=["us-east-1"], checks=["test_nope"]), targets=targets
            )
    assert seen == [("checks", 1, 1)]  # nothing to collect, one check run
    assert [a.account for a in outcome.accounts] == [ACCOUNT, "444455556666"]
    for posture in outcome.accounts:
        report, summary = posture.report, posture.summary
        assert summary is not None and summary.status_of("1").value == "fail"
        assert summary.status_of("2").value == "manual"
        assert [f.resource.identity.account for f in report.findings] == [posture.account]
        assert report.findings[0].evidence["requirements"] == "1"
        assert report.stats["results_fail"] == 1 and report.stats["score"] == 0.0
        assert report.scan_id.endswith(posture.account)
        assert any(
            "no collector" in n.message and "aws.test.none" in n.message for n in report.notices
        )
    with pytest.raises(ValueError, match="unknown framework"):
        run_posture_scan(
            PostureRequest(regions=["us-east-1"], framework="no_such_fw"), targets=targets
        )
