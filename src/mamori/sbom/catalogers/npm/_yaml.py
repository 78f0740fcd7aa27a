"""Loading the YAML lockfiles (yarn berry, pnpm) safely and fast (libyaml when present)."""

from __future__ import annotations

from typing import Any

import yaml

from mamori.sbom.catalogers.npm._common import LockfileError

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_mapping(text: str) -> dict[Any, Any]:
    """The top-level mapping of a YAML document; LockfileError if it is anything else."""
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise LockfileError(f"not valid YAML: {str(exc)[:200]}") from exc
    if not isinstance(doc, dict):
        raise LockfileError("top level is not a mapping")
    return doc
