"""Two processes saving scans at once lose nothing and agree on history.

Each process opens the store itself (so both also race to migrate a fresh database),
then saves scans of its own asset and of one shared asset, interleaved in time. Whatever
order the writes land in, the shared asset's findings must end up as if the scans had
been saved in time order: open = what the newest scan saw, first_seen = the earliest
sighting.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mamori.model import FindingStatus
from mamori.store import Store
from tests.store.factory import T0, image_asset, match_for, packages, report

SCANS_PER_WORKER = 6
PACKAGES = 200
SHARED = "registry.example.com/shared/base"


def _scan(asset_name: str, index: int, shift: int) -> Any:
    """Scan number `index` of an asset: matches on packages [index, index + 30)."""
    pkgs = packages(PACKAGES)
    matches = [match_for(pkgs[i], f"CVE-2025-{i:05d}") for i in range(index, index + 30)]
    return report(
        image_asset(asset_name), pkgs, matches, at=T0 + timedelta(hours=index, minutes=shift)
    )


def _worker(url: str, worker: int, barrier: Any) -> None:
    barrier.wait(timeout=60)
    with Store.open(url) as store:
        for k in range(SCANS_PER_WORKER):
            shared_index = 2 * k + worker  # the workers' shared scans interleave in time
            store.save_scan(_scan(SHARED, shared_index, 0))
            store.save_scan(_scan(f"registry.example.com/own/w{worker}", k, worker))


@pytest.mark.slow
def test_two_processes_writing_at_once(db_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_worker, args=(db_url, w, barrier)) for w in (0, 1)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=180)
    assert [p.exitcode for p in workers] == [0, 0]

    total = 2 * 2 * SCANS_PER_WORKER
    with Store.open(db_url) as store:
        assert len(store.list_scans(limit=1000)) == total
        shared = image_asset(SHARED).key
        findings = store.findings(shared)
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT count(*) FROM scan_packages").scalar()
            seen = conn.exec_driver_sql("SELECT count(*) FROM finding_sightings").scalar()
    assert rows == total * PACKAGES
    assert seen == total * 30

    last = 2 * SCANS_PER_WORKER - 1  # the newest shared scan's index
    expected_open = {f"CVE-2025-{i:05d}" for i in range(last, last + 30)}
    assert {f.rule_id for f in findings if f.status is FindingStatus.OPEN} == expected_open
    assert len(findings) == last + 30
    for finding in findings:
        first_index = max(0, int(finding.rule_id[-5:]) - 29)
        expected = _scan(SHARED, first_index, 0).finished_at
        assert finding.first_seen == expected, finding.rule_id


def test_sqlite_file_is_readable_while_a_writer_holds_the_lock(
    sqlite_url: str, tmp_path: Path
) -> None:
    """WAL: a reader is not blocked by an open write transaction."""
    with Store.open(sqlite_url) as store:
        store.save_scan(_scan("registry.example.com/a", 0, 0))
        blocker = sqlite3.connect(tmp_path / "mamori.db", isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            blocker.execute("DELETE FROM finding_sightings")
            assert len(store.list_scans()) == 1  # reads the last committed state
            assert len(store.get_scan(store.list_scans()[0].id).findings) == 30  # type: ignore[union-attr]
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
