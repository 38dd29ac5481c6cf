"""Directory look-ups with the local directory as the application server's fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.viewer.server.live import LiveServer, smtp_config
from viewer import settings as S
from viewer.connection import Connection
from viewer.directory import open_directory
from viewer.mail.lookup import LOCAL, LOCAL_FALLBACK, SERVER, Lookups, NoDirectory
from viewer.settings import ConnectionProfile

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def settings() -> S.Settings:
    s = S.load()
    with open_directory(s) as directory:
        directory.import_csv(ROOT / "samples" / "customers.csv", ROOT / "samples" / "contacts.csv")
    return s


def test_local_when_not_connected(settings):
    with Lookups(settings) as lookups:
        assert lookups.source == LOCAL
        assert lookups.customer_name("CLI001") == "Atelier Dupré SARL"
        assert lookups.owners("F.Hebert@menuiserie.example") == ["CLI003"]  # a contact's address: its customer
        assert lookups.owners("sgm@menuiserie.example") == ["CLI003"]  # the customer's own
        assert lookups.owners("nobody@example.org") == []


def test_lookups_fall_back_to_the_local_directory_when_the_server_is_gone(settings, tmp_path, smtpd):
    live = LiveServer(smtp_config(tmp_path / "srv", smtpd), users={"alice": "alice-pw"}).start()
    connection = Connection(ConnectionProfile(name="office", url=live.url, user="alice"))
    connection.connect("alice-pw")
    with Lookups(settings, connection) as lookups:
        assert lookups.source == SERVER
        lookups.search("CLI")  # the server's directory answers
        assert lookups.source == SERVER
        live.stop()
        assert lookups.customer_name("CLI001") == "Atelier Dupré SARL"  # from the local directory
        assert lookups.source == LOCAL_FALLBACK and lookups.fell_back
        assert "cannot reach the application server" in lookups.problem


def test_no_directory_answers_says_so_plainly(settings, tmp_path):
    (tmp_path / "missing").write_text("a file where a folder should be")
    settings.directory.database_url = f"sqlite:///{tmp_path / 'missing' / 'dir.sqlite'}"
    with Lookups(settings) as lookups, pytest.raises(NoDirectory, match="local directory does not answer"):
        lookups.search("CLI")
