"""Declared npm packages: package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml.

Reported separately from node_modules, as syft does: its lock cataloger (declared
packages, used for directory scans) and its package cataloger (installed package.json
files) are independent, so a project with both yields each package twice, once per
location, the lockfile copy marked ``declared``. Within one lockfile a name@version is
reported once, however many install paths hold it.

The project that owns the lockfile (its sibling package.json) is reported too, marked
``relationship=root``: it belongs in the SBOM (as syft and Trivy list it), but it is the
user's own code, so the matcher does not look it up in public advisories.

Lockfiles below node_modules are skipped: they were published inside a dependency and
describe its development setup, not what is installed here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar

from mamori.model import Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.npm._common import (
    READ_LIMIT,
    Declared,
    LockfileError,
    declared_package,
    is_semver,
    valid_name,
)
from mamori.sbom.catalogers.npm.installed import read_package_json
from mamori.sbom.catalogers.npm.package_lock import parse_package_lock
from mamori.sbom.catalogers.npm.pnpm_lock import parse_pnpm_lock
from mamori.sbom.catalogers.npm.yarn_lock import parse_yarn_lock

Parser = Callable[[str, list[str]], list[Declared]]
LOCKFILES: dict[str, tuple[str, Parser]] = {
    "package-lock.json": ("package-lock", parse_package_lock),
    "npm-shrinkwrap.json": ("npm-shrinkwrap", parse_package_lock),
    "yarn.lock": ("yarn", parse_yarn_lock),
    "pnpm-lock.yaml": ("pnpm", parse_pnpm_lock),
}


@catalogers.register("npm-declared")
class NpmDeclaredCataloger:
    """Packages locked by npm, yarn and pnpm lockfiles, located at the lockfile."""

    name: ClassVar[str] = "npm-declared"
    patterns: ClassVar[tuple[str, ...]] = tuple(f"**/{name}" for name in LOCKFILES)
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterator[Package]:
        for path in paths:
            if "node_modules" in path.split("/"):
                continue
            fmt, parse = LOCKFILES[posixpath.basename(path)]
            yield from self._one(ctx, path, fmt, parse)

    def _one(self, ctx: CatalogContext, path: str, fmt: str, parse: Parser) -> Iterator[Package]:
        source = f"sbom.{self.name}"
        problems: list[str] = []
        try:
            entries = parse(ctx.tree.read_text(path, READ_LIMIT), problems)
        except (OSError, LockfileError) as exc:
            ctx.warn(source, f"skipped {fmt} lockfile: {exc}", path)
            return
        for problem in problems[:100]:
            ctx.warn(source, problem, path)
        if len(problems) > 100:
            ctx.warn(source, f"{len(problems) - 100} more problems not shown", path)
        seen: set[tuple[str, str]] = set()
        root = _root_project(ctx, path)
        if root is not None:
            seen.add((root.name, root.version))
            yield root
        for entry in entries:
            if (entry.name, entry.version) not in seen:
                seen.add((entry.name, entry.version))
                yield declared_package(entry, path, self.name, fmt)


def _root_project(ctx: CatalogContext, lockfile: str) -> Package | None:
    """The project the lockfile belongs to, from the package.json beside it."""
    manifest = posixpath.join(posixpath.dirname(lockfile), "package.json")
    if not ctx.tree.is_file(manifest):
        return None
    doc = read_package_json(ctx, manifest, f"sbom.{NpmDeclaredCataloger.name}")
    if doc is None:
        return None
    name, version = doc.get("name"), doc.get("version")
    if not valid_name(name) or not is_semver(version):
        return None
    entry = Declared(name=name, version=version, metadata={"relationship": "root"})
    return declared_package(entry, manifest, NpmDeclaredCataloger.name, "package.json")
