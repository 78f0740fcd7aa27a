"""Go binaries: the module build info the Go linker embeds (Go >= 1.13, ELF).

Reports every dependency module (its replacement when one is recorded), the main module,
and the standard library at the toolchain version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import ClassVar

from mamori.model import Location, Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers._elf import ElfError, open_elf
from mamori.sbom.catalogers.golang._package import DEVEL, go_package, stdlib_package
from mamori.sbom.catalogers.golang.buildinfo import BuildInfoError, read_raw_buildinfo
from mamori.sbom.catalogers.golang.linker import linker_version
from mamori.sbom.catalogers.golang.modinfo import GoBuildInfo, GoModule, parse_modinfo
from mamori.sources.tree import TreeError

NAME = "go-binary"
# -X <import path>.<variable>=<semver>, for the variable names release tooling uses (not
# e.g. goVersion, which names the toolchain).
_LDFLAGS_VERSION = re.compile(
    r"""-X[ =]["']?[^\s='"]*\."""
    r"""(?:version|Version|VERSION|gitVersion|GitVersion|appVersion|AppVersion)=["']?v?"""
    r"""(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)(?=["'\s]|\Z)"""
)
_BUILD_KEYS = (
    "-buildmode",
    "-compiler",
    "-ldflags",
    "-tags",
    "-trimpath",
    "CGO_ENABLED",
    "GOARCH",
    "GOOS",
    "GOAMD64",
    "GOARM",
    "vcs",
    "vcs.revision",
    "vcs.time",
    "vcs.modified",
)


def read_buildinfo(ctx: CatalogContext, path: str) -> GoBuildInfo | None:
    """The parsed build info of the binary at `path`; None when it is not a Go binary.

    Raises ElfError/BuildInfoError/TreeError/OSError for unreadable or malformed files.
    """
    with open_elf(ctx.tree, path) as elf:
        if elf is None:
            return None
        raw = read_raw_buildinfo(elf)
    if raw is None:
        return None
    return parse_modinfo(raw.go_version, raw.modinfo)


def main_version(info: GoBuildInfo, linker: str | None = None) -> tuple[str, str]:
    """(version, where it came from) for the main module.

    `go build` records "(devel)" for the main module unless it was built with
    `go install mod@version`; like syft, fall back to a semantic version set through
    -ldflags "-X ...version=1.2.3", then to the -X value the linker put beside the Go
    version string (`linker`, see linker.py), then to a pseudo-version from the VCS stamp.
    """
    recorded = info.main.version if info.main else DEVEL
    if recorded and recorded != DEVEL:
        return recorded, "buildinfo"
    match = _LDFLAGS_VERSION.search(info.setting("-ldflags") or "")
    if match:
        return "v" + match.group(1), "ldflags"
    if linker:
        return linker, "linker-strings"
    revision, stamp = info.setting("vcs.revision"), info.setting("vcs.time")
    if revision and stamp:
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return DEVEL, "buildinfo"
        return f"v0.0.0-{when:%Y%m%d%H%M%S}-{revision[:12]}", "vcs"
    return DEVEL, "buildinfo"


def packages_for(
    info: GoBuildInfo, location: Location, cataloger: str = NAME, linker: str | None = None
) -> Iterator[Package]:
    """Dependencies, main module and stdlib of one binary."""
    base = {"go_version": info.go_version, "main_module": info.main.path if info.main else ""}
    for dep in info.deps:
        yield from _module(dep, location, cataloger, base)
    main_path = info.main.path if info.main else info.path
    if main_path:
        version, source = main_version(info, linker)
        settings = {f"build.{k}": v[:500] for k, v in info.settings if k in _BUILD_KEYS}
        meta = {
            **base,
            "main_module": main_path,
            "main": "true",
            "main_version_source": source,
            "main_package": info.path,
            **settings,
        }
        main = go_package(main_path, version, cataloger=cataloger, location=location, metadata=meta)
        if main is not None:
            yield main
    stdlib = stdlib_package(info.go_version, cataloger=cataloger, location=location)
    if stdlib is not None:
        yield stdlib


def _module(
    module: GoModule, location: Location, cataloger: str, base: dict[str, str]
) -> Iterator[Package]:
    meta = dict(base)
    path, version, digest = module.path, module.version, module.sum
    if module.replace is not None:
        meta["replaces"] = f"{module.path}@{module.version}"
        if not _is_local(module.replace):
            path, version, digest = module.replace.path, module.replace.version, module.replace.sum
        else:  # a local directory: the code is not the published module at any version
            meta["replaced_by_path"] = module.replace.path
            version, digest = "", ""
    meta["h1_digest"] = digest
    pkg = go_package(path, version, cataloger=cataloger, location=location, metadata=meta)
    if pkg is not None:
        yield pkg


def _is_local(module: GoModule) -> bool:
    """A replacement by a directory: go records it with version "(devel)" (or none)."""
    return (
        module.version in ("", DEVEL)
        or module.path.startswith(("./", "../", "/"))
        or module.path in (".", "..")
    )


@catalogers.register(NAME)
class GoBinaryCataloger:
    """Executables built by the Go toolchain."""

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
                info = read_buildinfo(ctx, real)
            except (ElfError, BuildInfoError, TreeError, OSError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable Go build info: {exc}", real)
                continue
            if info is None:
                continue
            for problem in info.problems[:5]:
                ctx.warn(f"sbom.{NAME}", f"module info: {problem}", real)
            linker = None
            if main_version(info)[0] == DEVEL and (info.main or info.path):
                try:
                    linker = linker_version(ctx.tree, real, info.go_version)
                except (TreeError, OSError) as exc:
                    ctx.warn(f"sbom.{NAME}", f"cannot read the binary: {exc}", real)
            yield from packages_for(info, Location(path=real), linker=linker)
