"""Where the store lives: the database URL, and keeping its password out of every message.

`MAMORI_DB_URL` names any SQLAlchemy URL (PostgreSQL for a shared server); without it the
store is an SQLite file under the user's XDG data directory, created on first use.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ENV_VAR = "MAMORI_DB_URL"
MASK = "***"


class StoreError(RuntimeError):
    """Any failure of the store. Messages never contain the database password."""


def default_path() -> Path:
    """The SQLite file used when no URL is configured (XDG data dir / mamori.db)."""
    return Path(platformdirs.user_data_dir("mamori")) / "mamori.db"


def resolve_url(url: str | URL | None = None) -> URL:
    """The URL to open: the argument, else `MAMORI_DB_URL`, else the default SQLite file.

    A bare `postgresql://` URL gets the psycopg (v3) driver, the one mamori depends on.
    """
    raw: str | URL | None = url if url is not None else os.environ.get(ENV_VAR) or None
    if raw is None:
        return URL.create("sqlite+pysqlite", database=str(default_path()))
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        # The raw string may hold a password: never echo it.
        raise StoreError(f"invalid database URL ({type(exc).__name__})") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    return parsed


def mask_url(url: URL) -> str:
    """The URL as text with its password replaced by `***`."""
    return url.render_as_string(hide_password=True)


def scrub(text: str, url: URL) -> str:
    """Remove the URL's password (plain or percent-encoded) from an error message."""
    password = url.password
    if not password:
        return text
    secret = str(password)
    for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}:
        if form:
            text = text.replace(form, MASK)
    return text


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_file(url: URL) -> Path | None:
    """The database file of an SQLite URL, None for an in-memory database."""
    database = url.database
    if not is_sqlite(url) or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)
