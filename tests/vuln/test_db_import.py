"""OSV import: formats and containers, upsert rules, withdrawn records, names, CVSS, KEV,
status and the default location."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from mamori.model import Severity
from mamori.vuln.db import (
    KevError,
    VulnDb,
    import_kev,
    import_osv,
    status,
)
from mamori.vuln.paths import default_db_path


def record(ident: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": ident,
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Foo_Bar"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                ],
            }
        ],
    }
    base.update(fields)
    return base


def write(dir_: Path, name: str, value: object) -> Path:
    path = dir_ / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path


PYSEC_YAML = """\
id: PYSEC-2099-1
modified: "2024-02-02T00:00:00Z"
published: 2024-02-01T00:00:00Z
aliases:
- CVE-2099-0001
- GHSA-aaaa-bbbb-cccc
details: a YAML record with unquoted versions
affected:
- package:
    name: foo.bar
    ecosystem: PyPI
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: "0"
    - fixed: 1.10
  versions:
  - 1.9
  - 1.0
"""


def corpus(dir_: Path) -> None:
    write(
        dir_,
        "a/GHSA-aaaa-bbbb-cccc.json",
        record(
            "GHSA-aaaa-bbbb-cccc",
            aliases=["CVE-2099-0001"],
            summary="A GitHub advisory",
            severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            database_specific={"severity": "MODERATE"},
        ),
    )
    (dir_ / "b").mkdir(exist_ok=True)
    (dir_ / "b" / "PYSEC-2099-1.yaml").write_text(PYSEC_YAML)
    write(
        dir_,
        "GO-2099-0001.json",
        record(
            "GO-2099-0001",
            affected=[
                {
                    "package": {"ecosystem": "Go", "name": "github.com/Foo/Bar"},
                    "ranges": [
                        {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]}
                    ],
                }
            ],
        ),
    )
    (dir_ / "README.md").write_text("not a record")
    (dir_ / ".hidden.json").write_text("{}")


def rows(db: VulnDb, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.conn.execute(sql)]


def snapshot(db: VulnDb) -> tuple[list[tuple[Any, ...]], ...]:
    return (
        rows(
            db,
            "SELECT id, modified, withdrawn, source, digest, related FROM advisories ORDER BY id",
        ),
        rows(db, "SELECT * FROM affected ORDER BY 1, 2, 3, 4"),
        rows(db, "SELECT * FROM aliases ORDER BY 1, 2"),
    )


def test_directory_import_json_and_yaml(tmp_path: Path) -> None:
    corpus(tmp_path / "src")
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        result = import_osv(tmp_path / "src", db)
        assert (result.added, result.skipped_count) == (3, 0)
        assert result.ecosystems == {"PyPI": 2, "Go": 1}
        # PEP 503: "Foo_Bar" and "foo.bar" are one name; Go names keep their case.
        found = db.lookup("PyPI", ["foo-bar"])
        assert sorted(aid for _, aid in found["foo-bar"]) == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"]
        assert db.lookup("Go", ["github.com/foo/bar"]) == {}
        assert db.lookup("Go", ["github.com/Foo/Bar"])
        pysec = db.advisories(["PYSEC-2099-1"])["PYSEC-2099-1"].advisory
        # YAML scalars stay strings: "1.10" is not the float 1.1.
        assert pysec.affected[0].ranges[0].events[1].fixed == "1.10"
        assert pysec.affected[0].versions == ("1.9", "1.0")
        assert pysec.aliases == ("CVE-2099-0001", "GHSA-aaaa-bbbb-cccc")
        assert pysec.source == "pypa"
        assert db.ids_for_alias("CVE-2099-0001") == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"]


def test_cvss_and_database_severity(tmp_path: Path) -> None:
    corpus(tmp_path / "src")
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        import_osv(tmp_path / "src", db)
        ghsa = db.advisories(["GHSA-aaaa-bbbb-cccc"])["GHSA-aaaa-bbbb-cccc"].advisory
    (score,) = ghsa.cvss
    assert (score.version, score.base_score, score.severity) == ("3.1", 9.8, Severity.CRITICAL)
    assert ghsa.database_severity is Severity.MEDIUM
    assert ghsa.severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("kind", "vector", "version", "score", "severity"),
    [
        ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", 7.5, Severity.HIGH),
        ("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C", "2.0", 10.0, Severity.HIGH),  # v2: no critical
        ("CVSS_V3", "CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", "3.0", 1.8, Severity.LOW),
        (
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
            "4.0",
            5.1,
            Severity.MEDIUM,
        ),
    ],
)
def test_cvss_versions(
    tmp_path: Path, kind: str, vector: str, version: str, score: float, severity: Severity
) -> None:
    write(tmp_path / "src", "X-1.json", record("X-1", severity=[{"type": kind, "score": vector}]))
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        import_osv(tmp_path / "src", db)
        (cvss,) = db.advisories(["X-1"])["X-1"].advisory.cvss
    assert (cvss.version, cvss.base_score, cvss.severity) == (version, score, severity)


def test_bad_cvss_vector_costs_only_the_score(tmp_path: Path) -> None:
    write(
        tmp_path / "src",
        "X-2.json",
        record(
            "X-2",
            severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:Q"}],
            summary="Important: something",
        ),
    )
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        result = import_osv(tmp_path / "src", db)
        advisory = db.advisories(["X-2"])["X-2"].advisory
    assert result.added == 1 and result.warnings and "CVSS_V3" in result.warnings[0]
    assert advisory.cvss == ()
    assert advisory.database_severity is Severity.HIGH  # Red Hat-style summary rating


def _zip(src: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(src).as_posix())
    return out


def _tgz(src: Path, out: Path) -> Path:
    with tarfile.open(out, "w:gz") as tf:
        tf.add(src, arcname="top")
    return out


def test_zip_and_tar_give_the_same_database_as_the_directory(tmp_path: Path) -> None:
    corpus(tmp_path / "src")
    inputs = {
        "dir": tmp_path / "src",
        "zip": _zip(tmp_path / "src", tmp_path / "all.zip"),
        "tgz": _tgz(tmp_path / "src", tmp_path / "all.tar.gz"),
    }
    snaps = {}
    for kind, path in inputs.items():
        with VulnDb.open(tmp_path / f"{kind}.sqlite") as db:
            assert import_osv(path, db).added == 3
            snaps[kind] = snapshot(db)
    assert snaps["dir"] == snaps["zip"] == snaps["tgz"]


def test_single_file_and_json_list(tmp_path: Path) -> None:
    listing = write(tmp_path, "list.json", [record("L-1"), record("L-2"), 42])
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        result = import_osv(listing, db)
    assert result.added == 2 and result.skipped_count == 1
    assert result.skipped[0].name == "list.json#2"


def test_upsert_keeps_the_newest_modified(tmp_path: Path) -> None:
    src = tmp_path / "src"
    db_path = tmp_path / "db.sqlite"

    def load(**fields: Any) -> dict[str, Any]:
        write(src, "U-1.json", record("U-1", **fields))
        with VulnDb.open(db_path) as db:
            r = import_osv(src, db)
            summary = db.advisories(["U-1"])["U-1"].advisory.summary
        return {
            "added": r.added,
            "updated": r.updated,
            "unchanged": r.unchanged,
            "older": r.older,
            "summary": summary,
        }

    assert load(summary="v1")["added"] == 1
    assert load(summary="v1")["unchanged"] == 1
    newer = load(summary="v2", modified="2024-06-01T00:00:00Z")
    assert (newer["updated"], newer["summary"]) == (1, "v2")
    older = load(summary="v0", modified="2023-01-01T00:00:00Z")
    assert (older["older"], older["summary"]) == (1, "v2")
    # Same timestamp, different content (feeds with placeholder timestamps): replaced.
    same = load(summary="v3", modified="2024-06-01T00:00:00.000Z")
    assert (same["updated"], same["summary"]) == (1, "v3")


def test_update_replaces_index_rows(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "U-2.json", record("U-2", aliases=["CVE-2099-1"]))
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        import_osv(src, db)
        moved = record("U-2", modified="2025-01-01T00:00:00Z", aliases=["CVE-2099-2"])
        moved["affected"][0]["package"]["name"] = "other"
        write(src, "U-2.json", moved)
        import_osv(src, db)
        assert db.lookup("PyPI", ["foo-bar"]) == {}
        assert db.lookup("PyPI", ["other"]) == {"other": [("PyPI", "U-2")]}
        assert db.ids_for_alias("CVE-2099-1") == []
        assert db.ids_for_alias("CVE-2099-2") == ["U-2"]


def test_withdrawn_records_are_kept_but_not_indexed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "W-1.json", record("W-1", withdrawn="2024-02-01T00:00:00Z"))
    write(src, "W-2.json", record("W-2"))
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        result = import_osv(src, db)
        assert result.withdrawn == 1
        assert db.lookup("PyPI", ["foo-bar"]) == {"foo-bar": [("PyPI", "W-2")]}
        st = status(db)
    assert st.info.advisories == 1 and st.withdrawn == 1
    assert st.per_ecosystem == {"PyPI": 1}


def test_git_only_records_are_stored_without_index(tmp_path: Path) -> None:
    git_only = record(
        "PSF-2099-1",
        affected=[
            {
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "https://github.com/python/cpython",
                        "events": [{"introduced": "0"}, {"fixed": "0123abcd"}],
                    }
                ]
            }
        ],
    )
    write(tmp_path / "src", "PSF-2099-1.json", git_only)
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        assert import_osv(tmp_path / "src", db).added == 1
        assert rows(db, "SELECT COUNT(*) FROM affected") == [(0,)]


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"modified": "2024-01-01T00:00:00Z"}, "id"),
        (record("B-1", modified="yesterday"), "RFC 3339"),
        (record("B-2", affected="nope"), "not a list"),
        (record("B-3", affected=[{"package": {"ecosystem": "PyPI"}}]), "name"),
        (
            record(
                "B-4",
                affected=[
                    {
                        "package": {"ecosystem": "PyPI", "name": "x"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}],
                    }
                ],
            ),
            "introduced",
        ),
        (
            record(
                "B-5",
                affected=[
                    {
                        "package": {"ecosystem": "PyPI", "name": "x"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}
                        ],
                    }
                ],
            ),
            "exactly one",
        ),
        (
            record(
                "B-6",
                affected=[
                    {
                        "package": {"ecosystem": "PyPI", "name": "x"},
                        "ranges": [{"type": "WEIRD", "events": []}],
                    }
                ],
            ),
            "unknown type",
        ),
        (
            record(
                "B-7",
                affected=[{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": [1, 2]}],
            ),
            "non-string",
        ),
        (record("B-8", aliases="CVE-1"), "not a list"),
    ],
)
def test_malformed_records_are_skipped_with_reasons(
    tmp_path: Path, broken: dict[str, Any], reason: str
) -> None:
    write(tmp_path / "src", "bad.json", broken)
    write(tmp_path / "src", "good.json", record("G-1"))
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        result = import_osv(tmp_path / "src", db)
    assert result.added == 1 and result.skipped_count == 1
    assert result.skipped[0].name == "bad.json"
    assert reason in result.skipped[0].reason
    (notice,) = result.notices()
    assert notice.path == "bad.json"


def test_failed_import_rolls_back(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(600):
        write(src, f"R-{i:04}.json", record(f"R-{i:04}"))
    calls = []

    def explode(done: int) -> None:
        calls.append(done)
        raise KeyboardInterrupt

    with VulnDb.open(tmp_path / "db.sqlite") as db:
        with pytest.raises(KeyboardInterrupt):
            import_osv(src, db, progress=explode)
        assert calls == [500]
        assert rows(db, "SELECT COUNT(*) FROM advisories") == [(0,)]


def test_kev_import_and_replacement(tmp_path: Path) -> None:
    feed = {
        "catalogVersion": "x",
        "vulnerabilities": [
            {
                "cveID": "CVE-2021-44228",
                "vendorProject": "Apache",
                "product": "Log4j2",
                "dateAdded": "2021-12-10",
                "knownRansomwareCampaignUse": "Known",
            },
            {"cveID": "not-a-cve"},
            "junk",
        ],
    }
    path = write(tmp_path, "kev.json", feed)
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        result = import_kev(path, db)
        assert result.entries == 1 and len(result.skipped) == 2
        assert db.known_exploited(["CVE-2021-44228", "CVE-2000-0001", "GHSA-x"]) == {
            "CVE-2021-44228"
        }
        write(tmp_path, "kev.json", {"vulnerabilities": [{"cveID": "CVE-2000-0001"}]})
        import_kev(path, db)
        assert db.known_exploited(["CVE-2021-44228", "CVE-2000-0001"]) == {"CVE-2000-0001"}
        (tmp_path / "kev.json").write_text("{broken")
        with pytest.raises(KevError):
            import_kev(path, db)
        assert db.known_exploited(["CVE-2000-0001"]) == {"CVE-2000-0001"}  # unchanged


def test_status_of_missing_and_present_database(tmp_path: Path) -> None:
    missing = status(tmp_path / "none.sqlite")
    assert not missing.info.available and missing.error
    assert not (tmp_path / "none.sqlite").exists()  # status never creates a database
    corpus(tmp_path / "src")
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        import_osv(tmp_path / "src", db)
    present = status(tmp_path / "db.sqlite")
    assert present.info.available and present.info.advisories == 3
    assert present.info.ecosystems == ("Go", "PyPI")
    assert present.info.updated_at is not None
    watermarks = {f.feed: f.modified_watermark for f in present.feeds}
    assert watermarks["PyPI"] is not None and watermarks["PyPI"].startswith("2024-02-02")
    assert present.size_bytes > 0


def test_not_a_database(tmp_path: Path) -> None:
    from mamori.vuln.db import VulnDbError

    (tmp_path / "junk.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(VulnDbError):
        VulnDb.open(tmp_path / "junk.sqlite")
    assert not status(tmp_path / "junk.sqlite").info.available


def test_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAMORI_VULNDB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg" / "mamori" / "vulndb.sqlite"
    monkeypatch.setenv("MAMORI_VULNDB", str(tmp_path / "env.sqlite"))
    assert default_db_path() == tmp_path / "env.sqlite"
    assert default_db_path(tmp_path / "arg.sqlite") == tmp_path / "arg.sqlite"
    write(tmp_path / "src", "D-1.json", record("D-1"))
    import_osv(tmp_path / "src")  # the default database: $MAMORI_VULNDB
    assert status().info.advisories == 1


def test_members_read_from_archive_bytes_not_disk(tmp_path: Path) -> None:
    """A zip member that claims a small size but inflates past the cap is refused."""
    from mamori.vuln.db import readers

    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("huge.json", b" " * (readers.MAX_MEMBER_BYTES + 10))
        zf.writestr("ok.json", json.dumps(record("Z-1")))
    (tmp_path / "x.zip").write_bytes(big.getvalue())
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        result = import_osv(tmp_path / "x.zip", db)
    assert result.added == 1 and "larger than" in result.skipped[0].reason
