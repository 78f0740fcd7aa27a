"""Composer package entries, shared by composer.lock and installed.json.

Both files hold package objects of the same shape (composer's own schema):
{"name": "vendor/project", "version": "v5.4.0", "version_normalized": "5.4.0.0",
 "source": {"type": "git", "url": ..., "reference": ...}, "dist": {...},
 "license": ["MIT"], "type": "library", ...}.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mamori.model import Location, Package, PackageType
from mamori.sbom.catalogers._purl import make_purl

MAX_FILE = 64 * 1024 * 1024
MAX_FIELD = 300


class ComposerError(ValueError):
    """Not a readable Composer file."""


def load_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ComposerError(f"invalid JSON: {exc}") from exc


def _str(value: Any) -> str:
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def composer_package(
    entry: Any, *, cataloger: str, location: Location, dev: bool
) -> Package | None:
    """A package from one entry, or None when it has no "vendor/name" and version."""
    if not isinstance(entry, dict):
        return None
    name, version = _str(entry.get("name")), _str(entry.get("version"))
    vendor, _, project = name.partition("/")
    if not vendor or not project or not version:
        return None
    try:
        purl = make_purl("composer", project, version, namespace=vendor)
    except ValueError:
        return None
    raw_licenses = entry.get("license")
    if isinstance(raw_licenses, str):
        raw_licenses = [raw_licenses]
    licenses = (
        tuple(_str(x) for x in raw_licenses[:20] if _str(x))
        if isinstance(raw_licenses, list)
        else ()
    )
    source = _dict(entry.get("source"))
    dist = _dict(entry.get("dist"))
    meta = {
        "dev": "true" if dev else "",
        "package_type": _str(entry.get("type")),
        "source_url": _str(source.get("url")),
        "source_reference": _str(source.get("reference")),
        "dist_url": _str(dist.get("url")),
        "dist_shasum": _str(dist.get("shasum")),
    }
    return Package(
        name=name,
        version=version,
        type=PackageType.COMPOSER,
        purl=purl,
        cataloger=cataloger,
        locations=(location,),
        licenses=licenses,
        metadata={k: v for k, v in meta.items() if v},
    )


def packages_from(
    entries: Any, *, cataloger: str, location: Location, dev: bool | set[str]
) -> Iterator[Package]:
    """Packages of a list of entries; `dev` is a flag or the set of dev package names."""
    if not isinstance(entries, list):
        return
    for entry in entries:
        is_dev = (
            dev if isinstance(dev, bool) else (isinstance(entry, dict) and entry.get("name") in dev)
        )
        pkg = composer_package(entry, cataloger=cataloger, location=location, dev=is_dev)
        if pkg is not None:
            yield pkg
