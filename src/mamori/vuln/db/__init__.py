"""The advisory database: OSV import, incremental update, CISA KEV, status.

with VulnDb.open() as db:            # $MAMORI_VULNDB or the user data dir
    import_osv("all.zip", db)        # files, directories, .zip, .tar.gz
    import_kev("known_exploited_vulnerabilities.json", db)
    update(OSV_BASE_URL, ["PyPI", "Debian:12"], db=db)
    status(db).info                  # DatabaseInfo
"""

from mamori.vuln.db.importer import ImportResult, Skipped, import_osv
from mamori.vuln.db.kev import KEV_URL, KevError, KevResult, import_kev
from mamori.vuln.db.status import DbStatus, FeedInfo, status
from mamori.vuln.db.store import StoredAdvisory, VulnDb, VulnDbError
from mamori.vuln.db.update import (
    OSV_BASE_URL,
    FeedResult,
    UpdateError,
    UpdateProgress,
    UpdateReport,
    update,
)

__all__ = [
    "KEV_URL",
    "OSV_BASE_URL",
    "DbStatus",
    "FeedInfo",
    "FeedResult",
    "ImportResult",
    "KevError",
    "KevResult",
    "Skipped",
    "StoredAdvisory",
    "UpdateError",
    "UpdateProgress",
    "UpdateReport",
    "VulnDb",
    "VulnDbError",
    "import_kev",
    "import_osv",
    "status",
    "update",
]
