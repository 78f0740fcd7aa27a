"""The posture runner over hand-built inventories: verdicts become findings, a broken check
is reported and never stops the others, required types are the selected checks' union.

The fake checks here are registered for one test and removed after it (`fake_checks`);
other test modules import `fake_checks`, `make_check` and `inventory_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from mamori.model import (
    AssetKind,
    CloudResource,
    FindingKind,
    FindingStatus,
    Inventory,
    Notice,
    NoticeLevel,
    Severity,
)
from mamori.posture.check import Check, CheckMetadata, Result, Verdict, checks
from mamori.posture.runner import (
    ERROR_SUBJECT,
    PRODUCER,
    required_types,
    run_checks,
    selected_checks,
)
from mamori.registry import RegistryError

ACCOUNT = "111122223333"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

Judge = Any  # Callable[[Inventory], Iterable[Result]]


def make_check(
    check_id: str,
    judge: Judge,
    *,
    requires: tuple[str, ...] = ("aws.test.thing",),
    severity: Severity = Severity.HIGH,
) -> type[Check]:
    """A check class whose run() is `judge(inventory)`."""
    meta = CheckMetadata(
        id=check_id,
        title=f"Title of {check_id}",
        severity=severity,
        resource_type=requires[0],
        requires=requires,
        rationale=f"Why {check_id} matters.",
        remediation=f"How to fix {check_id}.",
        references=("https://example.com/ref",),
    )

    class Fake:
        metadata: ClassVar[CheckMetadata] = meta

        def run(self, inventory: Inventory) -> Iterable[Result]:
            return judge(inventory)  # type: ignore[no-any-return]

    return Fake  # type: ignore[return-value]


@contextmanager
def fake_checks(*classes: type[Check]) -> Iterator[list[str]]:
    """Register `classes` for the duration of the block."""
    ids = [cls.metadata.id for cls in classes]
    checks.names()  # load the real checks first so the fakes do not hide a load error
    for cls in classes:
        checks.add(cls.metadata.id, cls)
    try:
        yield ids
    finally:
        for check_id in ids:
            checks._items.pop(check_id, None)


def thing(id_: str, *, arn: bool = True, region: str = "us-east-1", **attrs: Any) -> CloudResource:
    return CloudResource(
        type="aws.test.thing",
        id=id_,
        name=f"name-{id_}",
        arn=f"arn:aws:test:{region}:{ACCOUNT}:thing/{id_}" if arn else None,
        account=ACCOUNT,
        region=region,
        attributes=attrs,
    )


def inventory_of(*resources: CloudResource, accounts: tuple[str, ...] = (ACCOUNT,)) -> Inventory:
    return Inventory(
        accounts=accounts, regions=("us-east-1",), resources=resources, collected_at=NOW
    )


def judge_good(inventory: Inventory) -> Iterator[Result]:
    """PASS for things with good=True, FAIL otherwise, MANUAL when `good` is missing."""
    for res in inventory.of_type("aws.test.thing"):
        good = res.attributes.get("good")
        if good is None:
            yield Result(verdict=Verdict.MANUAL, reason=f"{res.id}: cannot tell", resource=res)
        elif good:
            yield Result(verdict=Verdict.PASS, reason=f"{res.id} is good", resource=res)
        else:
            yield Result(verdict=Verdict.FAIL, reason=f"{res.id} is bad", resource=res)


def test_verdicts_become_findings_with_resource_assets() -> None:
    inv = inventory_of(thing("a", good=True), thing("b", good=False, arn=False), thing("c"))
    with fake_checks(make_check("test_thing_good", judge_good)):
        findings = run_checks(inv, ["test_thing_good"])
    by_id = {f.resource.attributes["id"]: f for f in findings}
    assert {k: f.status for k, f in by_id.items()} == {
        "a": FindingStatus.PASS,
        "b": FindingStatus.OPEN,
        "c": FindingStatus.MANUAL,
    }
    a, b = by_id["a"], by_id["b"]
    assert a.kind == FindingKind.MISCONFIGURATION
    assert (a.rule_id, a.title, a.severity) == (
        "test_thing_good",
        "Title of test_thing_good",
        Severity.HIGH,
    )
    assert a.resource.kind == AssetKind.CLOUD_RESOURCE
    assert a.resource.name == f"arn:aws:test:us-east-1:{ACCOUNT}:thing/a"
    assert a.resource.attributes["type"] == "aws.test.thing"
    assert a.resource.identity.account == ACCOUNT and a.resource.identity.region == "us-east-1"
    # Without an ARN the asset is named by the resource key.
    assert b.resource.name == f"aws.test.thing:{ACCOUNT}:us-east-1:b"
    assert b.evidence == {
        "subject": b.resource.name,
        "reason": "b is bad",
        "check": "test_thing_good",
    }
    assert b.reason == "b is bad"
    assert a.provenance.producer == PRODUCER
    assert a.first_seen == a.last_seen == NOW
    assert len({f.fingerprint for f in findings}) == 3


def test_account_level_verdicts_get_an_account_asset() -> None:
    def judge(inventory: Inventory) -> Iterator[Result]:
        yield Result(
            verdict=Verdict.FAIL, reason="no analyzer", account=ACCOUNT, region="eu-west-1"
        )
        yield Result(verdict=Verdict.PASS, reason="policy ok")  # account left to the runner

    with fake_checks(make_check("test_account_wide", judge)):
        regional, whole = run_checks(inventory_of(), ["test_account_wide"])
    assert regional.resource.name == f"aws account {ACCOUNT} region eu-west-1"
    assert regional.resource.identity.region == "eu-west-1"
    assert whole.resource.name == f"aws account {ACCOUNT}"
    assert whole.resource.identity.account == ACCOUNT  # the inventory's single account
    assert whole.resource.identity.region is None
    assert regional.fingerprint != whole.fingerprint


def test_a_raising_check_is_reported_and_the_others_still_run() -> None:
    def broken(inventory: Inventory) -> Iterator[Result]:
        yield Result(verdict=Verdict.PASS, reason="first one fine", resource=inventory.resources[0])
        raise RuntimeError("boom in the check")

    other_account = "444455556666"
    inv = inventory_of(thing("a", good=False), accounts=(ACCOUNT, other_account))
    notices: list[Notice] = []
    with fake_checks(make_check("test_broken", broken), make_check("test_thing_good", judge_good)):
        findings = run_checks(inv, ["test_broken", "test_thing_good"], notices=notices)
    good = [f for f in findings if f.rule_id == "test_thing_good"]
    assert [f.status for f in good] == [FindingStatus.OPEN]  # ran after the broken one
    broken_findings = [f for f in findings if f.rule_id == "test_broken"]
    errors = [f for f in broken_findings if f.evidence["subject"] == ERROR_SUBJECT]
    assert {f.resource.identity.account for f in errors} == {ACCOUNT, other_account}
    assert all(f.status == FindingStatus.MANUAL for f in errors)
    assert all("RuntimeError: boom in the check" in f.reason for f in errors)
    # What the check said before failing is kept.
    assert any(f.status == FindingStatus.PASS for f in broken_findings)
    assert len(notices) == 1 and notices[0].level == NoticeLevel.ERROR
    assert "test_broken" in notices[0].message


def test_required_types_is_the_union_of_the_selected_checks() -> None:
    a = make_check("test_needs_a", judge_good, requires=("aws.test.thing", "aws.test.a"))
    b = make_check("test_needs_b", judge_good, requires=("aws.test.thing", "aws.test.b"))
    with fake_checks(a, b):
        assert required_types(["test_needs_a"]) == {"aws.test.thing", "aws.test.a"}
        assert required_types(["test_needs_a", "test_needs_b"]) == {
            "aws.test.thing",
            "aws.test.a",
            "aws.test.b",
        }
        assert {"aws.test.a", "aws.test.b"} <= required_types(None)
        assert required_types([]) == set()
        with pytest.raises(RegistryError):
            required_types(["test_no_such_check"])
        assert selected_checks(["test_needs_b", "test_needs_a", "test_needs_b"]) == [
            "test_needs_a",
            "test_needs_b",
        ]


def test_runs_are_repeatable_and_fingerprints_stable() -> None:
    inv = inventory_of(*(thing(str(i), good=i % 2 == 0) for i in range(50)))
    with fake_checks(make_check("test_thing_good", judge_good)):
        first = run_checks(inv, ["test_thing_good"], scan_id="s1")
        second = run_checks(inv, ["test_thing_good"], scan_id="s2")
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]
    assert {f.provenance.scan_id for f in first} == {"s1"}
    assert sum(f.status == FindingStatus.OPEN for f in first) == 25


def test_every_registered_check_runs_on_an_empty_inventory() -> None:
    # A real check given nothing must answer (or say nothing), not raise.
    notices: list[Notice] = []
    run_checks(inventory_of(), None, notices=notices)
    assert [n.message for n in notices if n.level == NoticeLevel.ERROR] == []
