"""go.mod (require, replace, exclude) with the h1 digests of a sibling go.sum.

Reports the required modules, as syft does: direct and `// indirect` requirements, after
`exclude` and `replace` directives (a replacement by a module version reports that
module; a replacement by a local directory keeps the path with no version). The module's
own path is not a dependency and is not reported.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from mamori.model import Location, Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.golang._package import go_package
from mamori.sbom.catalogers.golang.modinfo import go_unquote
from mamori.sources.tree import TreeError

NAME = "go-mod"
MAX_FILE = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Requirement:
    path: str
    version: str
    indirect: bool = False


@dataclass
class GoMod:
    module: str = ""
    go: str = ""
    toolchain: str = ""
    require: list[Requirement] = field(default_factory=list)
    # (old path, old version or "") -> (new path, new version or "" for a directory)
    replace: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    exclude: set[tuple[str, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _tokens(line: str) -> tuple[list[str], str]:
    """Split a go.mod line into tokens (quoted strings unquoted) and its comment."""
    tokens: list[str] = []
    rest = line.strip()
    while rest:
        if rest.startswith("//"):
            return tokens, rest[2:].strip()
        if rest.startswith('"'):
            token, rest = go_unquote(rest)
        elif rest.startswith("`"):
            end = rest.find("`", 1)
            if end < 0:
                raise ValueError("unterminated raw string")
            token, rest = rest[1:end], rest[end + 1 :]
        else:
            cut = len(rest)
            for sep in (" ", "\t", "//"):
                at = rest.find(sep)
                if 0 <= at < cut:
                    cut = at
            token, rest = rest[:cut], rest[cut:]
        tokens.append(token)
        rest = rest.lstrip()
    return tokens, ""


def _apply(mod: GoMod, verb: str, args: list[str], comment: str) -> None:
    if verb == "module" and args:
        mod.module = args[0]
    elif verb == "go" and args:
        mod.go = args[0]
    elif verb == "toolchain" and args:
        mod.toolchain = args[0]
    elif verb == "require" and len(args) == 2:
        indirect = comment == "indirect" or comment.startswith("indirect;")
        mod.require.append(Requirement(args[0], args[1], indirect))
    elif verb == "exclude" and len(args) == 2:
        mod.exclude.add((args[0], args[1]))
    elif verb == "replace" and "=>" in args:
        at = args.index("=>")
        old, new = args[:at], args[at + 1 :]
        if len(old) in (1, 2) and len(new) in (1, 2):
            key = (old[0], old[1] if len(old) == 2 else "")
            mod.replace[key] = (new[0], new[1] if len(new) == 2 else "")
        else:
            raise ValueError("malformed replace")
    elif verb in ("require", "exclude"):
        raise ValueError(f"malformed {verb}")


def parse_gomod(text: str) -> GoMod:
    """Parse go.mod; malformed lines are skipped and listed in `problems`."""
    mod = GoMod()
    block: str | None = None
    for n, line in enumerate(text.splitlines(), 1):
        try:
            tokens, comment = _tokens(line)
        except ValueError as exc:
            mod.problems.append(f"line {n}: {exc}")
            continue
        if not tokens:
            continue
        try:
            if block is not None:
                if tokens == [")"]:
                    block = None
                else:
                    _apply(mod, block, tokens, comment)
            elif len(tokens) == 2 and tokens[1] == "(":
                block = tokens[0]
            elif len(tokens) == 2 and tokens[1] == "()":
                continue
            else:
                _apply(mod, tokens[0], tokens[1:], comment)
        except ValueError as exc:
            mod.problems.append(f"line {n}: {exc}")
    return mod


def parse_gosum(text: str) -> dict[tuple[str, str], str]:
    """(module path, version) -> "h1:..." digest of the module's content."""
    sums: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and not parts[1].endswith("/go.mod"):
            sums[(parts[0], parts[1])] = parts[2]
    return sums


def resolve(mod: GoMod) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(path, version, metadata) of each requirement after exclude and replace."""
    seen: set[tuple[str, str]] = set()
    for req in mod.require:
        if (req.path, req.version) in mod.exclude:
            continue
        path, version = req.path, req.version
        meta = {"indirect": "true" if req.indirect else "", "main_module": mod.module}
        new = mod.replace.get((req.path, req.version)) or mod.replace.get((req.path, ""))
        if new is not None:
            meta["replaces"] = f"{req.path}@{req.version}"
            if new[1]:
                path, version = new
            else:
                meta["replaced_by_path"] = new[0]
                version = ""
        if (path, version) not in seen:
            seen.add((path, version))
            yield path, version, meta


@catalogers.register(NAME)
class GoModCataloger:
    """go.mod manifests, with go.sum digests when present beside them."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = ("**/go.mod",)
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        for path in paths:
            try:
                mod = parse_gomod(ctx.tree.read_text(path, MAX_FILE))
            except (TreeError, OSError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable go.mod: {exc}", path)
                continue
            for problem in mod.problems[:5]:
                ctx.warn(f"sbom.{NAME}", problem, path)
            sums = self._sums(ctx, posixpath.join(posixpath.dirname(path), "go.sum"))
            location = Location(path=path)
            for mod_path, version, meta in resolve(mod):
                meta["h1_digest"] = sums.get((mod_path, version), "")
                pkg = go_package(
                    mod_path, version, cataloger=NAME, location=location, metadata=meta
                )
                if pkg is not None:
                    yield pkg

    @staticmethod
    def _sums(ctx: CatalogContext, path: str) -> dict[tuple[str, str], str]:
        if not ctx.tree.is_file(path):
            return {}
        try:
            return parse_gosum(ctx.tree.read_text(path, MAX_FILE))
        except (TreeError, OSError) as exc:
            ctx.warn(f"sbom.{NAME}", f"unreadable go.sum: {exc}", path)
            return {}
