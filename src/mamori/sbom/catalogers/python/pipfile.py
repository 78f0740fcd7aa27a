"""Pipfile.lock (pipenv): JSON with ``default`` and ``develop`` maps of name to
``{"version": "==1.2.3", "hashes": [...], "markers": ...}``. VCS and path entries have no
version and are skipped."""

from __future__ import annotations

import json

from mamori.sbom.catalogers.python._common import Declared, LockfileError, valid_name, valid_version

_SECTIONS = (("default", False), ("develop", True))


def parse_pipfile_lock(text: str, problems: list[str]) -> list[Declared]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise LockfileError(f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise LockfileError("top level is not an object")
    out: list[Declared] = []
    for section, dev in _SECTIONS:
        entries = doc.get(section, {})
        if not isinstance(entries, dict):
            problems.append(f"{section!r} is not an object")
            continue
        for name, entry in entries.items():
            if not valid_name(name) or not isinstance(entry, dict):
                problems.append(f"{section}: invalid entry {str(name)[:40]!r}")
                continue
            spec = entry.get("version")
            if spec is None:
                continue
            version = spec[2:].strip() if isinstance(spec, str) and spec.startswith("==") else ""
            version = version.lstrip("=")  # "===1.0" arbitrary equality
            if not valid_version(version):
                problems.append(f"{section}: {name}: unpinned version {str(spec)[:40]!r}")
                continue
            metadata = {"dev": "true"} if dev else {}
            markers = entry.get("markers")
            if isinstance(markers, str) and markers:
                metadata["markers"] = markers
            out.append(Declared(name, version, metadata))
    return out
