"""Rust binaries built with cargo-auditable: the `.dep-v0` ELF section.

The section holds zlib-compressed JSON (schema: rustsec.org/schemas/cargo-auditable.json):

    {"packages": [{"name": "serde", "version": "1.0.0", "source": "crates.io",
                   "kind": "runtime", "dependencies": [3, 7], "root": false}, ...]}

`kind` ("build" or "runtime") and `root` may be omitted (runtime, false). As syft does,
only runtime packages are reported: build dependencies are not linked into the binary.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

from mamori.model import Location, Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers._elf import ElfError, open_elf
from mamori.sbom.catalogers.rust._package import crate_package
from mamori.sources.tree import TreeError

NAME = "rust-audit-binary"
SECTION = ".dep-v0"
MAX_COMPRESSED = 8 * 1024 * 1024
# cargo-auditable's own reader refuses more than 8 MiB of JSON: the same bound here.
MAX_JSON = 8 * 1024 * 1024


class AuditDataError(ValueError):
    """The `.dep-v0` section exists but does not hold valid audit data."""


def decode_audit_data(compressed: bytes) -> list[dict[str, Any]]:
    """The package list from a `.dep-v0` section's bytes."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, MAX_JSON + 1)
    except zlib.error as exc:
        raise AuditDataError(f"bad zlib data: {exc}") from exc
    if len(raw) > MAX_JSON or inflater.unconsumed_tail:
        raise AuditDataError(f"audit data inflates past {MAX_JSON} bytes")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise AuditDataError(f"bad JSON: {exc}") from exc
    packages = doc.get("packages") if isinstance(doc, dict) else None
    if not isinstance(packages, list):
        raise AuditDataError("no 'packages' array")
    return [p for p in packages if isinstance(p, dict)]


def packages_for(entries: list[dict[str, Any]], location: Location) -> Iterator[Package]:
    for entry in entries:
        kind = entry.get("kind", "runtime")
        if kind != "runtime":
            continue
        source = entry.get("source")
        meta = {
            "source": source if isinstance(source, str) else "",
            "root": "true" if entry.get("root") is True else "",
        }
        pkg = crate_package(
            entry.get("name"),
            entry.get("version"),
            cataloger=NAME,
            location=location,
            metadata=meta,
        )
        if pkg is not None:
            yield pkg


def read_audit_section(ctx: CatalogContext, path: str) -> bytes | None:
    """The compressed `.dep-v0` section of an ELF file; None when absent or not ELF."""
    with open_elf(ctx.tree, path) as elf:
        if elf is None:
            return None
        section = elf.section(SECTION)
        if section is None:
            return None
        return elf.read_section(section, MAX_COMPRESSED)


@catalogers.register(NAME)
class RustAuditBinaryCataloger:
    """Executables carrying cargo-auditable dependency data."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = ()
    wants_executables: ClassVar[bool] = True

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        seen: set[str] = set()
        for path in paths:
            real = ctx.tree.resolve(path) or path
            if real in seen:
                continue
            seen.add(real)
            try:
                data = read_audit_section(ctx, real)
                if data is None:
                    continue
                entries = decode_audit_data(data)
            except (ElfError, AuditDataError, TreeError, OSError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable audit data: {exc}", real)
                continue
            yield from packages_for(entries, Location(path=real))
