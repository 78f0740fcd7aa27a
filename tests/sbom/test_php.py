"""PHP: composer.lock and vendor/composer/installed.json (Composer 1 list and Composer 2
object forms). Composer is not installed; the fixtures follow its documented schema and
PHP's own json_decode reads them as the oracle for which entries exist."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import PackageType
from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.php.composer_lock import ComposerLockCataloger
from mamori.sbom.catalogers.php.installed_json import InstalledJsonCataloger
from mamori.sources.directory import DirectoryTree
from tests.support import need_tool

FIXTURES = Path(__file__).parent / "fixtures" / "php"

# (file, dev?, name, version) for every entry, as PHP sees the files.
_PHP_ORACLE = r"""
foreach (array_slice($argv, 1) as $f) {
    $d = json_decode(file_get_contents($f), true);
    if (array_is_list($d)) { $d = ["packages" => $d]; }
    $dev = $d["dev-package-names"] ?? [];
    foreach (["packages" => false, "packages-dev" => true] as $k => $isDev) {
        foreach ($d[$k] ?? [] as $p) {
            $flag = ($isDev || in_array($p["name"], $dev, true)) ? "dev" : "";
            echo $f, "\t", $flag, "\t", $p["name"], "\t", $p["version"], "\n";
        }
    }
}
"""


def php_entries(files: list[Path]) -> set[tuple[str, bool, str, str]]:
    php = need_tool("php")
    out = subprocess.run(
        [php, "-r", _PHP_ORACLE, *map(str, files)], check=True, capture_output=True, text=True
    ).stdout
    rows = set()
    for line in out.splitlines():
        f, dev, name, version = line.split("\t")
        rows.add(("/" + str(Path(f).relative_to(FIXTURES)), dev == "dev", name, version))
    return rows


def test_all_composer_files_agree_with_php() -> None:
    files = sorted(FIXTURES.rglob("composer.lock")) + sorted(FIXTURES.rglob("installed.json"))
    oracle = php_entries(files)
    assert len(oracle) == 7 + 3 + 2
    sbom, notices = build_sbom(
        DirectoryTree(FIXTURES), only=["php-composer-lock", "php-installed-json"]
    )
    assert notices == []
    mine = {
        (p.locations[0].path, p.metadata.get("dev") == "true", p.name, p.version)
        for p in sbom.packages
    }
    assert mine == oracle
    assert all(p.type is PackageType.COMPOSER for p in sbom.packages)


def test_purls_licenses_and_sources() -> None:
    ctx = CatalogContext(tree=DirectoryTree(FIXTURES))
    pkgs = {p.name: p for p in ComposerLockCataloger().catalog(ctx, ["/app/composer.lock"])}
    assert pkgs["laravel/framework"].purl == "pkg:composer/laravel/framework@v8.75.0"
    assert pkgs["symfony/polyfill-mbstring"].licenses == ("MIT",)  # a string, not a list
    assert pkgs["phpunit/phpunit"].licenses == ("BSD-3-Clause",)
    assert pkgs["guzzlehttp/guzzle"].metadata["source_reference"].startswith("ee0a041b")
    assert pkgs["acme/internal-sdk"].version == "dev-main"


def test_bad_files_warn(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "composer.lock").write_text("{not json")
    (tmp_path / "b" / "vendor" / "composer").mkdir(parents=True)
    (tmp_path / "b" / "vendor" / "composer" / "installed.json").write_text('{"dev": true}')
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "composer.lock").write_text("[" * 100_000 + "]" * 100_000)
    sbom, notices = build_sbom(
        DirectoryTree(tmp_path), only=["php-composer-lock", "php-installed-json"]
    )
    assert sbom.packages == ()
    assert {n.path for n in notices} == {
        "/a/composer.lock",
        "/b/vendor/composer/installed.json",
        "/c/composer.lock",
    }


_SEED: dict[str, Any] = json.loads((FIXTURES / "app" / "composer.lock").read_text())
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_JSON, where=st.sampled_from(["top", "packages", "entry", "license", "raw"]))
def test_fuzz_composer_never_raises(value: Any, where: str) -> None:
    doc: Any = json.loads(json.dumps(_SEED))
    if where == "top":
        doc = value
    elif where == "packages":
        doc["packages"] = value
    elif where == "entry":
        doc["packages"][0] = value
    elif where == "license":
        doc["packages"][1]["license"] = value
    text = json.dumps(doc) if where != "raw" else str(value)
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "vendor" / "composer").mkdir(parents=True)
        (root / "composer.lock").write_text(text)
        (root / "vendor" / "composer" / "installed.json").write_text(text)
        ctx = CatalogContext(tree=DirectoryTree(root))
        found = [
            *ComposerLockCataloger().catalog(ctx, ["/composer.lock"]),
            *InstalledJsonCataloger().catalog(ctx, ["/vendor/composer/installed.json"]),
        ]
        assert all(p.purl.startswith("pkg:composer/") for p in found)
