"""Declared Python dependencies: requirements files and lockfiles (not installed).

Every package carries ``metadata["declared"] = "true"`` and the lockfile as its location,
so it is never confused with an installed distribution of the same name.
Files inside an installed site directory are skipped: a requirements file shipped inside
someone else's package describes that package's development, not this target.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar

from mamori.model import Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.python._common import (
    READ_LIMIT,
    Declared,
    LockfileError,
    canonical_name,
    declared_package,
)
from mamori.sbom.catalogers.python.pdm import parse_pdm_lock
from mamori.sbom.catalogers.python.pipfile import parse_pipfile_lock
from mamori.sbom.catalogers.python.poetry import parse_poetry_lock
from mamori.sbom.catalogers.python.pylock import parse_pylock
from mamori.sbom.catalogers.python.requirements import parse_requirements
from mamori.sbom.catalogers.python.uv import parse_uv_lock

Parser = Callable[[str, list[str]], list[Declared]]
LOCKFILES: dict[str, tuple[str, Parser]] = {
    "poetry.lock": ("poetry", parse_poetry_lock),
    "Pipfile.lock": ("pipenv", parse_pipfile_lock),
    "uv.lock": ("uv", parse_uv_lock),
    "pdm.lock": ("pdm", parse_pdm_lock),
    "pylock.toml": ("pylock", parse_pylock),
}
_SITE_DIRS = ("site-packages", "dist-packages")
MAX_INCLUDE_DEPTH = 10


def _installed_area(path: str) -> bool:
    return any(part in _SITE_DIRS for part in path.split("/"))


def _parser_for(path: str) -> tuple[str, Parser] | None:
    base = posixpath.basename(path)
    if base in LOCKFILES:
        return LOCKFILES[base]
    if base.startswith("pylock.") and base.endswith(".toml"):
        return LOCKFILES["pylock.toml"]
    return None


@catalogers.register("python-declared")
class PythonDeclaredCataloger:
    """Pinned requirements and locked packages, reported where they are declared."""

    name: ClassVar[str] = "python-declared"
    patterns: ClassVar[tuple[str, ...]] = (
        "**/*requirements*.txt",
        "**/poetry.lock",
        "**/Pipfile.lock",
        "**/uv.lock",
        "**/pdm.lock",
        "**/pylock.toml",
        "**/pylock.*.toml",
    )
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterator[Package]:
        own = [p for p in paths if not _installed_area(p)]
        scheduled = set(own)
        visited: set[str] = set()
        for path in own:
            parser = _parser_for(path)
            if parser is not None:
                yield from self._lockfile(ctx, path, *parser)
            else:
                yield from self._requirements(ctx, path, scheduled, visited, 0)

    def _read(self, ctx: CatalogContext, path: str) -> str | None:
        try:
            return ctx.tree.read_text(path, READ_LIMIT)
        except OSError as exc:
            ctx.warn(f"sbom.{self.name}", f"unreadable: {exc}", path)
            return None

    def _packages(
        self, ctx: CatalogContext, path: str, fmt: str, entries: list[Declared]
    ) -> Iterator[Package]:
        seen: set[tuple[str, str]] = set()
        for entry in entries:
            key = (canonical_name(entry.name), entry.version)
            if key not in seen:
                seen.add(key)
                yield declared_package(entry, path, self.name, fmt)

    def _lockfile(
        self, ctx: CatalogContext, path: str, fmt: str, parse: Parser
    ) -> Iterator[Package]:
        text = self._read(ctx, path)
        if text is None:
            return
        problems: list[str] = []
        try:
            entries = parse(text, problems)
        except LockfileError as exc:
            ctx.warn(f"sbom.{self.name}", f"skipped {fmt} lockfile: {exc}", path)
            return
        for problem in problems:
            ctx.warn(f"sbom.{self.name}", problem, path)
        yield from self._packages(ctx, path, fmt, entries)

    def _requirements(
        self,
        ctx: CatalogContext,
        path: str,
        scheduled: set[str],
        visited: set[str],
        depth: int,
    ) -> Iterator[Package]:
        if path in visited:
            return
        visited.add(path)
        text = self._read(ctx, path)
        if text is None:
            return
        parsed = parse_requirements(text, path)
        for problem in parsed.problems:
            ctx.warn(f"sbom.{self.name}", problem, path)
        yield from self._packages(ctx, path, "requirements", parsed.entries)
        for include in parsed.includes:
            # An include that the walk also found is read on its own turn.
            if include in scheduled or include in visited:
                continue
            if depth >= MAX_INCLUDE_DEPTH:
                ctx.warn(f"sbom.{self.name}", f"-r nesting deeper than {MAX_INCLUDE_DEPTH}", path)
                continue
            if not ctx.tree.is_file(include):
                ctx.warn(f"sbom.{self.name}", f"included file not in the tree: {include}", path)
                continue
            yield from self._requirements(ctx, include, scheduled, visited, depth + 1)
