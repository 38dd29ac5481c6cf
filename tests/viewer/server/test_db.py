"""The server database: users, history, errors that say what to do."""

from __future__ import annotations

import pytest

from viewer.server.db import Database, DatabaseError, UnknownUser, UserExists


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'server.db'}")
    yield database
    database.dispose()


def test_users_add_change_delete(db):
    db.add_user("bob", "h1")
    with pytest.raises(UserExists, match="passwd bob"):
        db.add_user("bob", "h2")
    db.add_token("t", "bob", 2e9)
    db.set_password("bob", "h3")
    assert db.password_hash("bob") == "h3"
    assert db.token("t") is None  # a new password ends the sessions
    db.add_token("t2", "bob", 2e9)
    db.delete_user("bob")
    assert db.user_names() == []
    assert db.token("t2") is None


def test_unknown_users(db):
    with pytest.raises(UnknownUser, match="adduser nobody"):
        db.set_password("nobody", "h")
    with pytest.raises(UnknownUser):
        db.delete_user("nobody")
    assert db.password_hash("nobody") is None


def test_history_is_per_user_newest_first(db):
    db.add_send(user="a", document="d1", subject="s", sender="x@example.com", recipients=[{"address": "r@example.org", "accepted": True}], ok=True, route="smtp", size=10)
    db.add_send(user="a", document="d2", subject="s", sender="x@example.com", recipients=[], ok=False, route="smtp", error="boom", size=10)
    db.add_send(user="b", document="d3", subject="s", sender="x@example.com", recipients=[], ok=True, route="smtp", size=10)
    items = db.history("a")
    assert [i["document"] for i in items] == ["d2", "d1"]
    assert items[1]["recipients"] == [{"address": "r@example.org", "accepted": True}]
    assert db.history("a", limit=1)[0]["document"] == "d2"


def test_unusable_database_url_gives_a_clear_error(tmp_path):
    (tmp_path / "server.db").write_text("not a folder")
    with pytest.raises(DatabaseError, match="cannot open the server database"):
        Database(f"sqlite:///{tmp_path / 'server.db' / 'x' / 'server.db'}")  # a file where a folder must be


def test_sqlite_folder_is_created(tmp_path):
    Database(f"sqlite:///{tmp_path / 'new' / 'server.db'}").dispose()
    assert (tmp_path / "new" / "server.db").exists()


def test_password_in_url_is_not_shown(tmp_path):
    with pytest.raises(DatabaseError) as caught:
        Database("postgresql://user:topsecret@127.0.0.1:1/db")
    assert "topsecret" not in str(caught.value)
