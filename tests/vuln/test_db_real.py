"""Import every real advisory source in ../shared (PyPA YAML, Go, RustSec, AlmaLinux, PSF,
CISA KEV): nothing skipped, per-ecosystem counts equal to a count of the raw files, and
a second import that changes nothing. Prints import times and the database size."""

from __future__ import annotations

import json
import tarfile
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from mamori.vuln.db import VulnDb, import_kev, import_osv, status
from tests.support import need_shared

SOURCES = (
    "pypa-advisory-database.tar.gz",
    "golang-vulndb-osv.tar.gz",
    "rustsec-advisory-db-osv.tar.gz",
    "almalinux-osv-database.tar.gz",
    "psf-advisory-database.tar.gz",
)
BASE_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def raw_counts(root: Path) -> tuple[Counter[str], set[str], set[str]]:
    """Advisories per ecosystem (not withdrawn), all ids, withdrawn ids: from the raw files."""
    per_ecosystem: Counter[str] = Counter()
    seen: set[str] = set()
    withdrawn: set[str] = set()
    for name in SOURCES:
        with tarfile.open(root / name) as tf:
            for member in tf:
                base = member.name.rsplit("/", 1)[-1]
                if (
                    not member.isfile()
                    or base.startswith(".")
                    or not base.endswith((".json", ".yaml"))
                ):
                    continue
                fh = tf.extractfile(member)
                assert fh is not None
                doc = (
                    json.loads(fh.read())
                    if base.endswith(".json")
                    else yaml.load(fh.read(), Loader=BASE_LOADER)
                )
                if doc["id"] in seen:
                    continue
                seen.add(doc["id"])
                if doc.get("withdrawn"):
                    withdrawn.add(doc["id"])
                    continue
                for eco in {
                    a["package"]["ecosystem"] for a in doc.get("affected", []) if "package" in a
                }:
                    per_ecosystem[eco] += 1
    return per_ecosystem, seen, withdrawn


@pytest.mark.slow
def test_import_every_real_source(tmp_path: Path) -> None:
    root = need_shared("data/advisories")
    path = tmp_path / "vulndb.sqlite"
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with VulnDb.open(path) as db:
        for name in SOURCES:
            result = import_osv(root / name, db)
            timings[name] = result.seconds
            assert result.skipped_count == 0, result.skipped[:5]
            assert result.records > 0
        t = time.perf_counter()
        kev = import_kev(root / "kev" / "known_exploited_vulnerabilities.json", db)
        timings["kev"] = time.perf_counter() - t
    total = time.perf_counter() - started
    size = path.stat().st_size

    per_ecosystem, ids, withdrawn = raw_counts(root)
    st = status(path)
    assert st.per_ecosystem == dict(per_ecosystem)
    assert st.info.advisories == len(ids) - len(withdrawn)
    assert st.withdrawn == len(withdrawn)
    assert st.kev_entries == kev.entries == 1404
    assert set(st.info.ecosystems) == {
        "PyPI",
        "Go",
        "crates.io",
        "AlmaLinux:8",
        "AlmaLinux:9",
        "AlmaLinux:10",
    }

    t = time.perf_counter()
    with VulnDb.open(path) as db:
        again = [import_osv(root / name, db) for name in SOURCES]
    reimport = time.perf_counter() - t
    assert sum(r.added + r.updated for r in again) == 0
    assert status(path).per_ecosystem == dict(per_ecosystem)

    print("\nimport times:")
    for name, seconds in timings.items():
        print(f"  {name:40} {seconds:6.2f} s")
    print(f"  total {total:.2f} s, re-import (nothing new) {reimport:.2f} s")
    print(
        f"  database {size / 1e6:.1f} MB, {st.info.advisories} advisories, {st.withdrawn} withdrawn"
    )
