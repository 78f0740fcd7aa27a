"""Alembic environment: runs on the connection that `mamori.store.migrate` hands over.

There is no alembic.ini and no URL here: the caller opens the connection (with the
store's SQLite settings and its lock already taken) and passes it in the config's
attributes, so migrations run the same from a checkout and from an installed package.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from mamori.store.schema import Base, UtcDateTime


def _render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Render the ORM's UtcDateTime as plain SQL types so revisions never import the ORM."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: later revisions copy tables
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("mamori migrations run online only, through mamori.store.migrate")
_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("mamori migrations need a connection from mamori.store.migrate")
_run(_connection)
