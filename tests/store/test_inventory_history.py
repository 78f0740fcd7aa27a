"""Three hourly snapshots of one account: what `diff_previous` reports for each step.

The expectations are written out by hand from the changes made between the snapshots
(the oracle), not taken from a previous run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from mamori.model import CloudResource, CollectionError, FindingStatus
from mamori.store import ChangeOp, SnapshotDiff, Store
from tests.store.inventory_factory import (
    T0,
    bucket,
    denied,
    iam_user,
    inventory,
    posture_finding,
    posture_report,
    rule,
    security_group,
)

HOUR = timedelta(hours=1)
MFA, S3, SSH = "iam_user_mfa_enabled", "s3_bucket_public_access", "ec2_sg_no_ssh_from_world"
OPEN, PASS = FindingStatus.OPEN, FindingStatus.PASS


def web_sg(*ingress: dict[str, object]) -> CloudResource:
    return security_group("sg-0123456789abcdef0", list(ingress))


Verdicts = Sequence[tuple[str, CloudResource, FindingStatus]]


def _save(
    store: Store,
    hour: int,
    resources: list[CloudResource],
    verdicts: Verdicts,
    errors: Sequence[CollectionError] = (),
) -> str:
    at = T0 + hour * HOUR
    findings = [posture_finding(rule_id, r, status, at) for rule_id, r, status in verdicts]
    scan_id = store.save_scan(posture_report(findings, at=at), kind="posture")
    store.save_inventory(scan_id, inventory(resources, errors, at=at))
    return scan_id


def names(items: Iterable[CloudResource]) -> list[str]:
    return sorted(r.name or r.id for r in items)


def finding_keys(diff: SnapshotDiff, which: str) -> set[tuple[str, str, str]]:
    found = getattr(diff, which)
    return {(f.rule_id, f.evidence["subject"].rsplit("/", 1)[-1], str(f.status)) for f in found}


def test_three_snapshots_of_one_account(db_url: str) -> None:
    alice, bob, logs = iam_user("alice"), iam_user("bob", mfa=False), bucket("logs")
    assets, sg = bucket("shop-assets"), web_sg(rule("tcp", 443, ["0.0.0.0/0"]))
    bob2, carol = iam_user("bob"), iam_user("carol", mfa=False)
    public = bucket("shop-assets", public=True)
    sg2 = web_sg(rule("tcp", 443, ["0.0.0.0/0"]), rule("tcp", 22, ["0.0.0.0/0"]))
    dave = iam_user("dave", mfa=False)
    with Store.open(db_url) as store:
        s1 = _save(
            store,
            0,
            [alice, bob, assets, logs, sg],
            [(MFA, alice, PASS), (MFA, bob, OPEN), (S3, assets, PASS), (S3, logs, PASS),
             (SSH, sg, PASS)],
        )  # fmt: skip
        s2 = _save(
            store,
            1,
            [bob2, carol, public, logs, sg2],
            [(MFA, bob2, PASS), (MFA, carol, OPEN), (S3, public, OPEN), (S3, logs, PASS),
             (SSH, sg2, OPEN)],
        )  # fmt: skip
        # Hour 2: EC2 is denied in eu-west-1, carol is deleted, the bucket is private again.
        s3 = _save(
            store,
            2,
            [bob2, dave, assets, logs],
            [(MFA, bob2, PASS), (MFA, dave, OPEN), (S3, assets, PASS), (S3, logs, PASS)],
            [denied("aws.ec2.security_group")],
        )
        assert store.diff_previous(s1) is None
        d2, d3 = store.diff_previous(s2), store.diff_previous(s3)
        direct = store.snapshot_diff(s1, s3)

    assert d2 is not None and d2.before == s1 and d2.inventory is not None
    inv2 = d2.inventory
    assert (names(inv2.added), names(inv2.removed), inv2.unchanged) == (["carol"], ["alice"], 1)
    changed = {c.name: {a.path: a.op for a in c.attributes} for c in inv2.changed}
    assert changed == {
        "bob": {"mfa_devices[0]": ChangeOp.ADDED},
        "shop-assets": {
            "acl.grants[1]": ChangeOp.ADDED,
            "public_access_block.block_public_acls": ChangeOp.CHANGED,
            "public_access_block.ignore_public_acls": ChangeOp.CHANGED,
        },
        "web-def0": {"ingress[1]": ChangeOp.ADDED},
    }
    exposure = next(c.exposure for c in inv2.changed if c.name == "shop-assets")
    assert exposure is not None and exposure.after is not None and exposure.after.internet
    assert finding_keys(d2, "new_findings") == {
        (MFA, "carol", "open"),
        (S3, "arn:aws:s3:::shop-assets", "open"),  # PASS -> FAIL: same fingerprint
        (SSH, "sg-0123456789abcdef0", "open"),
    }
    assert finding_keys(d2, "resolved_findings") == {(MFA, "bob", "pass")}
    assert d2.unverified_findings == ()

    assert d3 is not None and d3.before == s2 and d3.inventory is not None
    inv3 = d3.inventory
    assert (names(inv3.added), names(inv3.removed)) == (["dave"], ["carol"])
    assert names(inv3.unseen) == ["web-def0"] and inv3.removed.count(sg2) == 0
    assert [(e.type, e.kind) for e in inv3.new_errors] == [
        ("aws.ec2.security_group", "access_denied")
    ]
    assert [c.name for c in inv3.changed] == ["shop-assets"]
    assert finding_keys(d3, "new_findings") == {(MFA, "dave", "open")}
    assert finding_keys(d3, "resolved_findings") == {
        (MFA, "carol", "fixed"),  # the user is gone
        (S3, "arn:aws:s3:::shop-assets", "pass"),
    }
    # Not reported because EC2 could not be read: not resolved, unverified.
    assert finding_keys(d3, "unverified_findings") == {(SSH, "sg-0123456789abcdef0", "fixed")}

    # `mamori diff --json` prints the model: it must survive JSON as it is.
    assert SnapshotDiff.model_validate_json(d2.model_dump_json()) == d2
    as_json = d2.model_dump(mode="json")
    sg_change = next(c for c in as_json["inventory"]["changed"] if c["name"] == "web-def0")
    assert sg_change["attributes"][0]["steps"] == ["ingress", 1]
    assert sg_change["attributes"][0]["new"]["ipv4_ranges"][0]["cidr"] == "0.0.0.0/0"

    # Hour 0 -> hour 2 directly: bob fixed his MFA, alice left, dave came.
    assert direct.inventory is not None
    assert names(direct.inventory.added) == ["dave"]
    assert names(direct.inventory.removed) == ["alice"]
    assert finding_keys(direct, "resolved_findings") == {(MFA, "bob", "pass")}
    assert finding_keys(direct, "new_findings") == {(MFA, "dave", "open")}


def test_scans_without_snapshots_still_diff_findings(db_url: str) -> None:
    bob = iam_user("bob", mfa=False)
    with Store.open(db_url) as store:
        first = store.save_scan(
            posture_report([posture_finding(MFA, bob, OPEN, T0)]), kind="posture"
        )
        second = store.save_scan(posture_report([], at=T0 + HOUR), kind="posture")
        diff = store.diff_previous(second)
    assert diff is not None and diff.before == first and diff.inventory is None
    assert finding_keys(diff, "resolved_findings") == {(MFA, "bob", "fixed")}


def test_the_first_snapshot_still_diffs_findings_with_older_scans(db_url: str) -> None:
    """Scans stored before snapshots existed: findings compare, the inventory cannot."""
    bob = iam_user("bob", mfa=False)
    with Store.open(db_url) as store:
        old = store.save_scan(posture_report([posture_finding(MFA, bob, OPEN, T0)]), kind="posture")
        new = _save(store, 1, [bob], [(MFA, bob, OPEN)])
        newer = _save(store, 2, [bob], [(MFA, bob, PASS)])
        first, second = store.diff_previous(new), store.diff_previous(newer)
    assert first is not None and first.before == old and first.inventory is None
    assert first.new_findings == () and first.resolved_findings == ()
    assert second is not None and second.before == new and second.inventory is not None
    assert second.inventory.empty and finding_keys(second, "resolved_findings") == {
        (MFA, "bob", "pass")
    }
