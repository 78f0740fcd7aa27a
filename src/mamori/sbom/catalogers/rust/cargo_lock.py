"""Cargo.lock, every format version.

    v1 (cargo < 1.41): no `version` key; checksums in a `[metadata]` table keyed
        "checksum <name> <version> (<source>)"
    v2 (1.41-1.52): no `version` key; `checksum` inside each [[package]]
    v3 (1.53-1.77): `version = 3`; v4 (1.78+): `version = 4` (different escaping of
        source URLs, same shape)

Every [[package]] is reported, as syft does, including workspace members and path
dependencies (no `source`): they are marked `local` in the metadata.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

from mamori.model import Location, Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.rust._package import crate_package
from mamori.sources.tree import TreeError

NAME = "rust-cargo-lock"
MAX_FILE = 32 * 1024 * 1024


class CargoLockError(ValueError):
    """Not a readable Cargo.lock."""


def _lockfile_version(doc: dict[str, Any]) -> int:
    version = doc.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    metadata = doc.get("metadata")
    if isinstance(metadata, dict) and any(str(k).startswith("checksum ") for k in metadata):
        return 1
    return 2


def parse_cargo_lock(text: str) -> tuple[int, list[dict[str, str]]]:
    """(lockfile version, packages as {name, version, source, checksum} string dicts)."""
    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise CargoLockError(f"invalid TOML: {exc}") from exc
    entries = doc.get("package", [])
    if not isinstance(entries, list):
        raise CargoLockError("'package' is not an array of tables")
    version = _lockfile_version(doc)
    legacy = doc.get("metadata") if version == 1 else None
    out: list[dict[str, str]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        fields = {k: entry.get(k) for k in ("name", "version", "source", "checksum")}
        if not all(isinstance(v, str) or v is None for v in fields.values()):
            continue
        record = {k: v for k, v in fields.items() if isinstance(v, str)}
        if isinstance(legacy, dict) and "checksum" not in record and "source" in record:
            key = f"checksum {record.get('name')} {record.get('version')} ({record['source']})"
            checksum = legacy.get(key)
            if isinstance(checksum, str):
                record["checksum"] = checksum
        out.append(record)
    return version, out


def packages_for(text: str, location: Location) -> Iterator[Package]:
    lock_version, records = parse_cargo_lock(text)
    for rec in records:
        source = rec.get("source", "")
        meta = {
            "source": source,
            "checksum": rec.get("checksum", ""),
            "local": "" if source else "true",
            "lockfile_version": str(lock_version),
        }
        pkg = crate_package(
            rec.get("name"), rec.get("version"), cataloger=NAME, location=location, metadata=meta
        )
        if pkg is not None:
            yield pkg


@catalogers.register(NAME)
class CargoLockCataloger:
    """Cargo.lock files of Rust projects and installed sources."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = ("**/Cargo.lock",)
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        for path in paths:
            try:
                text = ctx.tree.read_text(path, MAX_FILE)
                found = list(packages_for(text, Location(path=path)))
            except (TreeError, OSError, CargoLockError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable Cargo.lock: {exc}", path)
                continue
            yield from found
