"""Gemfile.lock: the gems Bundler resolved.

Sections start at column 0 (GEM, GIT, PATH, PLUGIN SOURCE, PLATFORMS, DEPENDENCIES, ...).
In the source sections, `specs:` lists each resolved gem at four spaces of indent as
"name (version[-platform])"; its own requirements follow at six spaces and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from mamori.model import Location, Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.ruby._package import gem_package
from mamori.sources.tree import TreeError

NAME = "ruby-gemfile-lock"
MAX_FILE = 16 * 1024 * 1024
SOURCE_SECTIONS = ("GEM", "GIT", "PATH", "PLUGIN SOURCE")
_SPEC = re.compile(r"^    ([^\s(][^\s]*) \(([^\s()]+)\)\s*$")
_REMOTE = re.compile(r"^  remote: (\S+)")


def parse_gemfile_lock(text: str) -> Iterator[tuple[str, str, str, str, str]]:
    """(name, version, platform, section, remote) for each locked gem."""
    section = ""
    remote = ""
    for line in text.splitlines():
        if line and not line[0].isspace():
            section, remote = line.strip(), ""
            continue
        if section not in SOURCE_SECTIONS:
            continue
        if m := _REMOTE.match(line):
            remote = m.group(1)
        elif m := _SPEC.match(line):
            # A RubyGems version never contains "-": what follows one is the platform.
            version, _, platform = m.group(2).partition("-")
            yield m.group(1), version, platform, section, remote


@catalogers.register(NAME)
class GemfileLockCataloger:
    """Bundler lockfiles."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = ("**/Gemfile.lock", "**/gems.locked")
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        for path in paths:
            try:
                text = ctx.tree.read_text(path, MAX_FILE)
            except (TreeError, OSError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable Gemfile.lock: {exc}", path)
                continue
            location = Location(path=path)
            for name, version, platform, section, remote in parse_gemfile_lock(text):
                pkg = gem_package(
                    name,
                    version,
                    cataloger=NAME,
                    location=location,
                    platform=platform,
                    metadata={"source": section.lower(), "remote": remote},
                )
                if pkg is not None:
                    yield pkg
