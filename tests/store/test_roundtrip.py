"""A realistic scan report goes in and comes back out unchanged."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC
from pathlib import Path

import pytest

from mamori.model import FindingKind, FindingStatus, Notice, NoticeLevel
from mamori.store import DuplicateScanError, Store, default_path
from tests.store.factory import big_report, image_asset, match_for, packages, report


def test_round_trip_of_a_realistic_report(db_url: str) -> None:
    pkgs = packages(300)
    matches = [match_for(pkgs[i], f"CVE-2023-{4000 + i}") for i in range(0, 300, 7)]
    matches.append(match_for(pkgs[-3], "GHSA-2gwj-7jmv-h26r"))  # Django, not a CVE
    notes = [Notice(level=NoticeLevel.WARNING, source="sbom.python", message="bad RECORD")]
    original = report(image_asset(), pkgs, matches, notices=notes)

    with Store.open(db_url) as store:
        scan_id = store.save_scan(original)
        assert scan_id == original.scan_id
        stored = store.get_scan(scan_id)
    assert stored is not None

    summary = stored.summary
    assert summary.asset == original.target
    assert summary.asset.key == original.target.key
    assert summary.kind == "vuln" and summary.status == "completed"
    # Timestamps come back aware, in UTC, to the microsecond.
    assert summary.started_at == original.started_at and summary.started_at.tzinfo == UTC
    assert summary.finished_at == original.finished_at
    assert summary.notices == original.notices
    assert summary.database == original.database
    assert summary.distro == original.sbom.distro
    assert summary.layers == original.sbom.layers
    assert summary.stats == original.stats
    assert summary.package_count == 300 and summary.finding_count == len(matches)

    assert stored.packages == original.sbom.packages  # order, locations, metadata, licenses
    assert [p.id for p in stored.packages] == [p.id for p in original.sbom.packages]

    by_rule = {f.rule_id: f for f in stored.findings}
    assert set(by_rule) == {m.vulnerability_id for m in matches}
    for match in matches:
        finding = by_rule[match.vulnerability_id]
        assert finding.kind is FindingKind.VULNERABILITY
        assert finding.status is FindingStatus.OPEN
        assert finding.severity is match.severity
        assert finding.resource == original.target
        assert finding.evidence["purl"] == match.purl
        assert finding.evidence["fixed_versions"] == "1.0-2"
        assert finding.first_seen == finding.last_seen == original.finished_at
        assert finding.provenance.scan_id == scan_id
    # The fingerprint recomputed from the stored finding is the one it is stored under.
    with Store.open(db_url) as store:
        current = store.findings(original.target.key)
    assert {f.fingerprint for f in current} == {f.fingerprint for f in stored.findings}


def test_non_uuid_scan_ids_map_to_a_stable_uuid(sqlite_url: str) -> None:
    original = report(image_asset(), packages(3), [], scan_id="ci-run-8812")
    with Store.open(sqlite_url) as store:
        scan_id = store.save_scan(original)
        assert scan_id != "ci-run-8812" and len(scan_id) == 36
        stored = store.get_scan("ci-run-8812")
        assert stored is not None and stored.summary.id == scan_id
        with pytest.raises(DuplicateScanError):
            store.save_scan(original)
        assert len(store.list_scans()) == 1
        assert store.get_scan("0b8f5c0e-2d7a-4a43-9c8e-7a1e0d7b8a11") is None


def test_error_notices_mark_a_scan_partial(db_url: str) -> None:
    bad = Notice(level=NoticeLevel.ERROR, source="sources.image", message="layer 3 unreadable")
    with Store.open(db_url) as store:
        scan_id = store.save_scan(report(image_asset(), packages(2), [], notices=[bad]))
        assert store.list_scans()[0].status == "partial"
        assert store.list_scans()[0].id == scan_id


def test_default_store_is_an_xdg_sqlite_file_with_wal_and_foreign_keys() -> None:
    # conftest points XDG_DATA_HOME at a fresh temporary directory.
    path = default_path()
    assert not path.exists() and "mamori" in path.parts
    with Store.open() as store:
        assert store.url.endswith(str(path))
        store.save_scan(big_report(image_asset(), 20, 5))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Checked with the sqlite3 module itself, not through the store.
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM scan_packages").fetchone()[0] == 20
        assert conn.execute("SELECT count(*) FROM finding_sightings").fetchone()[0] == 5
    finally:
        conn.close()
    with Store.open() as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


def test_env_var_selects_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "deep" / "dir" / "chosen.db"
    monkeypatch.setenv("MAMORI_DB_URL", f"sqlite:///{target}")
    with Store.open() as store:
        store.save_scan(report(image_asset(), packages(1), []))
    assert target.exists() and not default_path().exists()
