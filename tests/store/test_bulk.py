"""A large scan (5,000 packages, 2,000 findings) saves in bulk, not row by row."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from mamori.model import FindingStatus
from mamori.store import Store
from tests.store.factory import T0, big_report, image_asset

# Measured on the 2-core test machine: about 0.4 s on SQLite and 0.5 s on PostgreSQL.
# Row-by-row ORM inserts take tens of seconds; the bound catches that, not noise.
BOUND_S = 15.0


@pytest.mark.slow
def test_large_scan_saves_fast(db_url: str, record_property: pytest.RecordProperty) -> None:
    asset = image_asset()
    first = big_report(asset, 5000, 2000, at=T0)
    second = big_report(asset, 5000, 2000, at=T0 + timedelta(days=1))
    with Store.open(db_url) as store:
        started = time.perf_counter()
        store.save_scan(first)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        store.save_scan(second)  # every finding already known: the update path
        second_s = time.perf_counter() - started
        stored = store.get_scan(second.scan_id)
        open_now = store.findings(asset.key, status=FindingStatus.OPEN)
    record_property("save_first_s", round(first_s, 3))
    record_property("save_repeat_s", round(second_s, 3))
    print(f"\n{db_url.split(':')[0]}: first save {first_s:.3f} s, repeat {second_s:.3f} s")
    assert stored is not None and len(stored.packages) == 5000 and len(stored.findings) == 2000
    assert len(open_now) == 2000
    assert first_s < BOUND_S and second_s < BOUND_S
