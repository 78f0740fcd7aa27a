"""Inventory snapshots in SQLite and PostgreSQL: round trip, odd input, cascade, migration."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from mamori.model import GLOBAL_REGION, CloudResource
from mamori.store import DuplicateScanError, Store, StoreError, migrate
from mamori.store._url import resolve_url
from mamori.store.engine import make_engine
from tests.store.inventory_factory import (
    ACCOUNT,
    OTHER,
    T0,
    bucket,
    denied,
    iam_user,
    inventory,
    nacl,
    posture_report,
    rule,
    security_group,
)

NEW_TABLES = {"cloud_inventories", "cloud_resources", "collection_errors"}


def sample() -> list[CloudResource]:
    return [
        iam_user("alice"),
        iam_user("root-like", mfa=False, keys=2),
        iam_user("mallory", account=OTHER),
        bucket("shop-assets", public=True),
        bucket("logs", region="us-east-1"),
        security_group("sg-0a", [rule("tcp", 22, ["0.0.0.0/0"], ["::/0"])]),
        nacl("acl-1", [(100, False, "allow", "10.0.0.0/8"), (100, True, "deny", "0.0.0.0/0")]),
    ]


def test_round_trip_keeps_everything(db_url: str) -> None:
    inv = inventory(sample(), [denied("aws.rds.instance"), denied("aws.iam.role", GLOBAL_REGION)])
    with Store.open(db_url) as store:
        scan_id = store.save_scan(posture_report([]), kind="posture")
        assert store.get_inventory(scan_id) is None
        assert store.save_inventory(scan_id, inv) == len(inv.resources)
        assert store.get_inventory(scan_id) == inv
        mine = store.get_inventory(scan_id, account=OTHER)
    assert mine is not None
    assert [r.name for r in mine.resources] == ["mallory"] and mine.errors == ()


def test_an_empty_inventory_is_a_snapshot(db_url: str) -> None:
    with Store.open(db_url) as store:
        scan_id = store.save_scan(posture_report([]), kind="posture")
        store.save_inventory(scan_id, inventory([]))
        stored = store.get_inventory(scan_id)
    assert stored is not None and stored.resources == ()


def test_odd_attributes_are_stored_as_json(db_url: str) -> None:
    when = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    odd = CloudResource(
        type="aws.kms.key",
        id="k1",
        account=ACCOUNT,
        region="eu-west-1",
        attributes={
            "creation_date": when,  # boto3 hands out datetimes
            "aliases": {"alias/b", "alias/a"},
            "ratio": math.nan,
            "tuple": (1, 2),
            "by_port": {22: "ssh"},
            "blob": b"\x00ok",
        },
    )
    with Store.open(db_url) as store:
        scan_id = store.save_scan(posture_report([]), kind="posture")
        store.save_inventory(scan_id, inventory([odd]))
        stored = store.get_inventory(scan_id)
    assert stored is not None
    assert stored.resources[0].attributes == {
        "creation_date": "2026-02-03T04:05:06+00:00",
        "aliases": ["alias/a", "alias/b"],
        "ratio": None,
        "tuple": [1, 2],
        "by_port": {"22": "ssh"},
        "blob": "\x00ok",
    }


def test_repeated_keys_keep_the_last(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    first, second = iam_user("alice"), iam_user("alice", mfa=False)
    with Store.open(db_url) as store, caplog.at_level(logging.WARNING):
        scan_id = store.save_scan(posture_report([]), kind="posture")
        assert store.save_inventory(scan_id, inventory([first, second])) == 1
        stored = store.get_inventory(scan_id)
    assert stored is not None and stored.resources == (second,)
    assert "repeat a key" in caplog.text


def test_one_snapshot_per_scan_and_only_for_a_stored_scan(db_url: str) -> None:
    with Store.open(db_url) as store:
        scan_id = store.save_scan(posture_report([]), kind="posture")
        store.save_inventory(scan_id, inventory(sample()))
        with pytest.raises(DuplicateScanError, match="already stored"):
            store.save_inventory(scan_id, inventory([]))
        with pytest.raises(StoreError, match="no stored scan"):
            store.save_inventory("00000000-0000-0000-0000-000000000000", inventory([]))
        # The failed second save left the first snapshot intact.
        assert store.get_inventory(scan_id) == inventory(sample())


def test_deleting_a_scan_deletes_its_snapshot(db_url: str) -> None:
    """How retention prunes: delete the scan row, the snapshot rows follow (CASCADE)."""
    with Store.open(db_url) as store:
        keep = store.save_scan(posture_report([]), kind="posture")
        drop = store.save_scan(posture_report([], at=T0 + timedelta(hours=1)), kind="posture")
        for scan_id in (keep, drop):
            store.save_inventory(scan_id, inventory(sample(), [denied("aws.rds.instance")]))
        with store.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM scans WHERE id = :id"), {"id": drop})
            counts = {
                table: conn.execute(
                    sa.text(f"SELECT count(*) FROM {table} WHERE scan_id = :id"), {"id": drop}
                ).scalar_one()
                for table in NEW_TABLES
            }
        assert counts == dict.fromkeys(NEW_TABLES, 0)
        assert store.get_inventory(keep) == inventory(sample(), [denied("aws.rds.instance")])


def test_previous_scan_orders_by_start_and_skips_scans_without_snapshot(db_url: str) -> None:
    reports = [posture_report([], at=T0 + timedelta(hours=h)) for h in (0, 1, 2)]
    same_instant = posture_report([], at=T0 + timedelta(hours=2))
    with Store.open(db_url) as store:
        ids = [store.save_scan(r, kind="posture") for r in reports]
        tie = store.save_scan(same_instant, kind="posture")
        store.save_scan(posture_report([], at=T0 + timedelta(hours=3)), kind="vuln")
        store.save_inventory(ids[0], inventory([]))
        key = reports[0].target.key
        latest = store.previous_scan(key, "posture")
        assert latest is not None and latest.id == max(ids[2], tie)
        before_2 = store.previous_scan(key, "posture", before=ids[1])
        assert before_2 is not None and before_2.id == ids[0]
        assert store.previous_scan(key, "posture", before=ids[0]) is None
        # The two scans of the same instant: each is the other's neighbour, one way.
        first, second = sorted((ids[2], tie))
        prior = store.previous_scan(key, "posture", before=second)
        assert prior is not None and prior.id == first
        with_snapshot = store.previous_scan(key, "posture", before=ids[2], with_inventory=True)
        assert with_snapshot is not None and with_snapshot.id == ids[0]
        assert store.previous_scan("no-such-asset", "posture") is None
        with pytest.raises(StoreError, match="no stored scan"):
            store.previous_scan(key, "posture", before="00000000-0000-0000-0000-000000000000")


def test_migration_adds_and_removes_only_its_tables(db_url: str) -> None:
    engine = make_engine(resolve_url(db_url))
    try:
        migrate.upgrade(engine, "0001")
        old = set(sa.inspect(engine).get_table_names())
        assert not old & NEW_TABLES
        migrate.upgrade(engine)
        assert set(sa.inspect(engine).get_table_names()) == old | NEW_TABLES
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes("cloud_resources")}
        assert {"ix_cloud_resources_key", "ix_cloud_resources_account_type"} <= indexes
        assert migrate.schema_drift(engine) == []
        migrate.downgrade(engine, "0001")
        assert set(sa.inspect(engine).get_table_names()) == old
        migrate.upgrade(engine)
        assert migrate.schema_drift(engine) == []
    finally:
        engine.dispose()


def test_one_account_of_a_shared_inventory_is_saved_per_scan(db_url: str) -> None:
    """The posture scan makes one report per account and one inventory for all."""
    inv = inventory(sample(), [denied("aws.iam.user", GLOBAL_REGION, OTHER)])
    with Store.open(db_url) as store:
        mine = store.save_scan(posture_report([]), kind="posture")
        theirs = store.save_scan(posture_report([]), kind="posture")
        assert store.save_inventory(mine, inv, account=ACCOUNT) == len(sample()) - 1
        assert store.save_inventory(theirs, inv, account=OTHER) == 1
        stored = store.get_inventory(theirs)
    assert stored is not None and stored.accounts == (OTHER,)
    assert [r.name for r in stored.resources] == ["mallory"]
    assert [e.type for e in stored.errors] == ["aws.iam.user"]


def test_no_exposure_is_sql_null(db_url: str) -> None:
    """Queries like "resources never analysed" can use IS NULL."""
    unanalysed = iam_user("alice")
    with Store.open(db_url) as store:
        scan_id = store.save_scan(posture_report([]), kind="posture")
        store.save_inventory(scan_id, inventory([unanalysed, bucket("b", public=True)]))
        with store.engine.connect() as conn:
            nulls = conn.execute(
                sa.text("SELECT key FROM cloud_resources WHERE exposure IS NULL")
            ).scalars()
            assert list(nulls) == [unanalysed.key]
