"""npm-installed against ``npm ls`` on a real node_modules tree, and hand-written edge cases."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mamori.model import Package
from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import compile_patterns
from mamori.sbom.catalogers.npm import NpmInstalledCataloger
from mamori.sbom.catalogers.npm.installed import package_dir_name
from mamori.sources.directory import DirectoryTree
from tests.support import need_tool
from tests.targets import OLD_NPM, npm_tree

FIXTURES = Path(__file__).parent / "fixtures" / "npm"


def npm_ls(project: Path, *options: str) -> set[tuple[str, str]]:
    """name@version of every package ``npm ls`` lists (real names, not alias keys)."""
    need_tool("npm")
    done = subprocess.run(
        ["npm", "ls", "--all", "--json", "--long", *options],
        cwd=project,
        capture_output=True,
        text=True,
    )
    doc = json.loads(done.stdout)  # npm ls exits 1 on tree problems, still printing JSON
    out: set[tuple[str, str]] = set()
    stack = [doc.get("dependencies", {})]
    while stack:
        for key, dep in stack.pop().items():
            if "version" in dep:
                out.add((dep.get("name", key), dep["version"]))
            stack.append(dep.get("dependencies", {}))
    return out


def catalog(root: Path, *names: str) -> tuple[list[Package], list[str]]:
    sbom, notices = build_sbom(DirectoryTree(root), only=list(names))
    return list(sbom.packages), [f"{n.path}: {n.message}" for n in notices]


def name_versions(packages: list[Package]) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in packages}


@pytest.mark.slow
def test_npm_tree_node_modules_matches_npm_ls() -> None:
    project = npm_tree()
    packages, notices = catalog(project, "npm-installed")
    assert notices == []
    expected = npm_ls(project)
    assert name_versions(packages) == expected
    assert len(packages) == 55  # one per package directory; nested copies are separate
    for spec in OLD_NPM:
        assert tuple(spec.split("@")) in expected
    assert all(p.locations[0].path.endswith("/package.json") for p in packages)
    lodash = next(p for p in packages if p.name == "lodash")
    assert lodash.purl == "pkg:npm/lodash@4.17.15"
    assert lodash.licenses == ("MIT",)


def test_fixture_tree() -> None:
    packages, notices = catalog(FIXTURES / "installed", "npm-installed")
    got = {p.locations[0].path.removeprefix("/node_modules/"): p for p in packages}
    assert {k: (p.name, p.version) for k, p in got.items()} == {
        "@scope/pkg/package.json": ("@scope/pkg", "2.0.0-beta.1"),
        "plain/package.json": ("plain", "1.2.3"),
        "plain/node_modules/nested/package.json": ("nested", "0.0.1"),
        "plain/node_modules/@other/deep/package.json": ("@other/deep", "3.0.0"),
        ".pnpm/left-pad@1.3.0/node_modules/left-pad/package.json": ("left-pad", "1.3.0"),
        "aliasdir/package.json": ("realname", "4.0.0"),
    }
    # Skipped without a word: the root project, test fixtures and examples inside a
    # package, tool caches, private workspace packages.
    assert got["@scope/pkg/package.json"].purl == "pkg:npm/%40scope/pkg@2.0.0-beta.1"
    assert got["@scope/pkg/package.json"].licenses == ("ISC",)
    assert got["plain/package.json"].licenses == ("MIT", "Apache-2.0")
    assert got["plain/node_modules/nested/package.json"].licenses == ("(MIT OR CC0-1.0)",)
    assert got["plain/node_modules/@other/deep/package.json"].licenses == ("BSD-2-Clause",)
    assert got["aliasdir/package.json"].metadata == {"alias": "aliasdir"}
    assert sorted(n.split(":")[0] for n in notices) == [
        "/node_modules/array/package.json",
        "/node_modules/broken/package.json",
        "/node_modules/noversion/package.json",
    ]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/app/node_modules/a/package.json", "a"),
        ("/node_modules/@s/a/package.json", "@s/a"),
        ("/node_modules/a/node_modules/@s/b/node_modules/c/package.json", "c"),
        ("/node_modules/.pnpm/@s+a@1.0.0/node_modules/@s/a/package.json", "@s/a"),
        ("/node_modules/a/test/node_modules/b/package.json", None),
        ("/node_modules/a/lib/package.json", None),
        ("/node_modules/.bin/package.json", None),
        ("/node_modules/@s/package.json", None),
        ("/node_modules/package.json", None),
        ("/app/package.json", None),
        ("/node_modules/a/node_modules/package.json", None),
    ],
)
def test_package_roots(path: str, name: str | None) -> None:
    assert package_dir_name(path) == name


def test_patterns() -> None:
    rx = compile_patterns(NpmInstalledCataloger.patterns)
    assert rx.match("/srv/app/node_modules/a/package.json")
    assert rx.match("/srv/app/node_modules/@s/a/package.json")
    assert not rx.match("/srv/app/package.json")
    assert not rx.match("/srv/app/node_modules/a/package.json.bak")
