"""The send history flags a second send of the same document to the same recipient."""

from __future__ import annotations

import sqlite3

import pytest

from viewer import paths
from viewer.errors import SpoolviewError
from viewer.mail.history import History


def test_default_location_and_duplicates():
    history = History()
    assert history.path == paths.data_dir() / "history.sqlite"
    assert history.already_sent("devis D-42", ["client@example.org"]) == []
    history.record("devis D-42", [("Client@Example.org", "accepted", "250 ok"), ("gone@example.org", "refused", "550 no")], message_id="<1@x>", route="pickup")
    [entry] = history.already_sent("devis D-42", ["client@example.org", "gone@example.org"])
    assert (entry.recipient, entry.message_id, entry.route) == ("client@example.org", "<1@x>", "pickup")
    assert "devis D-42 went to client@example.org" in entry.describe()
    assert history.already_sent("devis D-43", ["client@example.org"]) == []
    assert history.already_sent("", ["client@example.org"]) == []
    assert len(history.recent()) == 2


def test_survives_reopen(tmp_path):
    History(tmp_path / "h.sqlite").record("inv 1", [("a@x", "accepted", "")])
    assert len(History(tmp_path / "h.sqlite").already_sent("inv 1", ["A@X"])) == 1


def test_corrupt_database_is_a_clear_error(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SpoolviewError, match="send history"):
        History(path).already_sent("x", ["a@x"])


def test_uses_wal(tmp_path):
    History(tmp_path / "h.sqlite").record("d", [("a@x", "accepted", "")])
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_batch_mode_holds_rows_until_flushed_and_queries_see_them(tmp_path):
    history = History(tmp_path / "h.sqlite")
    history.hold()
    history.record("d", [("a@x", "accepted", "")])
    assert History(tmp_path / "h.sqlite").recent() == []  # not written yet
    assert len(history.already_sent("d", ["a@x"])) == 1  # a query writes what is held first
    history.record("d", [("b@x", "accepted", "")])
    history.release()
    assert len(History(tmp_path / "h.sqlite").recent()) == 2


def test_history_private_under_umask_022():
    """Issue 12.10: with umask 022 the history and its folder were 0644 / 0755."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        History().record("devis D-42", [("client@example.org", "accepted", "250 ok")])
    finally:
        os.umask(old)
    folder = paths.data_dir()
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if p.name.startswith("history.sqlite")}
    assert modes and set(modes.values()) == {0o600}, modes  # the -wal and -shm files too
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700  # SPOOLVIEW_HOME, created with it
