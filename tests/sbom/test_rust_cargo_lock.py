"""Cargo.lock cataloging: a v4 lockfile generated here by cargo (checked against
`cargo metadata`), and hand-written v1/v3 lockfiles modelled on real ones."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import PackageType
from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.rust.cargo_lock import CargoLockCataloger, parse_cargo_lock
from mamori.sources.directory import DirectoryTree
from tests.support import need_tool

FIXTURES = Path(__file__).parent / "fixtures" / "rust"
REGISTRY = "registry+https://github.com/rust-lang/crates.io-index"


def cargo_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CARGO_HOME": str(tmp / "cargo-home"),
        "CARGO_TARGET_DIR": str(tmp / "target"),
        "CARGO_NET_OFFLINE": "true",
    }


def make_workspace(root: Path) -> Path:
    """A workspace with path dependencies only (crates.io is not reachable here): two
    members, a path dependency outside the workspace, a build-dependency."""
    files = {
        "ws/Cargo.toml": '[workspace]\nmembers = ["app", "util"]\nresolver = "2"\n',
        "ws/app/Cargo.toml": (
            '[package]\nname = "app"\nversion = "0.3.1"\nedition = "2021"\n\n[dependencies]\n'
            'util = { path = "../util" }\n'
            'helper = { path = "../../ext/helper", version = "1.2.0" }\n'
        ),
        "ws/app/src/main.rs": 'fn main() { println!("{}", util::f() + helper::g()); }\n',
        "ws/util/Cargo.toml": (
            '[package]\nname = "util"\nversion = "0.1.0"\nedition = "2021"\n\n'
            '[build-dependencies]\nbuildhelper = { path = "../buildhelper" }\n'
        ),
        "ws/util/src/lib.rs": "pub fn f() -> u32 { 1 }\n",
        "ws/util/build.rs": "fn main() { buildhelper::h(); }\n",
        "ws/buildhelper/Cargo.toml": (
            '[package]\nname = "buildhelper"\nversion = "0.0.7"\nedition = "2021"\n'
        ),
        "ws/buildhelper/src/lib.rs": "pub fn h() {}\n",
        "ext/helper/Cargo.toml": (
            '[package]\nname = "helper"\nversion = "1.2.0"\nedition = "2021"\n'
        ),
        "ext/helper/src/lib.rs": "pub fn g() -> u32 { 2 }\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "ws"


def cargo_metadata(ws: Path, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--offline", "--locked"],
        cwd=ws,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    need_tool("cargo")
    tmp = tmp_path_factory.mktemp("cargo")
    ws = make_workspace(tmp)
    env = cargo_env(tmp)
    subprocess.run(
        ["cargo", "generate-lockfile", "--offline"],
        cwd=ws,
        env=env,
        check=True,
        capture_output=True,
    )
    return ws, env


def test_generated_lockfile_agrees_with_cargo_metadata(
    workspace: tuple[Path, dict[str, str]],
) -> None:
    ws, env = workspace
    oracle = cargo_metadata(ws, env)
    want = {(p["name"], p["version"]) for p in oracle["packages"]}  # type: ignore[attr-defined]
    assert len(want) == 4
    version, _ = parse_cargo_lock((ws / "Cargo.lock").read_text())
    assert f"\nversion = {version}\n" in (ws / "Cargo.lock").read_text()  # cargo 1.78+: 4
    ctx = CatalogContext(tree=DirectoryTree(ws))
    pkgs = list(CargoLockCataloger().catalog(ctx, ["/Cargo.lock"]))
    assert ctx.notices == []
    assert {(p.name, p.version) for p in pkgs} == want
    assert all(p.metadata["local"] == "true" for p in pkgs)  # path/workspace members
    assert {p.purl for p in pkgs} >= {"pkg:cargo/app@0.3.1", "pkg:cargo/helper@1.2.0"}


def test_v1_lockfile_with_metadata_checksums() -> None:
    ctx = CatalogContext(tree=DirectoryTree(FIXTURES))
    pkgs = {p.name: p for p in CargoLockCataloger().catalog(ctx, ["/v1/Cargo.lock"])}
    assert ctx.notices == []
    assert {(p.name, p.version) for p in pkgs.values()} == {
        ("aho-corasick", "0.7.6"),
        ("grep", "0.2.4"),
        ("grep-matcher", "0.1.3"),
        ("memchr", "2.2.1"),
        ("ripgrep", "11.0.2"),
        ("num_cpus", "1.10.1"),
        ("regex", "1.3.1"),
    }
    assert pkgs["memchr"].metadata["checksum"].startswith("88579771")
    assert pkgs["memchr"].metadata["lockfile_version"] == "1"
    assert pkgs["memchr"].metadata["source"] == REGISTRY
    assert pkgs["regex"].metadata["source"].startswith("git+https://github.com/rust-lang/regex")
    assert "checksum" not in pkgs["regex"].metadata  # git sources have none
    assert pkgs["grep"].metadata["local"] == "true"


def test_v3_lockfile_with_duplicate_names() -> None:
    ctx = CatalogContext(tree=DirectoryTree(FIXTURES))
    pkgs = list(CargoLockCataloger().catalog(ctx, ["/v3/Cargo.lock"]))
    assert ctx.notices == []
    assert sorted(p.purl for p in pkgs) == [
        "pkg:cargo/anyhow@1.0.75",
        "pkg:cargo/cfg-if@1.0.0",
        "pkg:cargo/myservice-core@0.4.0",
        "pkg:cargo/myservice@0.4.0",
        "pkg:cargo/serde@0.9.15",
        "pkg:cargo/serde@1.0.188",
        "pkg:cargo/tokio@1.32.0",
    ]
    by = {(p.name, p.version): p for p in pkgs}
    assert by[("serde", "1.0.188")].metadata["checksum"].startswith("cf9e0fcb")
    assert by[("myservice", "0.4.0")].metadata["lockfile_version"] == "3"
    assert all(p.type is PackageType.CARGO for p in pkgs)


def test_build_sbom_finds_lockfiles_and_warns_on_garbage(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Cargo.lock").write_text((FIXTURES / "v3" / "Cargo.lock").read_text())
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Cargo.lock").write_text("[[package]\nname = ")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Cargo.lock").write_text("package = 3\n")
    sbom, notices = build_sbom(DirectoryTree(tmp_path), only=["rust-cargo-lock"])
    assert len(sbom.packages) == 7
    assert {n.path for n in notices} == {"/b/Cargo.lock", "/c/Cargo.lock"}


_TOML_LINE = st.one_of(
    st.sampled_from(
        ["[[package]]", "[metadata]", "version = 3", 'name = "x"', 'version = "1"', "source = 1"]
    ),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_TOML_LINE, max_size=25))
def test_fuzz_cargo_lock_never_raises(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        Path(d, "Cargo.lock").write_text("\n".join(lines), errors="replace")
        ctx = CatalogContext(tree=DirectoryTree(Path(d)))
        for pkg in CargoLockCataloger().catalog(ctx, ["/Cargo.lock"]):
            assert pkg.purl.startswith("pkg:cargo/")


def test_deeply_nested_toml_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "Cargo.lock").write_text("x = " + "[" * 200_000)
    ctx = CatalogContext(tree=DirectoryTree(tmp_path))
    assert list(CargoLockCataloger().catalog(ctx, ["/Cargo.lock"])) == []
    assert len(ctx.notices) == 1
