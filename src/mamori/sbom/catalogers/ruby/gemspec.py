"""Installed gem specifications: <gem dir>/specifications/[default/]<name>-<version>.gemspec.

A gemspec is Ruby code. It is read with regular expressions, never evaluated: running
code from a scanned filesystem is exactly what a scanner must not do, and the specs that
RubyGems writes at install time are generated in one literal form
(`s.name = "rake".freeze`, `s.version = "13.0.6"`, `s.licenses = ["MIT".freeze]`) plus a
`# stub: <name> <version> <platform> <paths>` header line, which the regexes cover. Older
RubyGems wrote `%q{...}` strings and `Gem::Version.new(...)`; those are accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from mamori.model import Location, Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.ruby._package import gem_package
from mamori.sources.tree import TreeError

NAME = "ruby-gemspec"
MAX_FILE = 4 * 1024 * 1024
_STRING = r"""(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|%q\{([^}\n]*)\}|%q\(([^)\n]*)\))"""
_ASSIGN = r"^[ \t]*[A-Za-z_]\w*\.{field}[ \t]*=[ \t]*"
_NAME = re.compile(_ASSIGN.format(field="name") + _STRING, re.M)
_VERSION = re.compile(
    _ASSIGN.format(field="version") + r"(?:Gem::Version\.new\(\s*)?" + _STRING, re.M
)
_PLATFORM = re.compile(_ASSIGN.format(field="platform") + _STRING, re.M)
_LICENSES = re.compile(_ASSIGN.format(field="licenses?") + r"(\[[^\]\n]*\]|" + _STRING + ")", re.M)
_ANY_STRING = re.compile(_STRING)
_STUB = re.compile(r"^# stub: (\S+) (\S+) (\S+)", re.M)


@dataclass(frozen=True, slots=True)
class GemSpec:
    name: str
    version: str
    platform: str = ""
    licenses: tuple[str, ...] = ()


def _first(match: re.Match[str] | None, skip: int = 0) -> str | None:
    if match is None:
        return None
    groups = match.groups()[skip:]
    return next((g for g in groups if g is not None), None)


def parse_gemspec(text: str) -> GemSpec | None:
    """Name, version, platform and licenses of a gemspec; None if it names no gem."""
    stub = _STUB.search(text[:4096])
    name = _first(_NAME.search(text)) or (stub.group(1) if stub else None)
    version = _first(_VERSION.search(text)) or (stub.group(2) if stub else None)
    if not name or not version:
        return None
    platform = _first(_PLATFORM.search(text)) or (stub.group(3) if stub else "")
    licenses: tuple[str, ...] = ()
    lic = _LICENSES.search(text)
    if lic is not None:
        licenses = tuple(
            s for m in _ANY_STRING.finditer(lic.group(1)) if (s := _first(m)) is not None and s
        )
    return GemSpec(name, version, platform, licenses)


@catalogers.register(NAME)
class GemspecCataloger:
    """Gems installed by RubyGems (including default gems shipped with Ruby)."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = (
        "**/specifications/*.gemspec",
        "**/specifications/default/*.gemspec",
    )
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        for path in paths:
            try:
                spec = parse_gemspec(ctx.tree.read_text(path, MAX_FILE))
            except (TreeError, OSError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable gemspec: {exc}", path)
                continue
            if spec is None:
                ctx.warn(f"sbom.{NAME}", "no literal gem name and version", path)
                continue
            meta = {"default_gem": "true" if "/specifications/default/" in path else ""}
            pkg = gem_package(
                spec.name,
                spec.version,
                cataloger=NAME,
                location=Location(path=path),
                platform=spec.platform,
                licenses=spec.licenses,
                metadata=meta,
            )
            if pkg is not None:
                yield pkg
