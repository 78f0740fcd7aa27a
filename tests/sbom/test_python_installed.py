"""python-installed against real site directories, with importlib.metadata and pip as oracles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from mamori.model import Package, Sbom
from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import compile_patterns
from mamori.sbom.catalogers.python import PythonInstalledCataloger
from mamori.sbom.catalogers.python._common import canonical_name
from mamori.sources.directory import DirectoryTree
from mamori.sources.tree import normalize
from tests.support import ROOT
from tests.targets import OLD_PYPI, old_venv

FIXTURES = Path(__file__).parent / "fixtures" / "python"
SITE = "/lib/python3.11/site-packages"

# Run in a separate interpreter: every distribution importlib.metadata finds in a site
# directory, with the absolute paths of the files its RECORD lists that exist.
ORACLE = """
import importlib.metadata as md, json, os, sys
out = []
for dist in md.distributions(path=[sys.argv[1]]):
    files = []
    for f in dist.files or []:
        p = os.path.normpath(str(dist.locate_file(f)))
        if os.path.lexists(p):
            files.append(p)
    out.append({"name": dist.metadata["Name"], "version": dist.version, "files": files})
print(json.dumps(out))
"""


def catalog(root: Path) -> tuple[Sbom, list[str]]:
    sbom, notices = build_sbom(DirectoryTree(root), only=["python-installed"])
    return sbom, [f"{n.path}: {n.message}" for n in notices]


def oracle(python: str, site: Path) -> list[dict[str, object]]:
    out = subprocess.run(
        [python, "-c", ORACLE, str(site)], check=True, capture_output=True, text=True
    ).stdout
    result: list[dict[str, object]] = json.loads(out)
    return result


def name_versions(packages: tuple[Package, ...]) -> set[tuple[str, str]]:
    return {(canonical_name(p.name), p.version) for p in packages}


def site_of(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


@pytest.mark.slow
def test_old_venv_matches_importlib_metadata_and_record_ownership() -> None:
    venv = old_venv()
    site = site_of(venv)
    expected = oracle(sys.executable, site)
    sbom, notices = catalog(venv)
    assert notices == []
    assert name_versions(sbom.packages) == {
        (canonical_name(str(d["name"])), str(d["version"])) for d in expected
    }
    # The target's own pins are all there (3.2.0 == 3.2 under PEP 440), purls normalised.
    found = {(canonical_name(p.name), Version(p.version)) for p in sbom.packages}
    for pin in OLD_PYPI:
        name, version = pin.split("==")
        assert (canonical_name(name), Version(version)) in found, pin
    purls = {p.purl for p in sbom.packages}
    assert {"pkg:pypi/pyyaml@5.3", "pkg:pypi/django@3.2", "pkg:pypi/markupsafe@1.1.1"} <= purls
    # Every file a RECORD lists that exists is owned by its distribution.
    by_name = {canonical_name(p.name): p.id for p in sbom.packages}
    checked = 0
    for dist in expected:
        pkg_id = by_name[canonical_name(str(dist["name"]))]
        files = dist["files"]
        assert isinstance(files, list)
        for host in files:
            inner = normalize(os.path.relpath(host, venv))
            assert pkg_id in sbom.file_owners.get(inner, ()), inner
            checked += 1
    assert checked > 1000


def test_project_venv_matches_pip_list() -> None:
    venv = ROOT / ".venv"
    python = venv / "bin" / "python"
    if not python.exists():
        pytest.skip("no project .venv (tests run from an installed package)")
    listed = json.loads(
        subprocess.run(
            [str(python), "-m", "pip", "list", "--format", "json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    sbom, notices = catalog(venv)
    assert notices == []
    # Copies vendored inside another distribution (setuptools/_vendor/*.dist-info) are in
    # the SBOM, as syft reports them too, but not on sys.path, so pip does not list them.
    importable = tuple(
        p for p in sbom.packages if not any("/_vendor/" in loc.path for loc in p.locations)
    )
    assert name_versions(importable) == {(canonical_name(d["name"]), d["version"]) for d in listed}
    assert len(sbom.packages) > 50


def test_debian_dist_packages_egg_info_match_importlib() -> None:
    """Debian's own python3 packages are .egg-info dirs and files: a real egg-info source."""
    site = Path("/usr/lib/python3/dist-packages")
    if not site.is_dir() or not Path("/usr/bin/python3").exists():
        pytest.skip("no Debian python3 on this host (an optional extra check)")
    expected = oracle("/usr/bin/python3", site)
    sbom, _ = catalog(site)
    assert name_versions(sbom.packages) == {
        (canonical_name(str(d["name"])), str(d["version"])) for d in expected
    }


def test_fixture_site_licences_and_forms() -> None:
    sbom, notices = catalog(FIXTURES / "site")
    got = {p.name: p for p in sbom.packages}
    assert set(got) == {"Example_Pkg", "legacy-tool", "Single.File"}
    example = got["Example_Pkg"]
    # The header only: the "Name:" line in the long description is not read.
    assert example.version == "1.0"
    assert example.purl == "pkg:pypi/example-pkg@1.0"
    assert example.licenses == ("MIT OR Apache-2.0",)  # License-Expression wins
    assert got["legacy-tool"].licenses == ("BSD-3-Clause",)
    # A License field holding the licence text falls back to the classifiers.
    single = got["Single.File"]
    assert single.licenses == ("BSD License", "Python Software Foundation License")
    assert single.purl == "pkg:pypi/single-file@2.0"
    assert [loc.path for loc in single.locations] == [f"{SITE}/Single_File-2.0-py3.11.egg-info"]
    assert notices == [
        f"{SITE}/broken-0.1.dist-info/METADATA: "
        "skipped distribution metadata: no valid Version header for broken (got '')"
    ]


def test_fixture_ownership_resolves_record_and_installed_files() -> None:
    sbom, _ = catalog(FIXTURES / "site")
    ids = {p.name: p.id for p in sbom.packages}
    owned: dict[str, set[str]] = {}
    for path, owners in sbom.file_owners.items():
        for owner in owners:
            owned.setdefault(owner, set()).add(path)
    assert owned[ids["Example_Pkg"]] == {
        f"{SITE}/example_pkg/__init__.py",
        f"{SITE}/example_pkg/__pycache__/__init__.cpython-311.pyc",
        f"{SITE}/example_pkg/data,with,commas.txt",  # a quoted CSV field
        f"{SITE}/Example_Pkg-1.0.dist-info/METADATA",
        f"{SITE}/Example_Pkg-1.0.dist-info/RECORD",
        "/bin/example-cli",  # ../../../bin from site-packages
        "/etc/example.conf",  # absolute entries stay absolute
    }
    # installed-files.txt is relative to the .egg-info directory itself.
    assert owned[ids["legacy-tool"]] == {
        f"{SITE}/legacy_tool.py",
        f"{SITE}/__pycache__/legacy_tool.cpython-38.pyc",
        f"{SITE}/legacy_tool-0.9-py3.8.egg-info/PKG-INFO",
        f"{SITE}/legacy_tool-0.9-py3.8.egg-info/SOURCES.txt",
        "/bin/legacy-tool",
    }
    assert ids["Single.File"] not in owned


def test_patterns_select_only_metadata_files() -> None:
    rx = compile_patterns(PythonInstalledCataloger.patterns)
    assert rx.match("/usr/lib/python3/dist-packages/a-1.egg-info")
    assert rx.match("/x/a-1.dist-info/METADATA")
    assert rx.match("/x/a-1.egg-info/PKG-INFO")
    assert rx.match("/x/a-1.egg/EGG-INFO/PKG-INFO")
    assert not rx.match("/x/a-1.egg-info/installed-files.txt")
    assert not rx.match("/x/a-1.dist-info/METADATA.orig")


def test_metadata_read_only_inside_the_tree(tmp_path: Path) -> None:
    secret = tmp_path / "secret-METADATA"
    secret.write_text("Name: leaked\nVersion: 1.0\n")
    dist = tmp_path / "root" / "site" / "leak-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").symlink_to(secret)  # absolute: resolves inside the root, missing
    (dist / "RECORD").write_text("../../../../../../etc/passwd,,\n")
    big = tmp_path / "root" / "site" / "big-1.0.dist-info"
    big.mkdir()
    (big / "METADATA").write_text("Name: big\nVersion: 1.0\n\n" + "x" * 8_000_000)
    sbom, notices = catalog(tmp_path / "root")
    assert [p.name for p in sbom.packages] == ["big"]
    assert len(notices) == 1 and "leak-1.0.dist-info/METADATA" in notices[0]
