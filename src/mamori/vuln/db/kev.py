"""CISA's Known Exploited Vulnerabilities catalogue (the JSON feed) in the database.

The catalogue is a full snapshot, so an import replaces the table. Matches look CVE ids
up here at match time, so a KEV refresh takes effect without re-importing advisories.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mamori.model.common import utcnow
from mamori.vuln.db.store import VulnDb

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
MAX_KEV_BYTES = 64 * 1024 * 1024
_CVE = re.compile(r"CVE-\d{4}-\d{4,}\Z")
_FIELDS = {
    "vendor": "vendorProject",
    "product": "product",
    "name": "vulnerabilityName",
    "date_added": "dateAdded",
    "due_date": "dueDate",
    "ransomware": "knownRansomwareCampaignUse",
}


class KevError(ValueError):
    """The file is not a KEV catalogue."""


@dataclass
class KevResult:
    entries: int = 0
    catalog_version: str = ""
    skipped: list[str] = field(default_factory=list)


def parse_kev(data: bytes) -> tuple[list[tuple[str, ...]], KevResult]:
    """Rows for the kev table from the feed's bytes; bad entries are skipped."""
    try:
        doc: Any = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise KevError(f"KEV feed is not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("vulnerabilities"), list):
        raise KevError("KEV feed has no 'vulnerabilities' list")
    result = KevResult(catalog_version=str(doc.get("catalogVersion", ""))[:40])
    rows: dict[str, tuple[str, ...]] = {}
    for position, entry in enumerate(doc["vulnerabilities"]):
        cve = entry.get("cveID") if isinstance(entry, dict) else None
        if not isinstance(cve, str) or not _CVE.match(cve.strip()):
            result.skipped.append(f"entry {position}: no valid cveID")
            continue
        values = [entry.get(key) for key in _FIELDS.values()]
        rows[cve.strip()] = (cve.strip(), *(str(v)[:500] if v is not None else "" for v in values))
    result.entries = len(rows)
    return list(rows.values()), result


def load_kev(db: VulnDb, data: bytes) -> KevResult:
    """Replace the catalogue inside the caller's transaction."""
    rows, result = parse_kev(data)
    db.conn.execute("DELETE FROM kev")
    db.conn.executemany(
        f"INSERT INTO kev (cve, {', '.join(_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
    )
    db.set_meta("kev_catalog_version", result.catalog_version)
    db.set_feed_state("kev", updated_at=utcnow().isoformat())
    return result


def import_kev(path: str | os.PathLike[str], db: VulnDb | None = None) -> KevResult:
    """Import CISA's KEV JSON file (replacing the previous catalogue)."""
    source = Path(path)
    with source.open("rb") as fh:
        data = fh.read(MAX_KEV_BYTES + 1)
    if len(data) > MAX_KEV_BYTES:
        raise KevError(f"{source} is larger than {MAX_KEV_BYTES} bytes")
    own = db is None
    target = db if db is not None else VulnDb.open()
    try:
        with target.transaction():
            return load_kev(target, data)
    finally:
        if own:
            target.close()
