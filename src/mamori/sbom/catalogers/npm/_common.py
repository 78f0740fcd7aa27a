"""Shared by the npm catalogers: names, versions, licences, purls, declared entries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeGuard

from mamori.model import Location, Package, PackageType
from mamori.sbom.catalogers._purl import make_purl

# npm's rules (validate-npm-package-name), relaxed to allow the upper case of old names.
_NAME = re.compile(r"(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~_-][A-Za-z0-9._~-]*")
MAX_NAME = 214
# Registry versions are semver; lockfiles also hold git URLs and file: paths (skipped).
_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
READ_LIMIT = 128 * 1024 * 1024


class LockfileError(ValueError):
    """A file that cannot be read at all (the cataloger warns and skips it)."""


@dataclass(frozen=True, slots=True)
class Declared:
    """One locked package read from a lockfile, before it becomes a Package."""

    name: str
    version: str
    metadata: dict[str, str] = field(default_factory=dict)
    licenses: tuple[str, ...] = ()


def valid_name(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and len(name) <= MAX_NAME and _NAME.fullmatch(name) is not None


def is_semver(version: object) -> TypeGuard[str]:
    return (
        isinstance(version, str) and len(version) <= 256 and _SEMVER.fullmatch(version) is not None
    )


def split_spec(spec: str) -> tuple[str, str]:
    """``name@range`` (name possibly ``@scope/name``) into (name, range); range may be ""."""
    at = spec.find("@", 1)
    return (spec, "") if at < 0 else (spec[:at], spec[at + 1 :])


def npm_purl(name: str, version: str) -> str:
    """``@scope/name`` puts the scope in the purl namespace: ``pkg:npm/%40scope/name@1.0.0``."""
    namespace, _, base = name.rpartition("/")
    return make_purl("npm", base, version, namespace=namespace or None)


def _license_value(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        kind = value.get("type")
        return (kind.strip() or None) if isinstance(kind, str) else None
    return None


def licenses_of(doc: dict[str, object]) -> tuple[str, ...]:
    """``license`` as a string or ``{"type": ...}``, or the deprecated ``licenses`` array."""
    found: list[str] = []
    single = _license_value(doc.get("license"))
    if single:
        found.append(single)
    many = doc.get("licenses")
    if isinstance(many, list):
        for item in many:
            value = _license_value(item)
            if value and value not in found:
                found.append(value)
    elif many is not None:
        value = _license_value(many)
        if value and value not in found:
            found.append(value)
    return tuple(found)


def declared_package(entry: Declared, path: str, cataloger: str, fmt: str) -> Package:
    return Package(
        name=entry.name,
        version=entry.version,
        type=PackageType.NPM,
        purl=npm_purl(entry.name, entry.version),
        cataloger=cataloger,
        locations=(Location(path=path),),
        licenses=entry.licenses,
        metadata={"declared": "true", "format": fmt, **entry.metadata},
    )
