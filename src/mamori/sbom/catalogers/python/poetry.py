"""poetry.lock: ``[[package]]`` tables with name, version, and the group (poetry 2
``groups = [...]``) or category (poetry 1 ``category = "dev"``) that pulled them in."""

from __future__ import annotations

from typing import Any

from mamori.sbom.catalogers.python._common import Declared
from mamori.sbom.catalogers.python._toml import package_tables, pinned, string_list


def _extra(table: dict[str, Any]) -> dict[str, str]:
    metadata: dict[str, str] = {}
    groups = string_list(table.get("groups"))
    category = table.get("category")
    if groups:
        metadata["groups"] = ",".join(groups)
        if "main" not in groups:
            metadata["dev"] = "true"
    elif isinstance(category, str):
        metadata["groups"] = category
        if category == "dev":
            metadata["dev"] = "true"
    source = table.get("source")
    if isinstance(source, dict) and isinstance(source.get("type"), str):
        metadata["source"] = source["type"]
    return metadata


def parse_poetry_lock(text: str, problems: list[str]) -> list[Declared]:
    return pinned(package_tables(text), problems, _extra)
