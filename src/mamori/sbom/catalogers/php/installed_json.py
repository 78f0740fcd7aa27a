"""vendor/composer/installed.json: what Composer installed into vendor/.

Composer 1 writes a bare list of packages; Composer 2 writes
{"packages": [...], "dev": true, "dev-package-names": [...]}, which marks the
require-dev packages by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from mamori.model import Location, Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.php._composer import (
    MAX_FILE,
    ComposerError,
    load_json,
    packages_from,
)
from mamori.sources.tree import TreeError

NAME = "php-installed-json"


def parse_installed_json(data: bytes, location: Location) -> Iterator[Package]:
    doc = load_json(data)
    if isinstance(doc, list):  # Composer 1
        yield from packages_from(doc, cataloger=NAME, location=location, dev=False)
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("packages"), list):
        raise ComposerError("neither a package list nor an object with 'packages'")
    raw_dev = doc.get("dev-package-names")
    dev = {n for n in raw_dev if isinstance(n, str)} if isinstance(raw_dev, list) else set()
    yield from packages_from(doc["packages"], cataloger=NAME, location=location, dev=dev)


@catalogers.register(NAME)
class InstalledJsonCataloger:
    """Composer's record of installed packages."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = ("**/composer/installed.json",)
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        for path in paths:
            try:
                data = ctx.tree.read_bytes(path, MAX_FILE)
                found = list(parse_installed_json(data, Location(path=path)))
            except (ComposerError, TreeError, OSError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable installed.json: {exc}", path)
                continue
            yield from found
