"""Core metadata (PEP 566/643/639): the RFC 822 headers of METADATA and PKG-INFO files.

Only the header block is parsed: the long description after the first blank line can be
megabytes and holds nothing a scanner needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import HeaderParser
from email.policy import compat32

from mamori.sbom.catalogers.python._common import LockfileError, valid_name, valid_version

_HEADER_END = re.compile(r"\r?\n\r?\n")
# A "License:" value longer than this, or spanning lines, is the licence text itself.
_MAX_LICENSE_FIELD = 200
_UNKNOWN = {"", "unknown", "none", "n/a"}


@dataclass(frozen=True, slots=True)
class CoreMetadata:
    name: str
    version: str
    licenses: tuple[str, ...] = ()


def _licenses(expression: str | None, field: str | None, classifiers: list[str]) -> tuple[str, ...]:
    """License-Expression wins, then a short License field, then license classifiers."""
    if expression and expression.strip():
        return (expression.strip(),)
    if field is not None:
        value = field.strip()
        if value.lower() not in _UNKNOWN and "\n" not in value and len(value) <= _MAX_LICENSE_FIELD:
            return (value,)
    found: list[str] = []
    for classifier in classifiers:
        parts = [p.strip() for p in classifier.split("::")]
        licensed = len(parts) >= 2 and parts[0] == "License"
        if licensed and parts[-1] not in ("OSI Approved", "", *found):
            found.append(parts[-1])
    return tuple(found)


def parse_core_metadata(data: bytes) -> CoreMetadata:
    """Name, version and licences from METADATA/PKG-INFO bytes. LockfileError if unusable."""
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    match = _HEADER_END.search(text)
    headers = text[: match.start()] if match else text
    try:
        msg = HeaderParser(policy=compat32).parsestr(headers)
    except (ValueError, TypeError, LookupError) as exc:  # the email package is lenient
        raise LockfileError(f"unreadable metadata headers: {exc}") from exc
    name = str(msg.get("Name", "")).strip()
    version = str(msg.get("Version", "")).strip()
    if not valid_name(name):
        raise LockfileError(f"no valid Name header (got {name[:60]!r})")
    if not valid_version(version):
        raise LockfileError(f"no valid Version header for {name} (got {version[:60]!r})")
    expression = msg.get("License-Expression")
    field = msg.get("License")
    classifiers = [str(c) for c in (msg.get_all("Classifier") or [])]
    return CoreMetadata(
        name=name,
        version=version,
        licenses=_licenses(
            None if expression is None else str(expression),
            None if field is None else str(field),
            classifiers,
        ),
    )
