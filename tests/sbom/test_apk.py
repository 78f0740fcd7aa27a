"""The apk cataloger against apk-tools itself, run in a chroot of each real Alpine rootfs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packageurl import PackageURL

from mamori.model import Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.osrelease import detect_distro
from mamori.sources.directory import DirectoryTree
from tests.support import need_root
from tests.targets import ALPINE_VERSIONS, alpine_rootfs

# "musl-1.2.5-r0 x86_64 {musl} (MIT) [installed]"
LIST_LINE = re.compile(r"^(?P<nv>\S+) (?P<arch>\S+) \{(?P<origin>[^}]*)\} \((?P<license>.*)\) \[")


def catalog(root: Path) -> tuple[list[Package], CatalogContext]:
    tree = DirectoryTree(root)
    ctx = CatalogContext(tree=tree, distro=detect_distro(tree))
    return list(catalogers.get("apk")().catalog(ctx, ["/lib/apk/db/installed"])), ctx


def apk(root: Path, *args: str) -> str:
    """apk-tools of the rootfs itself, in a chroot (stdout only: stderr has index noise)."""
    out = subprocess.run(
        ["chroot", str(root), "/sbin/apk", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


@pytest.fixture(scope="module", params=ALPINE_VERSIONS)
def alpine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the rootfs: apk may write its lock or cache while it runs."""
    need_root()
    source = alpine_rootfs(request.param)
    copy = tmp_path_factory.mktemp("alpine") / "root"
    shutil.copytree(source, copy, symlinks=True)
    return copy


def test_packages_match_apk_list_installed(alpine: Path) -> None:
    packages, ctx = catalog(alpine)
    expected = {}
    for line in apk(alpine, "list", "--installed").splitlines():
        match = LIST_LINE.match(line)
        assert match, line
        expected[match["nv"]] = (match["arch"], match["origin"], match["license"])
    assert len(expected) >= 10
    mine = {
        f"{p.name}-{p.version}": (p.arch, p.source_name, " ".join(p.licenses)) for p in packages
    }
    assert mine == expected
    assert not ctx.notices


def test_packages_match_apk_info_v(alpine: Path) -> None:
    packages, _ = catalog(alpine)
    assert {f"{p.name}-{p.version}" for p in packages} == set(apk(alpine, "info", "-v").split())


def test_file_ownership_matches_apk_info_L(alpine: Path) -> None:
    packages, ctx = catalog(alpine)
    out = apk(alpine, "info", "-L", *[p.name for p in packages])
    listed: dict[str, set[str]] = {}
    current = ""
    for line in out.splitlines():
        if line.endswith(" contains:"):
            current = line.removesuffix(" contains:")
            listed[current] = set()
        elif line:
            listed[current].add("/" + line)
    assert sum(map(len, listed.values())) > 50
    for package in packages:
        owned = set(ctx.owned_files.get(package.id, []))
        assert owned == listed[f"{package.name}-{package.version}"], package.name


def test_purl_names_distro_and_origin(alpine: Path) -> None:
    packages, _ = catalog(alpine)
    version = (alpine / "etc/alpine-release").read_text().strip()
    for package in packages:
        purl = PackageURL.from_string(package.purl)
        assert (purl.type, purl.namespace, purl.name) == ("apk", "alpine", package.name)
        assert purl.version == package.version
        assert purl.qualifiers["distro"] == f"alpine-{version}"
        assert purl.qualifiers["arch"] == package.arch
        assert purl.qualifiers.get("upstream") == (
            package.source_name if package.source_name != package.name else None
        )
