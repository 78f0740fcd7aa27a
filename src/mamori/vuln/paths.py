"""Where the advisory database lives by default.

The database is a file of its own (see `mamori.vuln.db`), kept in the user's data
directory (XDG on Linux) so that every scan of that user shares one copy. `MAMORI_VULNDB`
overrides it for a whole environment (CI, containers); an explicit argument wins over both.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "MAMORI_VULNDB"
FILE_NAME = "vulndb.sqlite"


def default_db_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The advisory database path: `override`, else $MAMORI_VULNDB, else the data dir."""
    if override is not None and str(override):
        return Path(override).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("mamori")) / FILE_NAME
