"""Matching with the real advisory databases, checked against independent computations.

For each target the expected set of (package, advisory id) pairs is computed here from
the raw shared files (PyPA YAML, Go vulndb JSON, AlmaLinux JSON) with a separate, short
evaluator: the sorted events are turned into intervals ("introduced <= v < fixed",
`last_affected` inclusive) plus the `versions` list, with `packaging.version`, a SemVer
comparison written below, and rpm's own `labelCompare`. `match_sbom` must find exactly
that set (after alias merging, every advisory record it merged is counted).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import Version

from mamori.model import Distro, Package, PackageType, Sbom
from mamori.vuln.db import VulnDb, import_kev, import_osv
from mamori.vuln.match import match_sbom
from tests import targets
from tests.support import need, need_shared, need_tool

Pairs = set[tuple[str, str]]
BASE_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # every scalar a string


@pytest.fixture(scope="module")
def advisories() -> Path:
    return need_shared("data/advisories")


@pytest.fixture(scope="module")
def db(advisories: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VulnDb]:
    path = tmp_path_factory.mktemp("realdb") / "vulndb.sqlite"
    with VulnDb.open(path) as writable:
        for name in (
            "pypa-advisory-database.tar.gz",
            "golang-vulndb-osv.tar.gz",
            "almalinux-osv-database.tar.gz",
        ):
            assert import_osv(advisories / name, writable).skipped_count == 0
        import_kev(advisories / "kev" / "known_exploited_vulnerabilities.json", writable)
    with VulnDb.open(path, readonly=True) as readonly:
        yield readonly


def raw_records(tarball: Path, suffix: str) -> Iterator[dict[str, Any]]:
    with tarfile.open(tarball) as tf:
        for member in tf:
            if member.isfile() and member.name.endswith(suffix):
                fh = tf.extractfile(member)
                assert fh is not None
                data = fh.read()
                if suffix == ".yaml":
                    yield yaml.load(data, Loader=BASE_LOADER)
                else:
                    yield json.loads(data)


def intervals(
    events: list[dict[str, str]], key: Callable[[str], Any]
) -> list[tuple[Any, Any, bool]]:
    """(low, high, high_inclusive) intervals; low None = everything below, high None =
    no upper bound."""
    zero = [e for e in events if e.get("introduced") == "0"]
    rest = sorted(
        (e for e in events if e.get("introduced") != "0"), key=lambda e: key(next(iter(e.values())))
    )
    out: list[tuple[Any, Any, bool]] = []
    low: Any = "open"
    for event in zero + rest:
        kind, value = next(iter(event.items()))
        if kind == "introduced" and low == "open":
            low = None if value == "0" else key(value)
        elif kind in ("fixed", "last_affected") and low != "open":
            out.append((low, key(value), kind == "last_affected"))
            low = "open"
    if low != "open":
        out.append((low, None, False))
    return out


def inside(v: Any, spans: list[tuple[Any, Any, bool]]) -> bool:
    return any(
        (lo is None or lo <= v) and (hi is None or v < hi or (incl and v == hi))
        for lo, hi, incl in spans
    )


def matched_pairs(sbom: Sbom, db: VulnDb) -> Pairs:
    return {(m.package_name, aid) for m in match_sbom(sbom, db) for aid in m.advisory_ids}


# --- PyPI: the old-release venv ------------------------------------------------------


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_old_venv_matches_exactly_the_pypa_oracle(advisories: Path, db: VulnDb) -> None:
    site = next((targets.old_venv() / "lib").glob("python*/site-packages"))
    installed = {
        dist.metadata["Name"]: dist.version
        for dist in importlib.metadata.distributions(path=[str(site)])
    }
    assert {"Django", "requests", "urllib3", "Jinja2", "PyYAML", "Pillow"} <= set(installed)
    by_norm = {pep503(n): n for n in installed}

    expected: Pairs = set()
    for doc in raw_records(advisories / "pypa-advisory-database.tar.gz", ".yaml"):
        if doc.get("withdrawn"):
            continue
        for affected in doc.get("affected", []):
            package = affected["package"]
            name = by_norm.get(pep503(package["name"]))
            if package["ecosystem"] != "PyPI" or name is None:
                continue
            v = Version(installed[name])
            listed = any(Version(x) == v for x in affected.get("versions", []))
            ranged = any(
                inside(v, intervals(r["events"], Version))
                for r in affected.get("ranges", [])
                if r["type"] == "ECOSYSTEM"
            )
            if listed or ranged:
                expected.add((name, doc["id"]))

    packages = tuple(
        Package(
            name=n,
            version=v,
            type=PackageType.PYPI,
            purl=f"pkg:pypi/{pep503(n)}@{v}",
            cataloger="test",
        )
        for n, v in sorted(installed.items())
    )
    started = time.perf_counter()
    found = matched_pairs(Sbom(packages=packages), db)
    elapsed = time.perf_counter() - started
    print(f"\nvenv: {len(packages)} packages, {len(found)} advisories, {elapsed * 1000:.1f} ms")
    assert len(expected) > 50
    assert found == expected
    assert {n for n, _ in found} >= {"Django", "Pillow", "urllib3", "Jinja2", "PyYAML"}


# --- Go: the syft binary ---------------------------------------------------------------


def go_modules(binary: Path) -> dict[str, str]:
    """module path -> version from `go version -m` (replacements applied; stdlib too)."""
    out = subprocess.run(
        ["go", "version", "-m", str(binary)], check=True, capture_output=True, text=True
    ).stdout
    lines = out.splitlines()
    modules = {"stdlib": lines[0].split(":", 1)[1].strip()}
    last = None
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) >= 4 and fields[1] == "dep":
            last = fields[2]
            modules[last] = fields[3]
        elif len(fields) >= 4 and fields[1] == "=>" and last is not None:
            del modules[last]
            modules[fields[2]] = fields[3]
    return modules


SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def semver_key(version: str) -> tuple[Any, ...]:
    """SemVer 2.0 precedence as a sortable key (spec section 11)."""
    m = SEMVER.match(version)
    assert m, version
    core = tuple(int(x) for x in m.group(1, 2, 3))
    pre = m.group(4)
    if pre is None:
        return (core, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (core, 0, ids)


def go_release(version: str) -> str:
    m = re.match(r"go(\d+)\.(\d+)(?:\.(\d+))?$", version)
    assert m, version
    return f"{m[1]}.{m[2]}.{m[3] or 0}"


def test_semver_key_follows_the_spec_example() -> None:
    chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    assert sorted(chain, key=semver_key) == chain


def test_syft_binary_matches_exactly_the_go_vulndb_oracle(advisories: Path, db: VulnDb) -> None:
    need_tool("go")
    modules = go_modules(targets.go_binaries() / "syft")
    need(len(modules) > 50, "syft has module build info")
    versions = {
        path: semver_key(go_release(v) if path == "stdlib" else v) for path, v in modules.items()
    }
    expected: Pairs = set()
    for doc in raw_records(advisories / "golang-vulndb-osv.tar.gz", ".json"):
        if doc.get("withdrawn"):
            continue
        for affected in doc.get("affected", []):
            name = affected["package"]["name"]
            if affected["package"]["ecosystem"] != "Go" or name not in versions:
                continue
            ranges = [r for r in affected.get("ranges", []) if r["type"] == "SEMVER"]
            if any(inside(versions[name], intervals(r["events"], semver_key)) for r in ranges):
                expected.add((name, doc["id"]))

    packages = tuple(
        Package(
            name=path,
            version=v,
            type=PackageType.GOLANG,
            purl=f"pkg:golang/{path}@{v}",
            cataloger="test",
        )
        for path, v in sorted(modules.items())
    )
    found = matched_pairs(Sbom(packages=packages), db)
    print(f"\nsyft: {len(packages)} modules, {len(found)} advisories")
    assert any(name == "stdlib" for name, _ in expected)
    assert found == expected


# --- AlmaLinux: hand-made rpm list, real advisories, rpm's labelCompare ------------------

ALMA9 = [  # (name, epoch:version-release, source rpm name or None)
    ("openssl-libs", "1:3.0.7-27.el9", "openssl"),  # equal to one fix, below later ones
    ("NetworkManager", "1:1.48.10-2.el9_5.alma.1", None),
    ("vim-minimal", "2:8.2.2637-20.el9_1", "vim"),
    ("sudo", "1.9.5p2-10.el9_3", None),
    ("systemd", "252-32.el9_4", None),  # below 252-32.el9_4.alma.1
    ("kernel", "5.14.0-427.13.1.el9_4", None),
    ("nodejs", "1:18.14.2-2.module_el9.2.0+29+de583a0b", None),
    ("bash", "5.1.8-6.el9_1", None),  # exactly the only fix: not affected
    ("zlib", "1.2.11-31.el9", None),
    ("tar", "2:1.34-6.el9_1", None),
    ("pcs-snmp", "0.11.3-4.el9", "pcs"),
    ("expat", "2.5.0-1.el9_3.1", None),
    ("glibc", "2.34-100.el9_4.2", None),
    ("curl", "7.76.1-26.el9_3.2", None),
    ("hostname", "3.23-6.el9", None),
]


def rpm_compare_many(pairs: list[tuple[str, str]]) -> list[int]:
    """rpm.labelCompare for many (a, b) EVR pairs in one call of Debian's python3-rpm."""
    need(Path("/usr/bin/python3").exists(), "Debian's python3 with python3-rpm")
    script = (
        "import json, sys, rpm\n"
        "def evr(s):\n"
        "    e, _, vr = s.rpartition(':')\n"
        "    v, _, r = vr.rpartition('-')\n"
        "    return (e or '0', v, r)\n"
        "print(json.dumps([rpm.labelCompare(evr(a), evr(b)) for a, b in json.load(sys.stdin)]))\n"
    )
    run = subprocess.run(
        ["/usr/bin/python3", "-c", script],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        check=False,
    )
    need(run.returncode == 0, f"python3-rpm is not usable: {run.stderr[-200:]}")
    return [int(x) for x in json.loads(run.stdout)]


def test_almalinux_packages_match_exactly_the_rpm_oracle(advisories: Path, db: VulnDb) -> None:
    names = {name: (name, evr) for name, evr, _ in ALMA9}
    names.update({src: (name, evr) for name, evr, src in ALMA9 if src})
    candidates: list[tuple[str, str, list[dict[str, str]]]] = []  # package, advisory, events
    for doc in raw_records(advisories / "almalinux-osv-database.tar.gz", ".json"):
        if doc.get("withdrawn"):
            continue
        for affected in doc.get("affected", []):
            package = affected["package"]
            if package["ecosystem"] == "AlmaLinux:9" and package["name"] in names:
                for r in affected.get("ranges", []):
                    candidates.append((package["name"], doc["id"], r["events"]))
    comparisons = [
        (names[n][1], value)
        for n, _, events in candidates
        for e in events
        for value in e.values()
        if value != "0"
    ]
    answers = iter(rpm_compare_many(comparisons))
    expected: Pairs = set()
    for name, advisory_id, events in candidates:
        vulnerable = False
        for event in events:  # AlmaLinux ranges: introduced "0", then one fixed
            kind, value = next(iter(event.items()))
            if value == "0":
                vulnerable = kind == "introduced"
                continue
            below = next(answers) < 0
            if kind == "introduced":
                vulnerable = vulnerable or not below
            elif kind == "fixed":
                vulnerable = vulnerable and below
        if vulnerable:
            expected.add((names[name][0], advisory_id))

    packages = tuple(
        Package(
            name=name,
            version=evr,
            type=PackageType.RPM,
            source_name=src,
            purl=f"pkg:rpm/almalinux/{name}@{evr}?distro=almalinux-9",
            cataloger="test",
        )
        for name, evr, src in ALMA9
    )
    sbom = Sbom(distro=Distro(id="almalinux", version_id="9.4"), packages=packages)
    found = matched_pairs(sbom, db)
    assert found == expected
    hits = {name for name, _ in found}
    assert "hostname" not in hits
    assert ("bash", "ALSA-2023:0340") not in found
    assert ("systemd", "ALSA-2024:2463") in found
    assert ("openssl-libs", "ALSA-2024:2447") not in found
    assert ("openssl-libs", "ALSA-2024:6783") in found
    # The same packages on AlmaLinux 8 meet only AlmaLinux:8 advisories.
    el8 = match_sbom(Sbom(distro=Distro(id="almalinux", version_id="8.10"), packages=packages), db)
    assert all(m.ecosystem == "AlmaLinux:8" for m in el8)


# --- speed: a 500-package SBOM -------------------------------------------------------------


def test_500_package_sbom_speed(db: VulnDb) -> None:
    def names(base: str, limit: int) -> list[str]:
        rows = db.conn.execute(
            "SELECT DISTINCT name FROM affected WHERE ecosystem_base = ? ORDER BY name LIMIT ?",
            (base, limit),
        )
        return [str(r[0]) for r in rows]

    packages = (
        [
            Package(
                name=n,
                version="1.0",
                type=PackageType.PYPI,
                purl=f"pkg:pypi/{n}@1.0",
                cataloger="test",
            )
            for n in names("PyPI", 200)
        ]
        + [
            Package(
                name=n,
                version="v0.1.0",
                type=PackageType.GOLANG,
                purl=f"pkg:golang/{n}@v0.1.0",
                cataloger="test",
            )
            for n in names("Go", 150)
        ]
        + [
            Package(
                name=n,
                version="1.0-1.el9",
                type=PackageType.RPM,
                purl=f"pkg:rpm/almalinux/{n}@1.0-1.el9",
                cataloger="test",
            )
            for n in names("AlmaLinux", 150)
        ]
    )
    assert len(packages) == 500
    sbom = Sbom(distro=Distro(id="almalinux", version_id="9.4"), packages=tuple(packages))
    started = time.perf_counter()
    matches = match_sbom(sbom, db)
    elapsed = time.perf_counter() - started
    print(f"\n500 packages: {len(matches)} matches in {elapsed:.2f} s")
    assert len({m.package_id for m in matches}) > 300
    assert elapsed < 20  # about 0.5 s when the machine is idle
