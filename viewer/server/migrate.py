"""Schema migrations of the server database (Alembic), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_ID = 847_001  # PostgreSQL advisory lock held while migrating: one process migrates at a time


def _config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str:
    """The newest revision this spoolview knows."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(_config()).get_current_head())


def current(engine: Engine) -> str | None:
    """The database's revision; None for an empty database, "0001" for one made before Alembic."""
    with engine.connect() as conn:
        return _revision(conn)


def _locked_engine(url: str) -> Engine:
    """An engine whose transactions take the database lock first (see ``upgrade``)."""
    if not url.startswith("sqlite"):
        return create_engine(url)
    engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:  # pysqlite: one IMMEDIATE transaction around the DDL
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database at ``url`` to ``revision``; return (before, after).

    The whole upgrade is one transaction holding the database's lock (an advisory lock on
    PostgreSQL, an immediate transaction on SQLite), so two processes starting together
    migrate once. A database made before migrations existed is recognised as 0001.
    """
    from alembic import command

    engine = _locked_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
            config = _config()
            config.attributes["connection"] = conn
            before = _revision(conn)
            if before == "0001" and not _has_version_table(conn):
                command.stamp(config, "0001")
            if before != revision:
                command.upgrade(config, revision)
            after = _revision(conn)
        return before, after
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> tuple[str | None, str | None]:
    """Take the database back to ``revision`` (tests and roll-backs)."""
    from alembic import command

    engine = _locked_engine(url)
    try:
        with engine.begin() as conn:
            config = _config()
            config.attributes["connection"] = conn
            before = _revision(conn)
            command.downgrade(config, revision)
            return before, _revision(conn)
    finally:
        engine.dispose()


def _has_version_table(conn: Any) -> bool:
    return bool(inspect(conn).has_table("alembic_version"))


def _revision(conn: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None and inspect(conn).has_table("users"):
        return "0001"  # created by metadata.create_all before migrations existed
    return revision
