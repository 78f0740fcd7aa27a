"""composer.lock: "packages" (runtime) and "packages-dev" (require-dev)."""

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

NAME = "php-composer-lock"


def parse_composer_lock(data: bytes, location: Location) -> Iterator[Package]:
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise ComposerError("top level is not an object")
    yield from packages_from(doc.get("packages"), cataloger=NAME, location=location, dev=False)
    yield from packages_from(doc.get("packages-dev"), cataloger=NAME, location=location, dev=True)


@catalogers.register(NAME)
class ComposerLockCataloger:
    """Composer lockfiles."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = ("**/composer.lock",)
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        for path in paths:
            try:
                data = ctx.tree.read_bytes(path, MAX_FILE)
                found = list(parse_composer_lock(data, Location(path=path)))
            except (ComposerError, TreeError, OSError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable composer.lock: {exc}", path)
                continue
            yield from found
