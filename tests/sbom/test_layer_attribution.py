"""Distro packages are attributed to the image layer that introduced them.

The images are real: podman builds layers in which dpkg and apk-tools install, upgrade,
remove and reinstall packages (tests/sbom/layer_targets.py). The oracle is the distro's
own tool run in every intermediate image: a package was introduced by the earliest
layer from which every later intermediate image lists it. Before this attribution every
distro package got the last layer that rewrote the database, which these tests reject.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model import Notice, Package
from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import catalogers, database_paths
from mamori.sbom.layers import database_predicate, introduced_layers
from mamori.sources.directory import DirectoryTree
from mamori.sources.image import open_image
from tests.sbom.layer_targets import apk_layers, dpkg_layers
from tests.sources.imagefix import E, Img, layer_tar, write_layout
from tests.support import need_shared, need_tool
from tests.targets import bookworm_images

FORMATS = ("image.docker.tar", "image.oci.tar")
PRESENT = set("iUFHWt")  # dpkg states whose files are on disk (not "n" nor "c")


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """Where images are unpacked: tmpfs when there is one (as tests/sources does)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="mamori-test-", dir=shm))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _expected(listed: dict[str, list[str]], layers: int) -> dict[str, int]:
    """Oracle: package -> index of the earliest layer from which every later
    intermediate image lists it (brute force over the listings)."""
    sets = [set(listed[str(n)]) for n in range(1, layers + 1)]
    return {
        key: min(i for i in range(layers) if all(key in s for s in sets[i:])) for key in sets[-1]
    }


def _dpkg_listing(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        name, version, arch, status = line.split("\t")
        if len(status) > 1 and status[1] in PRESENT:
            out.append(f"{name} {version} {arch}")
    return out


def _attributed(path: Path, workdir: Path, cataloger: str) -> tuple[list[Package], list[str]]:
    notices: list[Notice] = []
    keep = database_predicate()
    with open_image(path, workdir=workdir, notices=notices, keep_versions=keep) as t:
        sbom, _ = build_sbom(t, only=[cataloger])
        return list(sbom.packages), list(t.layer_ids)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_dpkg_packages_get_the_layer_that_installed_them(fmt: str, workdir: Path) -> None:
    target = dpkg_layers()
    oracle = json.loads((target / "oracle.json").read_text())
    diff_ids: list[str] = oracle["diff_ids"]
    listed = {k: _dpkg_listing(v) for k, v in oracle["listed"].items()}
    expected = _expected(listed, len(diff_ids))

    packages, layer_ids = _attributed(target / fmt, workdir, "dpkg")
    assert layer_ids == diff_ids
    got = {f"{p.name} {p.version} {p.arch}": diff_ids.index(p.layer or "") for p in packages}
    assert got == expected
    # What the steps did (DEBIAN_STEPS), as the oracle also says:
    assert got["mamori-test-beta 2.0 all"] == 3  # upgraded in layer 4
    assert got["mamori-test-gamma 1.0 all"] == 3
    assert got["mamori-test-alpha 1.0 all"] == 5  # removed in layer 5, back in layer 6
    assert not any(k.startswith("debian-archive-keyring ") for k in got)
    base = Counter(got.values())[0]
    assert base == len(listed["1"]) - 1 > 80  # all of bookworm but the purged keyring
    assert got[next(k for k in got if k.startswith("libc6 "))] == 0


@pytest.mark.slow
def test_without_versions_every_deb_gets_the_last_dpkg_layer(workdir: Path) -> None:
    """What attribution was before (the last writer of /var/lib/dpkg/status): the test
    above fails on it."""
    target = dpkg_layers()
    diff_ids = json.loads((target / "oracle.json").read_text())["diff_ids"]
    with open_image(target / FORMATS[0], workdir=workdir, notices=[]) as tree:
        sbom, _ = build_sbom(tree, only=["dpkg"])
    assert {p.layer for p in sbom.packages} == {diff_ids[5]}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_apk_packages_get_the_layer_that_installed_them(fmt: str, workdir: Path) -> None:
    target = apk_layers()
    oracle = json.loads((target / "oracle.json").read_text())
    diff_ids: list[str] = oracle["diff_ids"]
    expected = _expected(oracle["listed"], len(diff_ids))

    packages, layer_ids = _attributed(target / fmt, workdir, "apk")
    assert layer_ids == diff_ids
    got = {f"{p.name}-{p.version}": diff_ids.index(p.layer or "") for p in packages}
    assert got == expected
    assert got["mamori-test-beta-2.0-r0"] == 3
    assert got["mamori-test-alpha-1.0-r0"] == 5
    assert got["musl-1.2.5-r0"] == 0
    assert Counter(got.values())[0] == len(oracle["listed"]["1"]) - 1  # less alpine-keys
    assert all("distro=alpine-3.20.3" in p.purl for p in packages)


RPM_QF = "%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH}\\n"


def _rpm_qa(db: Path) -> set[str]:
    """What rpm itself lists in an rpmdb (gpg-pubkey entries are keys, not packages)."""
    out = subprocess.run(
        ["rpm", "--dbpath", str(db.parent), "-qa", "--qf", RPM_QF],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line for line in out.splitlines() if line and not line.startswith("gpg-pubkey ")}


def test_rpm_packages_get_the_layer_that_installed_them(tmp_path: Path, workdir: Path) -> None:
    """Constructed layers (no rpm-based image can be built offline here): Mariner 2's
    real rpmdb; the same with one package's row deleted (erased); the original again
    (reinstalled); a layer that leaves the database alone. rpm -qa reads each version."""
    need_tool("rpm")
    original = need_shared("data/targets/rpmdb/mariner2/rpmdb.sqlite").read_bytes()
    erased_dir = tmp_path / "erased"
    erased_dir.mkdir()
    (erased_dir / "rpmdb.sqlite").write_bytes(original)
    with sqlite3.connect(erased_dir / "rpmdb.sqlite") as conn:
        conn.execute("DELETE FROM Packages WHERE hnum = (SELECT max(hnum) FROM Packages)")
    conn.close()
    erased = (erased_dir / "rpmdb.sqlite").read_bytes()
    (tmp_path / "original").mkdir()
    (tmp_path / "original" / "rpmdb.sqlite").write_bytes(original)
    versions = [_rpm_qa(tmp_path / d / "rpmdb.sqlite") for d in ("original", "erased")]
    (gone,) = versions[0] - versions[1]  # the oracle names the erased package

    dirs = [E("var", "dir"), E("var/lib", "dir"), E("var/lib/rpm", "dir")]
    layers = [
        layer_tar([*dirs, E("var/lib/rpm/rpmdb.sqlite", data=original)]),
        layer_tar([*dirs, E("var/lib/rpm/rpmdb.sqlite", data=erased)]),
        # Not byte-identical to the first layer: equal layers share a diff_id.
        layer_tar([*dirs, E("var/lib/rpm/rpmdb.sqlite", data=original), E("etc", "dir")]),
        layer_tar([E("etc", "dir"), E("etc/motd", data=b"no database change")]),
    ]
    write_layout(tmp_path / "oci", [Img(layers)], tag="t")
    packages, layer_ids = _attributed(tmp_path / "oci", workdir, "rpm")
    got = {f"{p.name} {p.version} {p.arch}": layer_ids.index(p.layer or "") for p in packages}
    assert set(got) == versions[0]
    assert got.pop(gone) == 2  # reinstalled by the third layer
    assert set(got.values()) == {0}


def test_single_layer_images_are_unchanged(workdir: Path) -> None:
    """One layer: the last writer is the introducer, and no database is re-read."""
    path = bookworm_images() / "image.docker.tar"
    with open_image(path, workdir=workdir, notices=[], keep_versions=database_predicate()) as t:
        assert [v.position for v in t.versions("/var/lib/dpkg/status")] == [0]
        sbom, notices = build_sbom(t)
    assert {p.layer for p in sbom.packages if p.cataloger == "dpkg"} == {t.layer_ids[0]}
    assert not [n for n in notices if "attribution" in n.message]


def test_the_predicate_covers_the_three_distro_databases() -> None:
    keep = database_predicate()
    assert keep is not None
    for path in (
        "/var/lib/dpkg/status",
        "/var/lib/dpkg/status.d/base-files",
        "/lib/apk/db/installed",
        "/var/lib/rpm/rpmdb.sqlite",
        "/var/lib/rpm/Packages",
        "/usr/lib/sysimage/rpm/Packages.db",
    ):
        assert keep(path), path
    for path in ("/var/lib/dpkg/info/libc6:amd64.list", "/usr/lib/python3/dist-packages/x"):
        assert not keep(path), path
    declared = {name for name, cls in catalogers.items() if database_paths(cls)}
    assert declared == {"apk", "dpkg", "rpm"}
    assert database_predicate(["npm"]) is None  # catalogers without databases: no copies


def test_catalogers_without_versions_keep_the_last_writer(tmp_path: Path) -> None:
    """A plain directory tree has no versions: nothing changes, nothing fails."""
    (tmp_path / "lib/apk/db").mkdir(parents=True)
    (tmp_path / "lib/apk/db/installed").write_text("P:musl\nV:1.2.5-r0\nA:x86_64\n\n")
    sbom, notices = build_sbom(DirectoryTree(tmp_path), only=["apk"])
    assert [(p.name, p.layer) for p in sbom.packages] == [("musl", None)]
    assert notices == []


def _brute_force(snapshots: list[tuple[str, set[str]]]) -> dict[str, str]:
    last = snapshots[-1][1]
    out = {}
    for key in last:
        i = len(snapshots) - 1
        while i > 0 and key in snapshots[i - 1][1]:
            i -= 1
        out[key] = snapshots[i][0]
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sets(st.sampled_from("abcdef")), min_size=1, max_size=8))
def test_introduced_layers_is_the_earliest_unbroken_run(sets: list[set[str]]) -> None:
    snapshots = [(f"layer{i}", s) for i, s in enumerate(sets)]
    result = introduced_layers(snapshots)
    assert result == _brute_force(snapshots)


def test_attribution_stays_cheap(workdir: Path) -> None:
    """Re-reading six layer versions of dpkg's status must cost little next to the scan."""
    target = dpkg_layers()
    path = target / FORMATS[0]
    timings = []
    for keep in (None, database_predicate()):
        with open_image(path, workdir=workdir, notices=[], keep_versions=keep) as tree:
            start = time.perf_counter()
            build_sbom(tree, only=["dpkg"])
            timings.append(time.perf_counter() - start)
    assert timings[1] < timings[0] + 2.0, timings
