"""pdm.lock: ``[[package]]`` tables with name, version and ``groups``."""

from __future__ import annotations

from typing import Any

from mamori.sbom.catalogers.python._common import Declared
from mamori.sbom.catalogers.python._toml import package_tables, pinned, string_list


def _extra(table: dict[str, Any]) -> dict[str, str] | None:
    if table.get("editable") is True:
        return None  # the project or a local editable checkout, not a dependency
    groups = string_list(table.get("groups"))
    return {"groups": ",".join(groups)} if groups else {}


def parse_pdm_lock(text: str, problems: list[str]) -> list[Declared]:
    return pinned(package_tables(text), problems, _extra)
