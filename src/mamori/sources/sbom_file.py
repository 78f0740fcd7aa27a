"""Read an existing SBOM (CycloneDX or SPDX JSON) back in as mamori's Sbom.

The format is detected from the document itself (`bomFormat` / `spdxVersion`), not from
the file name. Input is untrusted: files over a size cap are refused before reading,
malformed JSON and wrong shapes raise `SbomFormatError`, and entries that make no sense
are skipped with notices.

    sbom, notices, target = read_sbom(Path("app.cdx.json"))
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, NamedTuple

from mamori.model import Notice, Sbom
from mamori.sources._sbom_common import Notes, SbomFormatError, mapping, text
from mamori.sources.sbom_cyclonedx import read_cyclonedx
from mamori.sources.sbom_spdx import read_spdx

MAX_SBOM_BYTES = 512 * 1024 * 1024

__all__ = [
    "MAX_SBOM_BYTES",
    "SbomDocument",
    "SbomFormatError",
    "detect_format",
    "parse_sbom",
    "read_sbom",
]


class SbomDocument(NamedTuple):
    """What an SBOM file says: the packages and distro, notices, and the target's name."""

    sbom: Sbom
    notices: list[Notice]
    target: str


def detect_format(doc: object) -> str:
    """ "cyclonedx" or "spdx" for a decoded JSON document; SbomFormatError otherwise."""
    if isinstance(doc, dict):
        if text(doc.get("bomFormat")).lower() == "cyclonedx":
            return "cyclonedx"
        if text(doc.get("spdxVersion")).upper().startswith("SPDX-"):
            return "spdx"
    raise SbomFormatError("not a CycloneDX or SPDX JSON document (no bomFormat or spdxVersion)")


def _decode(data: bytes) -> Any:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:64]
    if head.startswith(b"<"):
        raise SbomFormatError("XML SBOMs are not supported: use the JSON form of CycloneDX or SPDX")
    if head.upper().startswith((b"SPDXVERSION:", b"##")):
        raise SbomFormatError("SPDX tag-value is not supported: use SPDX JSON")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SbomFormatError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except RecursionError:
        raise SbomFormatError("JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and over-long integer literals
        raise SbomFormatError(f"invalid JSON: {exc}") from None


def parse_sbom(data: bytes, label: str = "") -> SbomDocument:
    """Parse an SBOM held in memory. `label` names it in notices (a path, "stdin")."""
    if len(data) > MAX_SBOM_BYTES:
        raise SbomFormatError(f"{label or 'SBOM'} is larger than {MAX_SBOM_BYTES} bytes")
    doc = _decode(data)
    kind = detect_format(doc)
    notes = Notes(label or kind)
    try:
        reader = read_cyclonedx if kind == "cyclonedx" else read_spdx
        sbom, target = reader(mapping(doc), notes)
    except RecursionError:
        raise SbomFormatError("document nested too deeply") from None
    return SbomDocument(sbom=sbom, notices=notes.finish(), target=target)


def read_sbom(path: Path | str, *, max_bytes: int = MAX_SBOM_BYTES) -> SbomDocument:
    """Read a CycloneDX (1.2-1.6) or SPDX (2.2/2.3) JSON file. The target falls back to
    the file name when the document does not name what it describes."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
                raise SbomFormatError(f"{path}: not a regular file")
            size = st.st_size
            if size > max_bytes:
                raise SbomFormatError(f"{path}: {size} bytes is over the {max_bytes}-byte limit")
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise SbomFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # grew while reading, or a special file without a size
        raise SbomFormatError(f"{path}: over the {max_bytes}-byte limit")
    doc = parse_sbom(data, str(path))
    return doc._replace(target=doc.target or path.name)
