"""Store tests run against SQLite and PostgreSQL (127.0.0.1:5432, trust auth).

Each test session creates its own PostgreSQL database and drops it at the end; each test
gets a fresh schema in it (through the connection's search_path), so tests are isolated
and parallel workers never meet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL

from tests.support import need

PG_HOST = "127.0.0.1"
PG_PORT = 5432


def _pg_user() -> str | None:
    for user in ("postgres", "root"):
        try:
            with psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname="test", user=user, connect_timeout=3
            ):
                return user
        except psycopg.Error:
            continue
    return None


def _admin(user: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, dbname="test", user=user, autocommit=True, connect_timeout=5
    )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[URL]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    user = _pg_user()
    need(user is not None, f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} (db 'test')")
    assert user is not None
    name = f"mamori_test_{uuid.uuid4().hex[:12]}"
    with _admin(user) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield URL.create(
            "postgresql+psycopg", username=user, host=PG_HOST, port=PG_PORT, database=name
        )
    finally:
        with _admin(user) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_schema_url(base: URL) -> Iterator[URL]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        host=base.host, port=base.port, dbname=base.database, user=base.username, autocommit=True
    ) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"})
    finally:
        with psycopg.connect(
            host=base.host,
            port=base.port,
            dbname=base.database,
            user=base.username,
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, as a URL string."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'mamori.db'}"
        return
    base: URL = request.getfixturevalue("pg_database")
    for url in pg_schema_url(base):
        yield url.render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mamori.db'}"


@pytest.fixture
def pg_database_url_with_password(pg_database: URL) -> Iterator[str]:
    """A PostgreSQL URL carrying a password (trust auth ignores it)."""
    for url in pg_schema_url(pg_database):
        yield url.set(password="s3cr3t-P@ss:w/rd").render_as_string(hide_password=False)
