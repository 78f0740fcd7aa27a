"""Installed npm packages: the package.json at the root of each package in node_modules.

A package root is found from its path alone, the way Node resolves modules:
``node_modules/<name>`` or ``node_modules/@scope/<name>``, optionally nested under another
package's ``node_modules``, plus pnpm's store (``node_modules/.pnpm/<id>/node_modules/``).
Any other package.json below node_modules (test fixtures, examples, templates inside a
package) is not installed code and is skipped, as ``npm ls`` skips it. Symlinked
packages (workspaces, pnpm's top-level links) are not walked, so each real directory is
reported once. File ownership is not recorded: a package owns its whole directory and
listing it would cost a walk per package.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import ClassVar

from mamori.model import Location, Package, PackageType
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.npm._common import licenses_of, npm_purl, valid_name

MAX_PACKAGE_JSON = 16 * 1024 * 1024


def read_package_json(ctx: CatalogContext, path: str, source: str) -> dict[str, object] | None:
    """A package.json as a JSON object; None (with a warning) when it is not one."""
    try:
        doc = json.loads(ctx.tree.read_bytes(path, MAX_PACKAGE_JSON))
    except (OSError, ValueError, RecursionError) as exc:
        ctx.warn(source, f"unreadable package.json: {exc}", path)
        return None
    if not isinstance(doc, dict):
        ctx.warn(source, "package.json is not an object", path)
        return None
    return doc


def package_dir_name(path: str) -> str | None:
    """The name a node_modules path installs `path`'s package under, or None if the
    package.json is not at a package root."""
    parts = path.split("/")
    if len(parts) < 3 or parts[-1] != "package.json":
        return None
    dirs = parts[1:-1]
    if "node_modules" not in dirs:
        return None
    rest = dirs[dirs.index("node_modules") + 1 :]
    while rest:
        if rest[0] == ".pnpm" and len(rest) >= 3 and rest[2] == "node_modules":
            rest = rest[3:]
            continue
        if rest[0].startswith("@") and len(rest) >= 2 and not rest[1].startswith("."):
            name, rest = f"{rest[0]}/{rest[1]}", rest[2:]
        elif rest[0].startswith((".", "@")):
            return None
        else:
            name, rest = rest[0], rest[1:]
        if not rest:
            return name
        if rest[0] != "node_modules":
            return None
        rest = rest[1:]
    return None


@catalogers.register("npm-installed")
class NpmInstalledCataloger:
    """Packages installed under node_modules, one per package directory."""

    name: ClassVar[str] = "npm-installed"
    patterns: ClassVar[tuple[str, ...]] = (
        "**/node_modules/*/package.json",
        "**/node_modules/@*/*/package.json",
    )
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterator[Package]:
        for path in paths:
            dir_name = package_dir_name(path)
            if dir_name is None:
                continue
            pkg = self._one(ctx, path, dir_name)
            if pkg is not None:
                yield pkg

    def _one(self, ctx: CatalogContext, path: str, dir_name: str) -> Package | None:
        source = f"sbom.{self.name}"
        doc = read_package_json(ctx, path, source)
        if doc is None:
            return None
        if doc.get("private") is True:
            return None  # a workspace root or local project: not a published package
        name, version = doc.get("name"), doc.get("version")
        if not valid_name(name) or not isinstance(version, str) or not version.strip():
            ctx.warn(source, "package root without a valid name and version", path)
            return None
        version = version.strip()
        metadata = {"alias": dir_name} if dir_name != name else {}
        return Package(
            name=name,
            version=version,
            type=PackageType.NPM,
            purl=npm_purl(name, version),
            cataloger=self.name,
            locations=(Location(path=path),),
            licenses=licenses_of(doc),
            metadata=metadata,
        )
