"""pylock.toml (PEP 751, written by ``pip lock``, uv and pdm): ``[[packages]]`` tables.

``version`` is optional there (VCS and directory sources): such entries are skipped.
"""

from __future__ import annotations

from typing import Any

from mamori.sbom.catalogers.python._common import Declared
from mamori.sbom.catalogers.python._toml import package_tables, pinned


def _extra(table: dict[str, Any]) -> dict[str, str] | None:
    if isinstance(table.get("directory"), dict):
        return None  # a local project tree, like uv's editable entries
    marker = table.get("marker")
    return {"markers": marker} if isinstance(marker, str) and marker else {}


def parse_pylock(text: str, problems: list[str]) -> list[Declared]:
    return pinned(package_tables(text, "packages"), problems, _extra)
