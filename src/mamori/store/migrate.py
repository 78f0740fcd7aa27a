"""Schema migrations, driven from code: no alembic.ini, no working-directory assumptions.

`upgrade` runs inside one transaction that first takes a lock (SQLite's write lock,
PostgreSQL's advisory lock), so two processes opening a fresh store at once migrate it
once: the second waits, then finds the schema at head.

A developer adds a revision after changing `schema.py` with
`new_revision("what changed", url)`, which autogenerates it into `migrations/versions/`
(review the file: autogenerate misses renames and data moves).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from mamori.store._url import StoreError
from mamori.store.engine import writer
from mamori.store.schema import Base

if TYPE_CHECKING:
    from alembic.config import Config

# alembic (with mako) is imported only when a migration runs: opening a store that is
# already at the newest revision, the common case, reads alembic_version with one SELECT
# and costs no alembic import (about 11 MB and 0.15 s of every command).
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number: the advisory lock PostgreSQL sessions queue on while migrating.
_PG_LOCK_ID = 0x6D616D6F7269


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_locations", str(MIGRATIONS / "versions"))
    config.set_main_option("path_separator", "os")
    # "%%" because Config values go through configparser interpolation.
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*"?([^"\s]*)"?', re.MULTILINE)


@cache
def file_head() -> str | None:
    """The newest revision, read from the migration files without importing alembic:
    the revision no other file names as its down_revision."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("v*.py"):
        for key, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if key == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(connection: Connection) -> str | None:
    """The revision stored in alembic_version, None for a database never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def _locked(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest), once, under a lock."""
    with writer(engine).connect() as connection, connection.begin():
        _locked(connection)
        current = current_revision(connection)
        if revision == "head" and current is not None and current == file_head():
            return
        from alembic import command

        if current is not None and not _known(current):
            raise StoreError(
                f"the database schema is at revision {current}, which this mamori does not "
                f"know (newest known: {head_revision()}); a newer mamori wrote it"
            )
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` ("base" drops every table of the store)."""
    with writer(engine).connect() as connection, connection.begin():
        _locked(connection)
        from alembic import command

        command.downgrade(_config(connection), revision)


def schema_drift(engine: Engine) -> list[Any]:
    """Differences between the ORM models and the migrated database (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs: list[Any] = compare_metadata(context, Base.metadata)
        return diffs


def new_revision(message: str, engine: Engine) -> None:
    """Autogenerate a revision from the models against a database at head (developers only)."""
    from alembic import command

    with engine.connect() as connection, connection.begin():
        command.revision(_config(connection), message=message, autogenerate=True)
