"""npm-declared against ``npm ls --package-lock-only``, on lockfiles written by the real tools.

One project (exact pins, a scoped package, an ``npm:`` alias, a peer dependency) is
installed with npm; the same resolution is then written in every format by the tools
themselves: npm (lockfile v1, v2, v3), ``yarn import`` (yarn 1), yarn 4 migrating that
lockfile (berry), and ``pnpm import`` (pnpm 7, 8, 9: lockfile 5.4, 6.0, 9.0). So every
lockfile must list exactly the packages npm ls lists.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mamori.model import Package
from mamori.sbom.catalogers.npm._common import split_spec
from tests.sbom.test_npm_installed import catalog, name_versions, npm_ls
from tests.support import need, need_tool
from tests.targets import _build_once, npm_tree

FIXTURES = Path(__file__).parent / "fixtures" / "npm"
PROJECT = {
    "name": "mamori-npm-lockfiles",
    "version": "1.0.0",
    "private": True,
    "dependencies": {
        "lodash": "4.17.15",
        "minimist": "1.2.0",
        "axios": "0.21.0",
        "express": "4.16.0",
        "@babel/code-frame": "7.10.4",
        "lodash4": "npm:lodash@4.17.21",
        "react": "17.0.2",
        "react-dom": "17.0.2",
    },
}
TOOLS = {"yarn1": "yarn@1.22.22", "pnpm7": "pnpm@7.33.7", "pnpm8": "pnpm@8.15.9"}
TOOLS |= {"pnpm9": "pnpm@9.15.9", "berry": "@yarnpkg/cli-dist@4.18.1"}
LOCKFILES = {
    "npm/package-lock.json": "3",
    "lock-v1/package-lock.json": "1",
    "lock-v2/package-lock.json": "2",
    "yarn-v1/yarn.lock": "yarn 1",
    "yarn-berry/yarn.lock": "yarn 4",
    "pnpm-v5/pnpm-lock.yaml": "5.4",
    "pnpm-v6/pnpm-lock.yaml": "6.0",
    "pnpm-v9/pnpm-lock.yaml": "9.0",
}


def _build(d: Path) -> None:
    env = {**os.environ, "npm_config_audit": "false", "npm_config_fund": "false"}
    env |= {"YARN_ENABLE_TELEMETRY": "0", "YARN_IGNORE_PATH": "1", "COREPACK_ENABLE_STRICT": "0"}

    def run(cwd: Path, *cmd: str) -> None:
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)

    def copy(src: str, dst: str, *names: str) -> Path:
        (d / dst).mkdir()
        for name in names:
            shutil.copy2(d / src / name, d / dst / name)
        return d / dst

    npm = d / "npm"
    npm.mkdir()
    (npm / "package.json").write_text(json.dumps(PROJECT))
    run(npm, "npm", "install", "--ignore-scripts", "--no-audit", "--no-fund")
    for version in ("1", "2"):
        out = d / f"lock-v{version}"
        shutil.copytree(npm, out, symlinks=True)
        run(out, "npm", "install", "--package-lock-only", "--lockfile-version", version)
        shutil.rmtree(out / "node_modules")
    pkg = ("package.json", "package-lock.json")
    run(copy("lock-v1", "yarn-v1", *pkg), "npx", "--yes", TOOLS["yarn1"], "import")
    (d / "yarn-v1" / "package-lock.json").unlink()
    berry = copy("yarn-v1", "yarn-berry", "package.json", "yarn.lock")
    env["YARN_CACHE_FOLDER"] = str(d / "yarn-cache")
    env["YARN_ENABLE_GLOBAL_CACHE"] = "0"
    run(berry, "npx", "--yes", TOOLS["berry"], "install", "--mode=update-lockfile")
    shutil.rmtree(d / "yarn-cache", ignore_errors=True)
    shutil.rmtree(berry / ".yarn", ignore_errors=True)
    # pnpm 7 reads lockfile v1/v2 only; pnpm 8 and 9 read v3.
    for tool, src, dst in (("pnpm7", "lock-v2", "pnpm-v5"), ("pnpm8", "npm", "pnpm-v6")):
        run(copy(src, dst, *pkg), "npx", "--yes", TOOLS[tool], "import")
    run(copy("npm", "pnpm-v9", *pkg), "npx", "--yes", TOOLS["pnpm9"], "import")
    for dst in ("pnpm-v5", "pnpm-v6", "pnpm-v9"):
        (d / dst / "package-lock.json").unlink()


def lockfiles_target() -> Path:
    need_tool("npm")
    need_tool("npx")
    try:
        return _build_once("npm-lockfiles", _build)
    except subprocess.CalledProcessError as exc:
        need(False, f"building lockfiles needs the npm registry: {exc} {exc.stderr!r}")
        raise


def split_root(packages: list[Package]) -> tuple[list[Package], list[Package]]:
    """(the scanned projects themselves, their dependencies)."""
    roots = [p for p in packages if p.metadata.get("relationship") == "root"]
    return roots, [p for p in packages if p.metadata.get("relationship") != "root"]


def by_location(packages: list[Package]) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for p in packages:
        out.setdefault(p.locations[0].path.lstrip("/"), set()).add((p.name, p.version))
    return out


@pytest.mark.slow
def test_npm_tree_lockfile_matches_npm_ls_package_lock_only() -> None:
    project = npm_tree()
    everything, notices = catalog(project, "npm-declared")
    assert notices == []
    roots, packages = split_root(everything)
    assert name_versions(packages) == npm_ls(project, "--package-lock-only")
    assert len(packages) == 55
    assert all(p.metadata["declared"] == "true" for p in packages)
    manifest = json.loads((project / "package.json").read_text())
    assert [(r.name, r.version) for r in roots] == [(manifest["name"], manifest["version"])]


@pytest.mark.slow
def test_installed_and_declared_are_reported_separately() -> None:
    """Like syft's package and lock catalogers: each package once per evidence location."""
    project = npm_tree()
    everything, _ = catalog(project, "npm-installed", "npm-declared")
    roots, packages = split_root(everything)
    installed = [p for p in packages if p.cataloger == "npm-installed"]
    declared = [p for p in packages if p.cataloger == "npm-declared"]
    assert name_versions(installed) == name_versions(declared)
    assert len({p.id for p in packages}) == len(packages) == 110
    assert {p.locations[0].path for p in declared} == {"/package-lock.json"}
    assert [r.locations[0].path for r in roots] == ["/package.json"]


@pytest.mark.slow
def test_every_real_lockfile_format_matches_npm_ls() -> None:
    target = lockfiles_target()
    expected = npm_ls(target / "npm", "--package-lock-only")
    assert len(expected) > 70
    assert ("lodash", "4.17.21") in expected and ("@babel/code-frame", "7.10.4") in expected
    everything, notices = catalog(target, "npm-declared")
    assert notices == []
    roots, packages = split_root(everything)
    assert all(r.locations[0].path.endswith("/package.json") for r in roots)
    got = by_location(packages)
    assert set(got) == set(LOCKFILES)
    for path in LOCKFILES:
        assert got[path] == expected, path
    # The installed tree agrees too, alias directory and all.
    installed, _ = catalog(target / "npm", "npm-installed")
    assert name_versions(installed) == npm_ls(target / "npm")
    alias = next(p for p in installed if p.metadata.get("alias") == "lodash4")
    assert (alias.name, alias.version) == ("lodash", "4.17.21")
    scoped = {p.purl for p in packages if p.name == "@babel/code-frame"}
    assert scoped == {"pkg:npm/%40babel/code-frame@7.10.4"}


EXPECTED = {
    "lock-v1/package-lock.json": {
        ("@scope/a", "1.0.0"),
        ("b", "2.1.0"),
        ("b", "1.0.0"),
        ("lodash", "4.17.21"),
    },
    "lock-v2/package-lock.json": {
        ("@scope/a", "1.0.0"),
        ("c", "3.0.0"),
        ("c", "3.1.0"),
        ("lodash", "4.17.21"),
        ("gitdep", "1.2.0"),
    },
    "yarn-v1/yarn.lock": {
        ("@babel/code-frame", "7.10.4"),
        ("lodash", "4.17.21"),
        ("string-width", "4.2.3"),
        ("my-fork", "1.0.0"),
        ("left-pad", "1.3.0"),
    },
    "yarn-berry/yarn.lock": {
        ("@types/node", "20.11.30"),
        ("resolve", "1.22.8"),
        ("string-width", "4.2.3"),
        ("gitdep", "3.1.0"),
    },
    "pnpm-v5/pnpm-lock.yaml": {
        ("@scope/a", "1.0.0"),
        ("react-dom", "17.0.2"),
        ("react", "17.0.2"),
        ("tar-dep", "1.0.0"),
    },
}
EXPECTED["pnpm-v9/pnpm-lock.yaml"] = EXPECTED["pnpm-v5/pnpm-lock.yaml"]


def test_hand_written_edge_cases() -> None:
    packages, notices = catalog(FIXTURES / "locks", "npm-declared")
    assert by_location(packages) == EXPECTED
    assert sorted(notices) == [
        "/lock-v1/package-lock.json: dependencies['bad'] is not an object",
        "/yarn-berry/yarn.lock: entry 'broken@npm:1.0.0' has no resolution",
        "/yarn-v1/yarn.lock: line 29: no-version: entry without a version",
        "/yarn-v1/yarn.lock: line 32: expected an entry header",
    ]
    flags = {(p.locations[0].path, p.name, p.version): p.metadata for p in packages}
    assert flags[("/lock-v1/package-lock.json", "b", "1.0.0")]["dev"] == "true"
    assert flags[("/lock-v2/package-lock.json", "c", "3.1.0")]["optional"] == "true"
    assert flags[("/pnpm-v5/pnpm-lock.yaml", "react", "17.0.2")]["dev"] == "true"
    assert "dev" not in flags[("/pnpm-v5/pnpm-lock.yaml", "react-dom", "17.0.2")]


def test_lockfiles_inside_node_modules_are_skipped() -> None:
    packages, _ = catalog(FIXTURES / "installed", "npm-declared")
    assert packages == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("lodash@^4", ("lodash", "^4")),
        ("@s/a@1.0.0", ("@s/a", "1.0.0")),
        ("@s/a", ("@s/a", "")),
        ("a@npm:b@1", ("a", "npm:b@1")),
    ],
)
def test_split_spec(spec: str, expected: tuple[str, str]) -> None:
    assert split_spec(spec) == expected


def test_lockfile_project_is_reported_as_root_and_never_matched(tmp_path: Path) -> None:
    from mamori.model import Sbom
    from mamori.sbom.build import build_sbom
    from mamori.sources.directory import DirectoryTree
    from mamori.vuln.match.ecosystems import UnmappedError, queries_for

    # The project is named like a public package with known advisories.
    (tmp_path / "package.json").write_text('{"name": "lodash", "version": "4.17.15"}')
    (tmp_path / "package-lock.json").write_text(
        '{"name": "lodash", "version": "4.17.15", "lockfileVersion": 3, "packages": {'
        '"": {"name": "lodash", "version": "4.17.15"},'
        '"node_modules/minimist": {"version": "1.2.0"}}}'
    )
    sbom, _ = build_sbom(DirectoryTree(tmp_path), only=["npm-declared"])
    by_name = {p.name: p for p in sbom.packages}
    assert set(by_name) == {"lodash", "minimist"}
    assert by_name["lodash"].metadata["relationship"] == "root"
    assert by_name["lodash"].locations[0].path == "/package.json"
    assert "relationship" not in by_name["minimist"].metadata
    with pytest.raises(UnmappedError):
        queries_for(by_name["lodash"], Sbom().distro)
    assert queries_for(by_name["minimist"], None)
