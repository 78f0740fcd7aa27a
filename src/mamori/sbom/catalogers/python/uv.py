"""uv.lock: ``[[package]]`` tables; ``source`` says where each came from.

The project itself and workspace members appear with ``source = { editable = ... }`` or
``{ virtual = ... }``: they are the code being scanned, not dependencies, and are skipped
(like the root entry of package-lock.json).
"""

from __future__ import annotations

from typing import Any

from mamori.sbom.catalogers.python._common import Declared
from mamori.sbom.catalogers.python._toml import package_tables, pinned

_LOCAL = ("editable", "virtual")


def _extra(table: dict[str, Any]) -> dict[str, str] | None:
    source = table.get("source")
    if isinstance(source, dict):
        if any(k in source for k in _LOCAL):
            return None
        kinds = [k for k in source if isinstance(k, str)]
        if kinds:
            return {"source": kinds[0]}
    return {}


def parse_uv_lock(text: str, problems: list[str]) -> list[Declared]:
    return pinned(package_tables(text), problems, _extra)
