"""Platforms ("linux/amd64", "linux/arm64/v8") and how an index entry matches one."""

from __future__ import annotations

from dataclasses import dataclass

from mamori.sources.image_types import ImageError

_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm",
    "armel": "arm",
    "i386": "386",
    "i686": "386",
}
# The variant an architecture has when an index entry leaves it out.
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7"}


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        return "/".join([self.os, self.architecture, *([self.variant] if self.variant else [])])


def _arch(name: str) -> str:
    name = name.lower()
    return _ARCH_ALIASES.get(name, name)


def parse_platform(text: str) -> Platform:
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ImageError(f"bad platform {text!r}: expected os/arch[/variant]")
    return Platform(
        parts[0].lower(), _arch(parts[1]), parts[2].lower() if len(parts) == 3 else None
    )


def matches(entry: tuple[str, str, str | None], want: Platform) -> bool:
    """Whether an index entry's (os, architecture, variant) serves `want`."""
    os_name, arch, variant = entry
    if os_name.lower() != want.os or _arch(arch) != want.architecture:
        return False
    if want.variant is None:
        return True
    have = (variant or _DEFAULT_VARIANT.get(want.architecture, "")).lower()
    return have == want.variant or (
        variant is None and want.variant == _DEFAULT_VARIANT.get(want.architecture)
    )
