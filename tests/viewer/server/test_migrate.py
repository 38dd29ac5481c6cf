"""Schema migrations (Alembic) on a real SQLite file: create, upgrade with data, refuse an old schema."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from viewer.server import migrate
from viewer.server.db import Database, DatabaseError, metadata


def test_a_new_database_gets_the_newest_schema_matching_the_tables_the_code_uses(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'server.db'}"
    Database(url).dispose()
    engine = create_engine(url)
    try:
        assert migrate.current(engine) == migrate.head()
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def test_an_old_schema_is_refused_until_migrated_and_keeps_its_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    assert migrate.upgrade(url, "0001") == (None, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (name, password_hash, created_at) VALUES ('alice', 'h', 1.0)"))
        conn.execute(text("INSERT INTO login_failures (key, at) VALUES ('user:alice', 1.0)"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="revision 0001.*spoolview server migrate"):
        Database(url)
    assert migrate.upgrade(url) == ("0001", migrate.head())
    db = Database(url)
    try:
        assert db.password_hash("alice") == "h"
        assert db.user("alice").identities == []
    finally:
        db.dispose()
    assert migrate.upgrade(url) == (migrate.head(), migrate.head())


def test_a_database_made_before_migrations_is_recognised_as_0001(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # what metadata.create_all made before Alembic
        conn.execute(text("CREATE TABLE users (name VARCHAR(64) PRIMARY KEY, password_hash VARCHAR(255) NOT NULL, created_at FLOAT NOT NULL)"))
        conn.execute(text("CREATE TABLE tokens (token_hash VARCHAR(64) PRIMARY KEY, user VARCHAR(64) NOT NULL, created_at FLOAT NOT NULL, expires_at FLOAT NOT NULL)"))
        conn.execute(text("CREATE TABLE login_failures (id INTEGER PRIMARY KEY, key VARCHAR(200) NOT NULL, at FLOAT NOT NULL)"))
        conn.execute(text(
            "CREATE TABLE sends (id INTEGER PRIMARY KEY, user VARCHAR(64) NOT NULL, at FLOAT NOT NULL, document VARCHAR(500) NOT NULL, "
            "subject VARCHAR(1000) NOT NULL, sender VARCHAR(320) NOT NULL, recipients TEXT NOT NULL, ok BOOLEAN NOT NULL, "
            "route VARCHAR(40) NOT NULL, message_id VARCHAR(500) NOT NULL, error TEXT NOT NULL, size INTEGER NOT NULL)"
        ))
        conn.execute(text("INSERT INTO users VALUES ('bob', 'h', 1.0)"))
    assert migrate.current(engine) == "0001"
    engine.dispose()
    assert migrate.upgrade(url) == ("0001", migrate.head())
    db = Database(url)
    try:
        assert db.user_names() == ["bob"]
    finally:
        db.dispose()


def test_downgrade_goes_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    Database(url).dispose()
    assert migrate.downgrade(url, "0001") == (migrate.head(), "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_failures")).scalar_one() == 0  # the 0001 table is back
    engine.dispose()
