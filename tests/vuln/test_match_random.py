"""`match_sbom` end to end (import, index, lookup, PEP 440 scheme, ranges) on random
advisories, against an evaluator written here with `packaging.version`."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from mamori.model import Package, PackageType, Sbom
from mamori.vuln.db import VulnDb, import_osv
from mamori.vuln.match import match_sbom

pep440 = st.builds(
    lambda major, minor, patch, pre: (
        f"{major}.{minor}" + (f".{patch}" if patch is not None else "") + pre
    ),
    st.integers(1, 3),
    st.integers(0, 3),
    st.none() | st.integers(0, 2),
    st.sampled_from(["", "", "", "a1", "b2", "rc1", ".post1", ".dev0"]),
)
kinds = st.sampled_from(["introduced", "introduced", "fixed", "fixed", "last_affected", "limit"])
events_st = st.lists(
    st.tuples(kinds, pep440) | st.just(("introduced", "0")), min_size=1, max_size=6
)


def oracle(v: str, ranges: list[list[tuple[str, str]]], versions: list[str]) -> bool:
    """Affected iff listed, or, in some range below a limit, the last event that applies
    to v (introduced/fixed at or below v, last_affected strictly below) is an introduced."""
    x = Version(v)
    if any(Version(listed) == x for listed in versions):
        return True
    for events in ranges:
        limits = [Version(e) for k, e in events if k == "limit"]
        if limits and not any(x < lim for lim in limits):
            continue
        timeline = sorted(
            ((k, e) for k, e in events if k != "limit"),
            key=lambda ke: (
                (0, Version("0")) if ke[1] == "0" and ke[0] == "introduced" else (1, Version(ke[1]))
            ),
        )
        applying = [
            k
            for k, e in timeline
            if (k == "introduced" and (e == "0" or Version(e) <= x))
            or (k == "fixed" and Version(e) <= x)
            or (k == "last_affected" and Version(e) < x)
        ]
        if applying and applying[-1] == "introduced":
            return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ranges=st.lists(events_st, min_size=0, max_size=2),
    versions=st.lists(pep440, max_size=3),
    installed=pep440,
)
def test_match_agrees_with_packaging_oracle(
    ranges: list[list[tuple[str, str]]], versions: list[str], installed: str
) -> None:
    # OSV requires an "introduced" in every range (others are rejected at import).
    ranges = [
        events if any(k == "introduced" for k, _ in events) else [("introduced", "0"), *events]
        for events in ranges
    ]
    # The OSV order of equal versions is their listed order; the oracle's sort is stable too
    # but compares "1.0" == "1.0.0" as equal, as PEP 440 does.
    record = {
        "id": "PYSEC-RANDOM-1",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Random_Pkg"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{k: e} for k, e in events]}
                    for events in ranges
                ],
                "versions": versions,
            }
        ],
    }
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "r.json").write_text(json.dumps(record))
        with VulnDb.open(Path(tmp) / "db.sqlite") as db:
            assert import_osv(Path(tmp) / "r.json", db).added == 1
            package = Package(
                name="random.pkg",
                version=installed,
                type=PackageType.PYPI,
                purl=f"pkg:pypi/random-pkg@{installed}",
                cataloger="test",
            )
            matches = match_sbom(Sbom(packages=(package,)), db)
    assert bool(matches) == oracle(installed, ranges, versions)
    if matches:
        fixes = sorted(
            {
                Version(e)
                for events in ranges
                for k, e in events
                if k == "fixed" and Version(e) > Version(installed)
            }
        )
        for fixed in matches[0].fixed_versions:
            assert Version(fixed) in fixes
