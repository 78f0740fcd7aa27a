"""Migrations: from empty to head, back to base and up again, and in step with the models."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from mamori.store import Store, StoreError, migrate
from mamori.store._url import resolve_url
from mamori.store.engine import make_engine
from mamori.store.schema import Base

TABLES = {"assets", "scans", "scan_packages", "findings", "finding_sightings"}
TABLES |= {"cloud_inventories", "cloud_resources", "collection_errors"}  # v0002
ROOT = Path(__file__).resolve().parents[2]


def tables(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def test_up_from_empty_down_to_base_and_up_again(db_url: str) -> None:
    engine = make_engine(resolve_url(db_url))
    try:
        assert tables(engine) == set()
        migrate.upgrade(engine)
        assert tables(engine) == TABLES | {"alembic_version"}
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
        # the fast path at open reads the head from the files, without alembic
        assert migrate.file_head() == migrate.head_revision()
        assert migrate.schema_drift(engine) == []

        migrate.downgrade(engine, "base")
        assert tables(engine) == {"alembic_version"}
        with engine.connect() as conn:
            assert migrate.current_revision(conn) is None

        migrate.upgrade(engine)
        assert tables(engine) == TABLES | {"alembic_version"}
        assert migrate.schema_drift(engine) == []
        migrate.upgrade(engine)  # a no-op at head
    finally:
        engine.dispose()


def test_drift_check_sees_a_difference(db_url: str) -> None:
    """The autogenerate comparison is not vacuous: a missing index and column show up."""
    engine = make_engine(resolve_url(db_url))
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_findings_rule_id"))
            conn.execute(sa.text("ALTER TABLE scans ADD COLUMN extra INTEGER"))
        kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in migrate.schema_drift(engine)}
        assert {"add_index", "remove_column"} <= kinds
    finally:
        engine.dispose()


def test_every_model_table_has_a_migration() -> None:
    assert set(Base.metadata.tables) == TABLES


def test_opens_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No alembic.ini is read from the CWD: migrations come from the package itself."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    (elsewhere / "alembic.ini").write_text("[alembic]\nscript_location = /nonexistent\n")
    monkeypatch.chdir(elsewhere)
    with Store.open(f"sqlite:///{tmp_path / 'x.db'}") as store:
        assert store.list_scans() == []


@pytest.mark.slow
def test_installed_package_migrates(tmp_path: Path) -> None:
    """Built like a wheel (setuptools build_py on a copy of the project), the package
    carries env.py, the template and every revision, and migrates from another CWD."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    built = tmp_path / "built"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from setuptools import setup; setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(built),
        ],
        check=True,
        cwd=project,
        capture_output=True,
    )
    store_dir = built / "mamori" / "store" / "migrations"
    revisions = {p.name for p in (ROOT / "src/mamori/store/migrations/versions").glob("*.py")}
    assert (store_dir / "env.py").is_file() and (store_dir / "script.py.mako").is_file()
    assert revisions <= {p.name for p in (store_dir / "versions").glob("*.py")}

    code = (
        "import mamori, sys; from mamori.store import Store\n"
        "assert mamori.__file__.startswith(sys.argv[1]), mamori.__file__\n"
        "with Store.open(sys.argv[2]) as s: print(len(s.list_scans()))\n"
    )
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    db = f"sqlite:///{tmp_path / 'installed.db'}"
    result = subprocess.run(
        [sys.executable, "-c", code, str(built), db],
        check=True,
        cwd=run_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(built)},
    )
    assert result.stdout.strip() == "0"


def test_a_schema_from_a_newer_mamori_is_refused(db_url: str) -> None:
    with Store.open(db_url) as store, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="revision 9999, which this mamori does not know"):
        Store.open(db_url)
