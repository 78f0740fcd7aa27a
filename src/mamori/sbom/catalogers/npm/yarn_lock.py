"""yarn.lock, both generations.

yarn 1 writes its own format (neither JSON nor YAML): top-level entries
``spec1, "spec2":`` whose indented ``key value`` lines give ``version``, ``resolved``,
``integrity`` and nested ``dependencies:`` blocks. No maintained Python library reads it
(the only parsers live in yarn itself and JavaScript ports), so this module reads the one
thing a scanner needs, each entry's header and its ``version`` line, by hand.

yarn 2+ ("berry") writes YAML with a ``__metadata`` entry; each entry's ``resolution``
(``name@npm:1.2.3``) names the real package. Workspace, link and portal entries are the
project's own code and are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from mamori.sbom.catalogers.npm._common import (
    Declared,
    LockfileError,
    is_semver,
    split_spec,
    valid_name,
)
from mamori.sbom.catalogers.npm._yaml import load_mapping

_BERRY = re.compile(r"^__metadata:", re.MULTILINE)
# One header spec: a JSON-quoted string or a bare run up to the next comma.
_SPEC = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[^,"]+?)\s*(?:,|$)')
_LOCAL_PROTOCOLS = ("workspace", "link", "portal")


def _unquote(token: str) -> str:
    if token.startswith('"'):
        try:
            value = json.loads(token)
        except ValueError:
            return token.strip('"')
        return value if isinstance(value, str) else token
    return token


def _package_name(spec: str) -> str:
    """The real package a spec installs: ``alias@npm:real@^1`` installs ``real``."""
    name, rng = split_spec(spec)
    if rng.startswith("npm:"):
        real = split_spec(rng[4:])[0]
        return real if valid_name(real) else name
    return name


def _header_name(header: str) -> str | None:
    specs = [_unquote(m.group(1)) for m in _SPEC.finditer(header) if m.group(1).strip()]
    return _package_name(specs[0]) if specs else None


def _version_line(line: str) -> str | None:
    """The value of a ``version "1.2.3"`` (or ``"version" 1.2.3``) line, else None."""
    key, _, value = line.partition(" ")
    if _unquote(key) != "version":
        return None
    return _unquote(value.strip())


def _parse_v1(text: str, problems: list[str]) -> Iterator[Declared]:
    header: tuple[int, str | None] | None = None
    version: str | None = None

    def finish() -> Iterator[Declared]:
        if header is None:
            return
        number, name = header
        if name is None or not valid_name(name):
            problems.append(f"line {number}: entry without a valid package name")
        elif version is None:
            problems.append(f"line {number}: {name}: entry without a version")
        elif is_semver(version):
            yield Declared(name, version)

    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:
            yield from finish()
            if not stripped.endswith(":"):
                problems.append(f"line {number}: expected an entry header")
                header = None
                continue
            header, version = (number, _header_name(stripped[:-1])), None
        elif indent == 2 and header is not None and version is None:
            version = _version_line(stripped)
    yield from finish()


def _parse_berry(text: str, problems: list[str]) -> Iterator[Declared]:
    doc: dict[Any, Any] = load_mapping(text)
    for key, entry in doc.items():
        if key == "__metadata":
            continue
        if not isinstance(entry, dict):
            problems.append(f"entry {str(key)[:80]!r} is not a mapping")
            continue
        resolution = entry.get("resolution")
        version = entry.get("version")
        if not isinstance(resolution, str):
            problems.append(f"entry {str(key)[:80]!r} has no resolution")
            continue
        name, reference = split_spec(resolution)
        protocol = reference.partition(":")[0]
        if protocol in _LOCAL_PROTOCOLS:
            continue
        if not valid_name(name):
            problems.append(f"entry {str(key)[:80]!r}: invalid name")
            continue
        if is_semver(version):
            yield Declared(name, version, {"protocol": protocol} if protocol != "npm" else {})


def parse_yarn_lock(text: str, problems: list[str]) -> list[Declared]:
    """Packages in a yarn.lock of either generation."""
    if _BERRY.search(text):
        return list(_parse_berry(text, problems))
    if text.lstrip().startswith("{"):
        raise LockfileError("a JSON document, not a yarn lockfile")
    return list(_parse_v1(text, problems))
