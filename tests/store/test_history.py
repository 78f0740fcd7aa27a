"""History across scans of one asset: first_seen kept, fixes detected, diffs computed."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import (
    Asset,
    AssetKind,
    Finding,
    FindingKind,
    FindingStatus,
    Identity,
    Provenance,
    Severity,
)
from mamori.store import Store
from mamori.vuln.suppress import Suppressed, SuppressionKind
from tests.store.factory import T0, deb, image_asset, match_for, report

DAY = timedelta(days=1)


def by_rule(findings: list[Finding] | tuple[Finding, ...]) -> dict[str, Finding]:
    return {f.rule_id: f for f in findings}


def test_three_scans_of_one_asset(db_url: str) -> None:
    asset = image_asset()
    a10, a11, b, c, d = (
        deb("openssl", "3.0.11-1"),
        deb("openssl", "3.0.13-1"),
        deb("curl", "7.88.1-10"),
        deb("zlib1g", "1.2.13"),
        deb("libxml2", "2.9.14"),
    )
    r1 = report(
        asset,
        [a10, b, c],
        [
            match_for(a10, "CVE-2024-0001"),
            match_for(b, "CVE-2024-0002"),
            match_for(c, "CVE-2024-0003"),
        ],
        at=T0,
    )
    waived = Suppressed(
        match=match_for(c, "CVE-2024-0003"),
        kind=SuppressionKind.IGNORE,
        reason="zlib inflate is never fed untrusted input here",
        source=".mamori-ignore.yaml:4",
    )
    r2 = report(
        asset,
        [a11, b, c, d],
        [match_for(b, "CVE-2024-0002"), match_for(d, "CVE-2024-0004")],
        at=T0 + DAY,
    )
    r3 = report(
        asset,
        [a11, c, d],
        [
            match_for(c, "CVE-2024-0003"),
            match_for(d, "CVE-2024-0004"),
            match_for(a11, "CVE-2024-0005"),
        ],
        at=T0 + 2 * DAY,
    )
    other = report(image_asset("registry.example.com/shop/web"), [b], [], at=T0 + 3 * DAY)

    with Store.open(db_url) as store:
        s1 = store.save_scan(r1)
        s2 = store.save_scan(r2, ignored=[waived])
        after2 = by_rule(store.findings(asset.key))
        s3 = store.save_scan(r3)
        store.save_scan(other)  # another asset: must not touch this one's findings
        after3 = by_rule(store.findings(asset.key))
        only_open = by_rule(store.findings(asset.key, status=FindingStatus.OPEN))
        d12, d23 = store.diff(s1, s2), store.diff(s2, s3)
        seen2 = by_rule(store.get_scan(s2).findings)  # type: ignore[union-attr]
        listed = [s.id for s in store.list_scans(asset.key)]
        latest_two = [s.id for s in store.list_scans(asset.key, limit=2)]

    # After scan 2: openssl upgraded (fixed), curl kept, zlib waived, libxml2 new.
    assert after2["CVE-2024-0001"].status is FindingStatus.FIXED
    assert after2["CVE-2024-0001"].last_seen == r1.finished_at
    assert after2["CVE-2024-0002"].status is FindingStatus.OPEN
    assert after2["CVE-2024-0002"].first_seen == r1.finished_at
    assert after2["CVE-2024-0002"].last_seen == r2.finished_at
    assert after2["CVE-2024-0003"].status is FindingStatus.IGNORED
    assert after2["CVE-2024-0003"].reason == waived.reason
    assert after2["CVE-2024-0004"].first_seen == r2.finished_at
    assert seen2["CVE-2024-0003"].status is FindingStatus.IGNORED
    assert after2["CVE-2024-0003"].evidence["suppression_source"] == ".mamori-ignore.yaml:4"
    assert after2["CVE-2024-0003"].evidence["suppressed_by"] == "ignore"

    # After scan 3: curl gone (fixed), the waiver dropped (open again, first_seen kept).
    assert {k: v.status for k, v in after3.items()} == {
        "CVE-2024-0001": FindingStatus.FIXED,
        "CVE-2024-0002": FindingStatus.FIXED,
        "CVE-2024-0003": FindingStatus.OPEN,
        "CVE-2024-0004": FindingStatus.OPEN,
        "CVE-2024-0005": FindingStatus.OPEN,
    }
    assert after3["CVE-2024-0003"].first_seen == r1.finished_at
    assert after3["CVE-2024-0003"].reason == ""
    assert after3["CVE-2024-0004"].first_seen == r2.finished_at
    assert after3["CVE-2024-0005"].first_seen == r3.finished_at
    assert after3["CVE-2024-0002"].last_seen == r2.finished_at
    assert set(only_open) == {"CVE-2024-0003", "CVE-2024-0004", "CVE-2024-0005"}

    assert {f.rule_id for f in d12.new} == {"CVE-2024-0004"}
    assert {f.rule_id for f in d12.fixed} == {"CVE-2024-0001"}
    assert {f.rule_id for f in d12.unchanged} == {"CVE-2024-0002", "CVE-2024-0003"}
    assert [p.name for p in d12.added] == ["libxml2"] and d12.removed == ()
    assert [(c.before.version, c.after.version) for c in d12.changed] == [("3.0.11-1", "3.0.13-1")]
    assert {f.rule_id for f in d23.new} == {"CVE-2024-0005"}
    assert {f.rule_id for f in d23.fixed} == {"CVE-2024-0002"}
    assert all(f.status is FindingStatus.FIXED for f in d23.fixed)
    assert {f.rule_id for f in d23.unchanged} == {"CVE-2024-0003", "CVE-2024-0004"}
    assert [p.name for p in d23.removed] == ["curl"] and d23.added == () and d23.changed == ()

    assert listed == [s3, s2, s1] and latest_two == [s3, s2]


def test_reappearing_finding_reopens_with_its_first_seen(db_url: str) -> None:
    asset = image_asset()
    pkg = deb("bash", "5.2.15-2")
    vuln = match_for(pkg, "CVE-2022-3715")
    with Store.open(db_url) as store:
        store.save_scan(report(asset, [pkg], [vuln], at=T0))
        store.save_scan(report(asset, [pkg], [], at=T0 + DAY))
        assert store.findings(asset.key)[0].status is FindingStatus.FIXED
        r3 = report(asset, [pkg], [vuln], at=T0 + 2 * DAY)
        store.save_scan(r3)
        (finding,) = store.findings(asset.key)
    assert finding.status is FindingStatus.OPEN
    assert finding.first_seen == T0 + timedelta(seconds=42, microseconds=17)
    assert finding.last_seen == r3.finished_at


def test_late_upload_of_an_older_scan_does_not_rewrite_the_present(db_url: str) -> None:
    asset = image_asset()
    pkg, old = deb("bash", "5.2.15-2"), deb("sudo", "1.9.13p3-1")
    with Store.open(db_url) as store:
        store.save_scan(report(asset, [pkg], [match_for(pkg, "CVE-2022-3715")], at=T0))
        late = report(
            asset,
            [pkg, old],
            [match_for(pkg, "CVE-2022-3715"), match_for(old, "CVE-2023-22809")],
            at=T0 - DAY,
        )
        late_id = store.save_scan(late)
        current = by_rule(store.findings(asset.key))
        late_seen = by_rule(store.get_scan(late_id).findings)  # type: ignore[union-attr]
    assert current["CVE-2022-3715"].status is FindingStatus.OPEN
    assert current["CVE-2022-3715"].first_seen == late.finished_at  # moved back in time
    assert current["CVE-2022-3715"].last_seen > late.finished_at
    # Seen only by the older scan: recorded, but already gone by the newer one.
    assert current["CVE-2023-22809"].status is FindingStatus.FIXED
    assert set(late_seen) == {"CVE-2022-3715", "CVE-2023-22809"}


def test_scope_and_kinds_other_scans_report(db_url: str) -> None:
    """A cloud-account scan's findings live on their resources, are found through the
    account (their scope), and a vulnerability scan never marks them fixed."""
    account = Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name="aws:123456789012",
        identity=Identity(account="123456789012"),
    )
    bucket = Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name="arn:aws:s3:::shop-logs",
        identity=Identity(account="123456789012", region="eu-west-1"),
    )
    posture = Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id="s3_bucket_default_encryption",
        title="S3 bucket has no default encryption",
        severity=Severity.MEDIUM,
        resource=bucket,
        evidence={"subject": bucket.name},
        first_seen=T0,
        last_seen=T0,
        provenance=Provenance(
            producer="mamori.posture.aws", producer_version="0.1.0", observed_at=T0
        ),
    )
    base = report(account, [], [], at=T0)
    with Store.open(db_url) as store:
        store.save_scan(base.model_copy(update={"findings": (posture,)}), kind="posture")
        store.save_scan(report(account, [], [], at=T0 + DAY))  # a "vuln" scan, nothing found
        via_scope = store.findings(account.key)
        via_resource = store.findings(bucket.key)
        assert via_scope == via_resource and via_scope[0].status is FindingStatus.OPEN
        assert via_scope[0].fingerprint == posture.fingerprint
        assert via_scope[0].resource == bucket
        store.save_scan(report(account, [], [], at=T0 + 2 * DAY), kind="posture")
        assert store.findings(bucket.key)[0].status is FindingStatus.FIXED
        assert {a.key for a in store.assets()} == {account.key, bucket.key}


def _state(store: Store, scope: str) -> dict[str, tuple[object, ...]]:
    """rule id -> stored state, read straight from the findings table."""
    query = sa.text(
        "SELECT rule_id, status, first_seen, last_seen, fixed_at, reason FROM findings"
        " WHERE scope_key = :scope"
    )
    with store.engine.connect() as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(query, {"scope": scope})}


def test_history_does_not_depend_on_arrival_order(sqlite_url: str) -> None:
    """Scans saved in time order and the same scans saved shuffled (agents upload late)
    leave identical finding state: status, first/last seen, fixed_at, reason."""
    pkgs = [deb(f"pkg{i}", "1.0") for i in range(5)]
    vulns = [match_for(p, f"CVE-2024-{i:04d}") for i, p in enumerate(pkgs)]
    store = Store.open(sqlite_url)
    counter = iter(range(10_000))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.tuples(st.sets(st.integers(0, 4)), st.sets(st.integers(0, 4), max_size=1)),
            min_size=1,
            max_size=5,
        ),
        st.randoms(use_true_random=False),
    )
    def run(scans: list[tuple[set[int], set[int]]], rnd: random.Random) -> None:
        n = next(counter)
        in_order, shuffled = (image_asset(f"reg.example.com/p{n}/{w}") for w in "ab")
        for asset, order in (
            (in_order, list(range(len(scans)))),
            (shuffled, rnd.sample(range(len(scans)), len(scans))),
        ):
            for i in order:
                seen, waived = scans[i]
                open_ = [vulns[j] for j in sorted(seen - waived)]
                ignored = [
                    Suppressed(
                        match=vulns[j], kind=SuppressionKind.IGNORE, reason=f"r{i}", source="f:1"
                    )
                    for j in sorted(seen & waived)
                ]
                store.save_scan(report(asset, pkgs, open_, at=T0 + i * DAY), ignored=ignored)
        assert _state(store, in_order.key) == _state(store, shuffled.key)

    try:
        run()
    finally:
        store.close()


def test_a_framework_scan_fixes_only_the_checks_it_ran(db_url: str) -> None:
    """One account scanned alternately with two frameworks: the second framework's scan
    did not run the first one's checks, so their failures stay OPEN; a scan that ran a
    check and no longer sees its failure fixes it."""
    account = Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name="aws account 123456789012",
        identity=Identity(account="123456789012"),
    )
    bucket = Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name="arn:aws:s3:::shop-logs",
        identity=Identity(account="123456789012", region="eu-west-1"),
    )

    def failing(check: str, at: object) -> Finding:
        return Finding(
            kind=FindingKind.MISCONFIGURATION,
            rule_id=check,
            title=check,
            severity=Severity.MEDIUM,
            resource=bucket,
            evidence={"subject": bucket.name},
            first_seen=T0,
            last_seen=T0,
            provenance=Provenance(
                producer="mamori.posture.aws", producer_version="0.1.0", observed_at=T0
            ),
        )

    def scan(at: int, checks: tuple[str, ...], fails: tuple[str, ...], kind: str) -> None:
        base = report(account, [], [], at=T0 + at * DAY)
        update = {"findings": tuple(failing(c, at) for c in fails), "evaluated": checks}
        store.save_scan(base.model_copy(update=update), kind=kind)

    with Store.open(db_url) as store:
        scan(0, ("cis_only", "shared"), ("cis_only", "shared"), "posture:cis_aws_3.0")
        scan(1, ("pci_only", "shared"), ("pci_only", "shared"), "posture:pci_dss_4.0")
        state = {f.rule_id: f.status for f in store.findings(account.key)}
        assert state == {
            "cis_only": FindingStatus.OPEN,  # PCI did not run it: unknown, not fixed
            "shared": FindingStatus.OPEN,
            "pci_only": FindingStatus.OPEN,
        }
        scan(2, ("cis_only", "shared"), ("shared",), "posture:cis_aws_3.0")
        state = {f.rule_id: f.status for f in store.findings(account.key)}
        assert state["cis_only"] is FindingStatus.FIXED  # CIS ran it and saw it pass
        assert state["pci_only"] is FindingStatus.OPEN
        assert state["shared"] is FindingStatus.OPEN
