"""Go binary build info, checked against the Go toolchain's `go version -m`.

Targets: the real syft and docker-registry binaries (tests.targets.go_binaries), the
installed Go toolchain's own commands, and binaries built here with `go build` (an offline
file:// module proxy supplies versioned modules and a replacement). The pre-1.18 pointer
format is tested in test_go_formats.py.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packageurl import PackageURL

from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.golang.binary import GoBinaryCataloger, main_version, read_buildinfo
from mamori.sbom.catalogers.golang.modinfo import GoBuildInfo, GoModule
from mamori.sources.directory import DirectoryTree
from tests.support import CACHE, need, need_tool
from tests.targets import go_binaries


@dataclass
class Oracle:
    """What `go version -m` prints for one binary."""

    go: str = ""
    path: str = ""
    main: tuple[str, str] | None = None
    deps: list[tuple[str, str, str, str]] = field(default_factory=list)  # path, ver, => path, ver
    build: dict[str, str] = field(default_factory=dict)


def go_version_m(binary: Path) -> Oracle:
    need_tool("go")
    binary.chmod(0o755)  # go version skips files without an execute bit
    out = subprocess.run(
        ["go", "version", "-m", str(binary)], check=True, capture_output=True, text=True
    ).stdout
    lines = out.splitlines()
    oracle = Oracle(go=lines[0].rsplit(": ", 1)[1])
    for line in lines[1:]:
        cols = line.split("\t")[1:]
        if not cols or not cols[0]:
            continue
        if cols[0] == "path":
            oracle.path = cols[1]
        elif cols[0] == "mod":
            oracle.main = (cols[1], cols[2])
        elif cols[0] == "dep":
            oracle.deps.append((cols[1], cols[2], "", ""))
        elif cols[0] == "=>":
            p, v, _, _ = oracle.deps[-1]
            oracle.deps[-1] = (p, v, cols[1], cols[2])
        elif cols[0] == "build":
            key, _, value = cols[1].partition("=")
            # Go quotes values with strconv.Quote; JSON reads the escapes it emits here.
            oracle.build[key] = json.loads(value) if value.startswith('"') else value
    return oracle


def _ctx(directory: Path) -> CatalogContext:
    return CatalogContext(tree=DirectoryTree(directory))


def assert_agrees(binary: Path) -> Oracle:
    """Build info and packages of `binary` agree with `go version -m` in every field."""
    oracle = go_version_m(binary)
    ctx = _ctx(binary.parent)
    info = read_buildinfo(ctx, "/" + binary.name)
    assert info is not None
    assert info.go_version == oracle.go
    assert info.path == oracle.path
    assert ((info.main.path, info.main.version) if info.main else None) == oracle.main
    mine = [
        (
            d.path,
            d.version,
            d.replace.path if d.replace else "",
            d.replace.version if d.replace else "",
        )
        for d in info.deps
    ]
    assert mine == oracle.deps
    assert {k: v for k, v in info.settings} == oracle.build
    pkgs = list(GoBinaryCataloger().catalog(ctx, ["/" + binary.name]))
    assert ctx.notices == []
    expected = set()
    for path, ver, rpath, rver in oracle.deps:
        if not rpath:
            expected.add(f"{path}@{ver}")
        elif rver and rver != "(devel)":
            expected.add(f"{rpath}@{rver}")
        else:
            expected.add(path)  # replaced by a local directory: no version
    got = {
        f"{p.name}@{p.version.removeprefix('go')}" if p.version else p.name
        for p in pkgs
        if p.metadata.get("main") != "true"
    }
    for p in pkgs:  # the purl carries the same module path and version
        purl = PackageURL.from_string(p.purl)
        module = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
        assert (purl.type, module, purl.version or "") == (
            "golang",
            p.name,
            p.version.removeprefix("go"),
        )
    stdlib_version = oracle.go.removeprefix("go")
    assert got == expected | {f"stdlib@{stdlib_version}"}
    main_path = oracle.main[0] if oracle.main else oracle.path
    assert [p.name for p in pkgs if p.metadata.get("main") == "true"] == [main_path]
    return oracle


# -- real binaries -------------------------------------------------------------------------
@pytest.mark.slow
def test_real_binaries_agree_with_go_version_m() -> None:
    binaries = go_binaries()
    syft = assert_agrees(binaries / "syft")
    assert len(syft.deps) > 150
    if (binaries / "docker-registry").exists():
        registry = assert_agrees(binaries / "docker-registry")
        assert registry.main is None  # built in GOPATH mode: path, build settings, no mod


@pytest.mark.slow
def test_go_toolchain_binaries_agree() -> None:
    """The installed toolchain's own commands (go, gofmt, compile, link, vet, ...)."""
    go = need_tool("go")
    goroot = Path(
        subprocess.run(
            [go, "env", "GOROOT"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    binaries = [
        p
        for p in [*goroot.glob("bin/*"), *goroot.glob("pkg/tool/*/*")]
        if p.is_file() and not p.is_symlink() and os.access(p, os.X_OK)
    ]
    need(len(binaries) >= 5, f"no Go toolchain binaries under {goroot}")
    for binary in binaries:
        assert_agrees(binary)


def test_main_module_version_from_ldflags_as_syft_does() -> None:
    binaries = go_binaries()
    oracle = go_version_m(binaries / "syft")
    info = read_buildinfo(_ctx(binaries), "/syft")
    assert info is not None
    assert oracle.main == ("github.com/anchore/syft", "(devel)")
    assert "-X main.version=1.18.1" in oracle.build["-ldflags"]
    assert main_version(info) == ("v1.18.1", "ldflags")


# -- binaries built here -------------------------------------------------------------------
def _go_env(tmp: Path, proxy: Path | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "GOCACHE": str(CACHE / "go-build"),
        "GOPATH": str(tmp / "gopath"),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": f"file://{proxy}" if proxy else "off",
        "GOSUMDB": "off",
        "CGO_ENABLED": "0",
    }
    return env


def _publish(proxy: Path, module: str, version: str, package: str) -> None:
    """Put a module version into a file:// GOPROXY (the documented proxy protocol)."""
    d = proxy / module / "@v"
    d.mkdir(parents=True, exist_ok=True)
    gomod = f"module {module}\n\ngo 1.19\n"
    (d / f"{version}.mod").write_text(gomod)
    (d / f"{version}.info").write_text(f'{{"Version":"{version}"}}')
    with (d / "list").open("a") as fh:
        fh.write(version + "\n")
    with zipfile.ZipFile(d / f"{version}.zip", "w") as zf:
        zf.writestr(f"{module}@{version}/go.mod", gomod)
        zf.writestr(
            f"{module}@{version}/x.go",
            f'package {package}\n\nfunc V() string {{ return "{version}" }}\n',
        )


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app with a versioned dep, a dep replaced by a fork, a local replacement."""
    need_tool("go")
    tmp = tmp_path_factory.mktemp("goapp")
    proxy = tmp / "proxy"
    _publish(proxy, "example.com/dep", "v1.0.0", "dep")
    _publish(proxy, "example.com/fork", "v1.1.0", "dep")
    _publish(proxy, "example.com/other", "v0.3.0", "other")
    (tmp / "lib").mkdir()
    (tmp / "lib" / "go.mod").write_text("module example.com/lib\n\ngo 1.19\n")
    (tmp / "lib" / "lib.go").write_text('package lib\n\nfunc Hello() string { return "hi" }\n')
    app = tmp / "app"
    app.mkdir()
    (app / "go.mod").write_text(
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/dep v1.0.0\n"
        "\texample.com/lib v0.0.0\n\texample.com/other v0.3.0\n)\n\n"
        "replace example.com/lib => ../lib\n\n"
        "replace example.com/dep v1.0.0 => example.com/fork v1.1.0\n"
    )
    (app / "main.go").write_text(
        'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/dep"\n\t"example.com/lib"\n'
        '\t"example.com/other"\n)\n\nvar version = "dev"\n\n'
        "func main() { fmt.Println(lib.Hello(), dep.V(), other.V(), version) }\n"
    )
    out = tmp / "bin"
    out.mkdir()
    subprocess.run(
        ["go", "build", "-ldflags", "-X main.version=2.3.4", "-o", str(out / "app"), "."],
        cwd=app,
        env=_go_env(tmp, proxy),
        check=True,
        capture_output=True,
    )
    return out / "app"


def test_built_binary_with_replacements_agrees(built_app: Path) -> None:
    oracle = assert_agrees(built_app)
    assert ("example.com/dep", "v1.0.0", "example.com/fork", "v1.1.0") in oracle.deps
    assert ("example.com/lib", "v0.0.0", "../lib", "(devel)") in oracle.deps
    pkgs = {p.name: p for p in GoBinaryCataloger().catalog(_ctx(built_app.parent), ["/app"])}
    assert pkgs["example.com/fork"].metadata["replaces"] == "example.com/dep@v1.0.0"
    assert pkgs["example.com/lib"].version == ""
    assert pkgs["example.com/lib"].metadata["replaced_by_path"] == "../lib"
    assert pkgs["example.com/app"].version == "v2.3.4"  # -X main.version=2.3.4
    assert pkgs["stdlib"].purl == "pkg:golang/stdlib@" + oracle.go.removeprefix("go")


def test_stdlib_only_binary_with_vcs_stamp(tmp_path: Path) -> None:
    """No deps, main module from a git checkout: pseudo-version from vcs.revision/time."""
    need_tool("go")
    git = need_tool("git")
    src = tmp_path / "src"
    src.mkdir()
    (src / "go.mod").write_text("module example.org/hello\n\ngo 1.19\n")
    (src / "main.go").write_text('package main\n\nfunc main() { println("hello") }\n')
    (tmp_path / "gitconfig").write_text("")
    env = {**_go_env(tmp_path), "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig")}
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    for cmd in (["init", "-q"], ["add", "."], [*ident, "commit", "-qm", "init"]):
        subprocess.run([git, *cmd], cwd=src, env=env, check=True)
    out = tmp_path / "bin"
    out.mkdir()
    subprocess.run(
        ["go", "build", "-o", str(out / "hello"), "."],
        cwd=src,
        env=env,
        check=True,
        capture_output=True,
    )
    oracle = assert_agrees(out / "hello")
    assert oracle.deps == []
    revision = subprocess.run(
        [git, "log", "-1", "--format=%H"], cwd=src, check=True, capture_output=True, text=True
    ).stdout.strip()
    assert oracle.build["vcs.revision"] == revision
    info = read_buildinfo(_ctx(out), "/hello")
    assert info is not None
    version, source = main_version(info)
    stamp = oracle.build["vcs.time"].replace("-", "").replace(":", "").replace("T", "")[:14]
    assert (version, source) == (f"v0.0.0-{stamp}-{revision[:12]}", "vcs")


def test_stripped_section_headers_fall_back_to_the_data_segment(
    built_app: Path, tmp_path: Path
) -> None:
    """With no section headers Go searches the first writable segment; so must we."""
    data = bytearray(built_app.read_bytes())
    struct.pack_into("<Q", data, 0x28, 0)  # e_shoff
    struct.pack_into("<HH", data, 0x3C, 0, 0)  # e_shnum, e_shstrndx
    (tmp_path / "stripped").write_bytes(bytes(data))
    oracle = assert_agrees(tmp_path / "stripped")
    assert oracle.main == ("example.com/app", "(devel)")


# -- the cataloger contract ----------------------------------------------------------------
class CountingTree(DirectoryTree):
    """Records how many bytes catalogers read from each file."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.read: dict[str, int] = {}

    def _open_resolved(self, path: str):  # type: ignore[no-untyped-def]
        fh = super()._open_resolved(path)
        tree = self
        real_read = fh.read

        def read(n: int = -1) -> bytes:
            data = real_read(n)
            tree.read[path] = tree.read.get(path, 0) + len(data)
            return data

        fh.read = read  # type: ignore[method-assign]
        return fh


def test_non_go_executables_cost_a_header_read(tmp_path: Path) -> None:
    (tmp_path / "script.sh").write_text("#!/bin/sh\necho hi\n" + "x" * 100_000)
    (tmp_path / "script.sh").chmod(0o755)
    shutil.copy("/bin/true", tmp_path / "true")  # a C binary: ELF without Go build info
    tree = CountingTree(tmp_path)
    ctx = CatalogContext(tree=tree)
    assert list(GoBinaryCataloger().catalog(ctx, ["/script.sh", "/true"])) == []
    assert ctx.notices == []
    assert tree.read["/script.sh"] <= 64
    assert tree.read["/true"] < 16 * 1024  # ELF headers and section names only


def test_build_sbom_finds_go_binaries_by_execute_bit(built_app: Path, tmp_path: Path) -> None:
    shutil.copy(built_app, tmp_path / "app")
    (tmp_path / "notexec").write_bytes(built_app.read_bytes())
    (tmp_path / "notexec").chmod(0o644)
    sbom, notices = build_sbom(DirectoryTree(tmp_path), only=["go-binary"])
    assert {p.locations[0].path for p in sbom.packages} == {"/app"}
    assert "pkg:golang/example.com/other@v0.3.0" in {p.purl for p in sbom.packages}
    assert notices == []


@pytest.mark.parametrize(
    ("ldflags", "expected"),
    [
        ('-X "main.version=1.23.2"  -X "main.revision=9eeb4a7"', ("v1.23.2", "ldflags")),
        ("-s -w -X github.com/x/kpt/run.version=1.0.0-beta.56", ("v1.0.0-beta.56", "ldflags")),
        ("-X=main.Version=v2.0.1", ("v2.0.1", "ldflags")),
        ("-X main.goVersion=1.21.0", ("(devel)", "buildinfo")),  # the toolchain, not the app
        ("-X main.version=dev", ("(devel)", "buildinfo")),
    ],
)
def test_main_version_heuristics(ldflags: str, expected: tuple[str, str]) -> None:
    info = GoBuildInfo(
        go_version="go1.22.0",
        main=GoModule("example.com/app", "(devel)"),
        settings=(("-ldflags", ldflags),),
    )
    assert main_version(info) == expected
