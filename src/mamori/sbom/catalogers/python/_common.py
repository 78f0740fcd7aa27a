"""Shared by the Python catalogers: name normalisation, purls, declared entries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeGuard

from mamori.model import Location, Package, PackageType
from mamori.sbom.catalogers._purl import make_purl

_SEPARATORS = re.compile(r"[-_.]+")
# PEP 508 names: letters/digits, inner runs of "-_." allowed.
NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
# Metadata and lockfile readers stop at this many bytes: no real lockfile comes close.
READ_LIMIT = 64 * 1024 * 1024


class LockfileError(ValueError):
    """A manifest or lockfile that cannot be read at all (the cataloger warns and skips)."""


def canonical_name(name: str) -> str:
    """PEP 503 normalised project name: the form indexes and advisories are keyed by."""
    return _SEPARATORS.sub("-", name).lower()


def pypi_purl(name: str, version: str) -> str:
    return make_purl("pypi", canonical_name(name), version)


@dataclass(frozen=True, slots=True)
class Declared:
    """One pinned project read from a manifest or lockfile, before it becomes a Package."""

    name: str
    version: str
    metadata: dict[str, str] = field(default_factory=dict)


def valid_name(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and NAME_RE.fullmatch(name) is not None


def valid_version(version: object) -> TypeGuard[str]:
    """A non-empty single-token version (PEP 440 is not enforced: lockfiles hold what they hold)."""
    return (
        isinstance(version, str)
        and 0 < len(version) <= 128
        and not any(c.isspace() for c in version)
    )


def declared_package(entry: Declared, path: str, cataloger: str, fmt: str) -> Package:
    return Package(
        name=entry.name,
        version=entry.version,
        type=PackageType.PYPI,
        purl=pypi_purl(entry.name, entry.version),
        cataloger=cataloger,
        locations=(Location(path=path),),
        metadata={"declared": "true", "format": fmt, **entry.metadata},
    )
