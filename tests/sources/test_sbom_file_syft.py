"""read_sbom against syft: the real syft binary scans real targets to CycloneDX and SPDX
JSON, and its own JSON output for the same scan is the independent oracle."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mamori.model import Package
from mamori.sources.sbom_file import read_sbom
from tests.outputs.syft import syft_scan
from tests.support import need_shared
from tests.targets import (
    alpine_rootfs,
    bookworm_rootfs,
    go_binaries,
    java_jars,
    npm_tree,
    old_venv,
)

pytestmark = pytest.mark.slow


def _mariner(tmp: Path) -> Path:
    root = tmp / "mariner"
    (root / "var/lib/rpm").mkdir(parents=True, exist_ok=True)
    shutil.copy(need_shared("data/targets/rpmdb/mariner2/rpmdb.sqlite"), root / "var/lib/rpm")
    return root


TARGETS: dict[str, Callable[[Path], Path]] = {
    "bookworm": lambda _: bookworm_rootfs(),
    "old-venv": lambda _: old_venv(),
    "alpine": lambda _: alpine_rootfs("3.20.3"),
    "mariner-rpmdb": _mariner,
    "npm": lambda _: npm_tree(),
    "java": lambda _: java_jars(),
    "go": lambda _: go_binaries(),
}
_SCANS: dict[str, dict[str, Path]] = {}


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Path]]:
    """syft run once per target (all three formats in one run), on first use."""

    def get(target: str) -> dict[str, Path]:
        if target not in _SCANS:
            tmp = tmp_path_factory.mktemp(target)
            _SCANS[target] = syft_scan(TARGETS[target](tmp), tmp)
        return _SCANS[target]

    return get


def _oracle_source(a: dict[str, Any]) -> tuple[str, str] | None:
    """The source package syft's own JSON records for a distro package."""
    meta = a.get("metadata") or {}
    if a["type"] == "deb":
        return meta.get("source") or a["name"], meta.get("sourceVersion") or a["version"]
    if a["type"] == "apk":
        return meta.get("originPackage") or a["name"], a["version"]
    if a["type"] == "rpm" and meta.get("sourceRpm"):
        name, ver, rel = meta["sourceRpm"].removesuffix(".src.rpm").rsplit("-", 2)
        epoch = meta.get("epoch")
        return name, f"{epoch}:{ver}-{rel}" if epoch else f"{ver}-{rel}"
    return None


@pytest.mark.parametrize("fmt", ["cyclonedx-json", "spdx-json"])
@pytest.mark.parametrize("target", list(TARGETS))
def test_reader_returns_exactly_syfts_packages(
    target: str, fmt: str, scans: Callable[[str], dict[str, Path]]
) -> None:
    files = scans(target)
    oracle = json.loads(files["json"].read_text())
    artifacts = oracle["artifacts"]
    assert artifacts, f"syft found nothing in {target}"
    doc = read_sbom(files[fmt])
    got: tuple[Package, ...] = doc.sbom.packages
    assert sorted((p.name, p.version) for p in got) == sorted(
        (a["name"], a["version"]) for a in artifacts
    )
    assert sorted(p.purl for p in got) == sorted(a["purl"] for a in artifacts)
    assert doc.target == str(oracle["source"]["metadata"]["path"])
    assert not doc.notices

    by_purl = {p.purl: p for p in got}
    for a in artifacts:
        expected = _oracle_source(a)
        if expected is not None:
            p = by_purl[a["purl"]]
            assert (p.source_name, p.source_version) == expected, a["name"]

    distro = oracle.get("distro") or {}
    if distro.get("id"):
        assert doc.sbom.distro is not None
        assert (doc.sbom.distro.id, doc.sbom.distro.version_id) == (
            distro["id"],
            distro["versionID"],
        )
        if fmt == "cyclonedx-json":  # syft's CycloneDX carries the whole os-release
            assert doc.sbom.distro.version_codename == distro.get("versionCodename", "")
            assert doc.sbom.distro.pretty_name == distro["prettyName"]
    else:
        assert doc.sbom.distro is None

    if fmt == "cyclonedx-json":  # locations and catalogers ride in syft's properties
        for a in artifacts:
            p = by_purl[a["purl"]]
            assert p.cataloger == a["foundBy"]
            assert sorted(loc.path for loc in p.locations) == sorted(
                loc["path"] for loc in a["locations"]
            )
