"""cargo-auditable binaries (`.dep-v0`).

`cargo auditable` is not installed and crates.io is unreachable, so the fixture is a real
Rust binary built here by cargo from a path-only workspace, with a `.dep-v0` section added
by `objcopy --add-section`: zlib-compressed JSON in cargo-auditable's documented format
(rustsec.org/schemas/cargo-auditable.json), generated from `cargo metadata`'s resolve
graph of that same workspace, which is the oracle. A second section, modelled on what
`rust-audit-info` prints for a real crates.io build, covers git/registry sources and
build-only dependencies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import tracemalloc
import zlib
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.rust.auditable import RustAuditBinaryCataloger
from mamori.sources.directory import DirectoryTree
from tests.sbom.test_rust_cargo_lock import cargo_env, cargo_metadata, make_workspace
from tests.support import need_tool

FIXTURES = Path(__file__).parent / "fixtures" / "rust" / "auditable"


def audit_json_from_metadata(meta: dict[str, Any], root_name: str) -> tuple[dict[str, Any], set]:
    """(cargo-auditable JSON, runtime (name, version) set) from `cargo metadata` output."""
    pkgs = sorted(meta["packages"], key=lambda p: (p["name"], p["version"]))
    index = {p["id"]: i for i, p in enumerate(pkgs)}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = next(p["id"] for p in pkgs if p["name"] == root_name)
    runtime: set[str] = set()
    todo = deque([root])
    while todo:  # packages reachable from the root through normal (non-build) edges
        pid = todo.popleft()
        if pid in runtime:
            continue
        runtime.add(pid)
        for dep in nodes[pid]["deps"]:
            if any(k["kind"] is None for k in dep["dep_kinds"]):
                todo.append(dep["pkg"])
    out = []
    for p in pkgs:
        entry: dict[str, Any] = {"name": p["name"], "version": p["version"], "source": "local"}
        deps = sorted(index[d["pkg"]] for d in nodes[p["id"]]["deps"])
        if deps:
            entry["dependencies"] = deps
        if p["id"] not in runtime:
            entry["kind"] = "build"
        if p["id"] == root:
            entry["root"] = True
        out.append(entry)
    want = {(p["name"], p["version"]) for p in pkgs if p["id"] in runtime}
    return {"packages": out}, want


def add_section(binary: Path, out: Path, payload: bytes, name: str = ".dep-v0") -> None:
    data = out.with_suffix(".section")
    data.write_bytes(payload)
    subprocess.run(
        ["objcopy", "--add-section", f"{name}={data}", str(binary), str(out)],
        check=True,
        capture_output=True,
    )
    out.chmod(0o755)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    need_tool("cargo")
    need_tool("objcopy")
    tmp = tmp_path_factory.mktemp("auditable")
    ws = make_workspace(tmp)
    env = cargo_env(tmp)
    subprocess.run(
        ["cargo", "build", "--offline", "-q", "-p", "app"],
        cwd=ws,
        env=env,
        check=True,
        capture_output=True,
    )
    return tmp / "target" / "debug" / "app", cargo_metadata(ws, env)


def test_dep_v0_section_agrees_with_cargo_metadata(
    built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    binary, meta = built
    doc, want = audit_json_from_metadata(meta, "app")
    assert ("buildhelper", "0.0.7") not in want  # only a build-dependency of util
    add_section(binary, tmp_path / "app", zlib.compress(json.dumps(doc).encode()))
    ctx = CatalogContext(tree=DirectoryTree(tmp_path))
    pkgs = list(RustAuditBinaryCataloger().catalog(ctx, ["/app"]))
    assert ctx.notices == []
    assert {(p.name, p.version) for p in pkgs} == want
    assert [p.name for p in pkgs if p.metadata.get("root") == "true"] == ["app"]
    assert all(p.locations[0].path == "/app" for p in pkgs)


def test_plain_rust_binary_has_no_packages_and_no_warning(
    built: tuple[Path, dict[str, Any]],
) -> None:
    binary, _ = built
    ctx = CatalogContext(tree=DirectoryTree(binary.parent))
    assert list(RustAuditBinaryCataloger().catalog(ctx, ["/app"])) == []
    assert ctx.notices == []


def test_registry_git_and_build_kinds(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    binary, _ = built
    doc = json.loads((FIXTURES / "ripgrep-like.json").read_text())
    add_section(binary, tmp_path / "rg", zlib.compress(json.dumps(doc).encode(), 9))
    sbom, notices = build_sbom(DirectoryTree(tmp_path), only=["rust-audit-binary"])
    assert notices == []
    got = {p.purl: p for p in sbom.packages}
    runtime = {f"pkg:cargo/{p['name']}@{p['version']}" for p in doc["packages"]}
    assert set(got) == runtime - {"pkg:cargo/cc@1.0.83"}  # "kind": "build"
    assert got["pkg:cargo/regex-git@1.10.0"].metadata["source"] == "git"
    assert got["pkg:cargo/ripgrep@14.0.3"].metadata["root"] == "true"


def test_zlib_bomb_in_section_is_refused(
    built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    binary, _ = built
    bomb = zlib.compress(b'{"packages": [' + b" " * (200 * 1024 * 1024) + b"]}", 9)
    add_section(binary, tmp_path / "bomb", bomb)
    ctx = CatalogContext(tree=DirectoryTree(tmp_path))
    tracemalloc.start()
    assert list(RustAuditBinaryCataloger().catalog(ctx, ["/bomb"])) == []
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
    assert "inflates past" in ctx.notices[0].message


_SEED: dict[str, Any] = json.loads((FIXTURES / "ripgrep-like.json").read_text())
_JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mode=st.sampled_from(["json", "raw", "truncated"]),
    value=_JSONISH,
    raw=st.binary(max_size=300),
    cut=st.integers(min_value=0, max_value=400),
)
def test_fuzz_section_contents(
    built: tuple[Path, dict[str, Any]], mode: str, value: Any, raw: bytes, cut: int
) -> None:
    binary, _ = built
    if mode == "json":
        doc = dict(_SEED, packages=[*_SEED["packages"], value]) if cut % 2 else value
        payload = zlib.compress(json.dumps(doc).encode())
    elif mode == "raw":
        payload = raw
    else:
        payload = zlib.compress(json.dumps(_SEED).encode())[:cut]
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "bin"
        if payload:
            add_section(binary, out, payload)
        else:
            shutil.copy(binary, out)
        ctx = CatalogContext(tree=DirectoryTree(Path(d)))
        for pkg in RustAuditBinaryCataloger().catalog(ctx, ["/bin"]):
            assert pkg.purl.startswith("pkg:cargo/")


def test_non_elf_executables_cost_a_header_read(tmp_path: Path) -> None:
    from tests.sbom.test_go_binary import CountingTree

    (tmp_path / "run.sh").write_text("#!/bin/sh\n" + "#" * 100_000)
    tree = CountingTree(tmp_path)
    ctx = CatalogContext(tree=tree)
    assert list(RustAuditBinaryCataloger().catalog(ctx, ["/run.sh"])) == []
    assert ctx.notices == []
    assert tree.read["/run.sh"] <= 64
