"""Reading the ``[[package]]`` array of a TOML lockfile (poetry, uv, pdm, pylock)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from typing import Any

from mamori.sbom.catalogers.python._common import Declared, LockfileError, valid_name, valid_version


def package_tables(text: str, key: str = "package") -> Iterator[dict[str, Any]]:
    """Each table of the top-level array `key`. LockfileError when the file is not TOML."""
    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise LockfileError(f"not valid TOML: {exc}") from exc
    tables = doc.get(key, [])
    if not isinstance(tables, list):
        raise LockfileError(f"{key!r} is not an array of tables")
    for table in tables:
        if isinstance(table, dict):
            yield table


def pinned(
    tables: Iterator[dict[str, Any]],
    problems: list[str],
    extra: Callable[[dict[str, Any]], dict[str, str] | None],
) -> list[Declared]:
    """Tables with a valid name and version; `extra` gives metadata, or None to skip one."""
    out: list[Declared] = []
    for index, table in enumerate(tables):
        name, version = table.get("name"), table.get("version")
        if not valid_name(name):
            problems.append(f"package #{index}: missing or invalid name")
            continue
        if version is None:
            continue  # a VCS or directory source without a static version
        if not valid_version(version):
            problems.append(f"package {name}: invalid version {str(version)[:40]!r}")
            continue
        metadata = extra(table)
        if metadata is not None:
            out.append(Declared(name, version, metadata))
    return out


def string_list(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
