"""package-lock.json and npm-shrinkwrap.json, lockfile versions 1, 2 and 3.

- v2/v3 ``packages``: keys are install paths (``node_modules/a/node_modules/@s/b``); the
  name is the last ``node_modules/`` segment unless the entry names another package (an
  alias ``"x": "npm:y@1"``). The root ``""``, workspace folders (keys outside
  node_modules) and ``link`` entries are the project's own code, not dependencies.
- v1 ``dependencies``: a nested tree of name to entry; aliases have ``version``
  ``npm:real@1.2.3``; git and file dependencies have a URL as version and are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mamori.sbom.catalogers.npm._common import (
    Declared,
    LockfileError,
    is_semver,
    licenses_of,
    split_spec,
    valid_name,
)

_FLAGS = ("dev", "optional", "devOptional", "peer")
MAX_DEPTH = 1000


def _flags(entry: dict[str, Any]) -> dict[str, str]:
    return {flag: "true" for flag in _FLAGS if entry.get(flag) is True}


def _from_packages(packages: dict[str, Any], problems: list[str]) -> Iterator[Declared]:
    for key, entry in packages.items():
        if key == "" or not isinstance(entry, dict) or entry.get("link") is True:
            continue
        marker = key.rfind("node_modules/")
        if marker < 0:
            continue  # a workspace member's own folder
        name = entry.get("name") or key[marker + len("node_modules/") :]
        version = entry.get("version")
        if not valid_name(name):
            problems.append(f"packages[{key[:80]!r}]: invalid name")
            continue
        if not is_semver(version):
            if version is not None and not isinstance(version, str):
                problems.append(f"packages[{key[:80]!r}]: invalid version")
            continue
        yield Declared(name, version, _flags(entry), licenses_of(entry))


def _from_dependencies(deps: dict[str, Any], problems: list[str]) -> Iterator[Declared]:
    """Walk v1's nested tree iteratively: a hostile file cannot exhaust the stack."""
    stack: list[tuple[dict[str, Any], int]] = [(deps, 0)]
    while stack:
        level, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(f"dependencies nested deeper than {MAX_DEPTH}")
            continue
        for key, entry in level.items():
            if not isinstance(entry, dict):
                problems.append(f"dependencies[{str(key)[:80]!r}] is not an object")
                continue
            nested = entry.get("dependencies")
            if isinstance(nested, dict):
                stack.append((nested, depth + 1))
            name, version = key, entry.get("version")
            if isinstance(version, str) and version.startswith("npm:"):
                name, version = split_spec(version[4:])
            if not valid_name(name):
                problems.append(f"dependencies[{str(key)[:80]!r}]: invalid name")
                continue
            if is_semver(version):
                yield Declared(name, version, _flags(entry))
            elif not isinstance(version, str):
                problems.append(f"dependencies[{str(key)[:80]!r}]: invalid version")


def parse_package_lock(text: str, problems: list[str]) -> list[Declared]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise LockfileError(f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise LockfileError("top level is not an object")
    packages, deps = doc.get("packages"), doc.get("dependencies")
    if isinstance(packages, dict):
        return list(_from_packages(packages, problems))
    if isinstance(deps, dict):
        return list(_from_dependencies(deps, problems))
    if packages is None and deps is None:
        return []  # a project without dependencies
    raise LockfileError("neither 'packages' nor 'dependencies' is an object")
