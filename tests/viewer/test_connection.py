"""The connected-mode client against a real server on loopback."""

from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy import update

from formats.document import DocInfo
from tests.viewer.server.live import LiveServer, free_port, smtp_config
from tests.viewer.server.test_directory_api import fill_directory
from viewer import connection as conn_mod
from viewer.connection import (
    CertificateProblem,
    Connection,
    ConnectionProblem,
    LoginRefused,
    NotConnected,
    ServerRefused,
    ServerUnavailable,
    SessionExpired,
    current,
    get_profile,
)
from viewer.mail.routes.base import Envelope
from viewer.server import db as dbmod
from viewer.settings import ConnectionProfile, Settings

RAW = b"From: sales@example.com\r\nTo: client@example.org\r\nSubject: Devis 42\r\n\r\nbody\r\n"
ENV = Envelope("sales@example.com", ("client@example.org",))


@pytest.fixture
def server(tmp_path, smtpd, samples):
    config = smtp_config(tmp_path, smtpd, directory_url=fill_directory(tmp_path, samples), max_message_bytes=10_000)
    with LiveServer(config, users={"alice": "alice-pw"}) as live:
        yield live


def profile(url: str, **kw) -> ConnectionProfile:
    return ConnectionProfile(name=kw.pop("name", "office"), url=url, user=kw.pop("user", "alice"), **kw)


@pytest.fixture
def connected(server):
    c = Connection(profile(server.url))
    c.connect("alice-pw")
    yield c
    c.close()


def test_connect_saves_state_for_another_process(server, connected, spoolview_home):
    assert connected.is_connected
    again = current()  # what `spoolview send` in another process does
    assert again is not None and again.is_connected
    assert again.url == server.url and again.profile.name == "office"
    state = (spoolview_home / "data" / conn_mod.STATE_FILE).read_text()
    assert connected._token not in state  # the token is a secret, not in the state file
    assert again.history() == []


def test_send_returns_the_servers_per_recipient_outcome(connected, smtpd):
    answer = connected.send(RAW, "sales@example.com", ("client@example.org", "x@example.org"), document="devis 42")
    assert answer.error_kind == ""
    assert [(r.address, r.accepted) for r in answer.recipients] == [("client@example.org", True), ("x@example.org", True)]
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == ["client@example.org", "x@example.org"]
    (item,) = connected.history()
    assert item["document"] == "devis 42" and item["ok"]


def test_send_all_refused_answers_the_error_and_the_results(connected, smtpd):
    smtpd.handler.rcpt_replies["client@example.org"] = "550 5.1.1 unknown user"
    answer = connected.send(RAW, ENV.sender, ENV.recipients)
    assert answer.error_kind == "permanent"
    [refused] = answer.recipients
    assert refused.code == 550 and "unknown user" in refused.reply and not refused.accepted


def test_a_recipient_the_server_does_not_answer_for_is_not_counted_as_sent():
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        reply = {"address": "client@example.org", "accepted": True, "code": 250, "reply": "OK", "temporary": False}
        return httpx.Response(200, json={"ok": True, "route": "smtp", "recipients": [reply], "detail": "", "message_id": "", "error": None})

    c = Connection(profile("http://127.0.0.1:9"), transport=httpx.MockTransport(answer))
    c._token, c.expires_at = "t", time.time() + 60
    answer = c.send(RAW, "sales@example.com", ("client@example.org", "other@example.org"))
    [missing] = [r for r in answer.recipients if not r.accepted]
    assert missing.address == "other@example.org" and "no outcome" in missing.reply and missing.temporary


def test_oversized_send_is_refused_with_the_reason(connected, smtpd):
    with pytest.raises(ServerRefused) as caught:
        connected.send(RAW + b"x" * 20_000, ENV.sender, ENV.recipients)
    assert caught.value.status == 413
    assert "limit" in str(caught.value)
    assert smtpd.messages == []


def test_lookup_and_search_go_to_the_servers_directory(server, connected):
    info = DocInfo(kind="devis", customer="CLI001", contact="CT0002")
    remote = connected.lookup(info, "EMAIL")
    from viewer.directory import Directory, Lookup

    assert isinstance(remote, Lookup)
    assert remote == Directory(server.app.state.config.directory_url).lookup(info, "EMAIL")
    assert any(e.code == "CLI001" for e in connected.search("dupr"))
    assert connected.customer("CLI001").name == "Atelier Dupré SARL"
    assert connected.customer("NOPE") is None
    assert connected.contact("CT0001").customer_code == "CLI001"
    assert {c.code for c in connected.contacts_of("CLI001")} >= {"CT0001"}


def test_wrong_password_says_so_without_the_password(server):
    c = Connection(profile(server.url))
    with pytest.raises(LoginRefused) as caught:
        c.connect("bad-guess-123")
    assert "wrong user name or password" in str(caught.value)
    assert "bad-guess-123" not in str(caught.value)
    assert not c.is_connected
    assert current() is None


def test_too_many_failures_say_so(server):
    c = Connection(profile(server.url))
    for _ in range(5):
        with pytest.raises(LoginRefused):
            c.connect("bad")
    with pytest.raises(LoginRefused, match="too many failed logins"):
        c.connect("alice-pw")


def test_server_down_says_so():
    c = Connection(profile(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ServerUnavailable, match="cannot reach the application server"):
        c.connect("pw")
    assert not c.reachable()


def test_server_that_does_not_answer_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        c = Connection(profile(f"http://127.0.0.1:{listener.getsockname()[1]}"), timeout=0.3)
        with pytest.raises(ServerUnavailable, match="did not answer"):
            c.connect("pw")


def test_expired_token_asks_to_connect_again(server, connected):
    with server.db.engine.begin() as conn:
        conn.execute(update(dbmod.tokens).values(expires_at=time.time() - 1))
    with pytest.raises(SessionExpired, match="spoolview connect office"):
        connected.history()
    assert not connected.is_connected


def test_not_connected_says_what_to_run(server):
    with pytest.raises(NotConnected, match="spoolview connect office"):
        Connection(profile(server.url)).history()


def test_disconnect_logs_out_and_forgets(server, connected):
    token = connected._token
    connected.disconnect()
    assert not connected.is_connected
    assert current() is None
    other = Connection(profile(server.url))
    other._token, other.expires_at = token, time.time() + 60
    with pytest.raises(SessionExpired):
        other.history()


def test_disconnect_when_the_server_is_gone_still_forgets(tmp_path, smtpd):
    live = LiveServer(smtp_config(tmp_path, smtpd), users={"alice": "alice-pw"}).start()
    c = Connection(profile(live.url))
    c.connect("alice-pw")
    live.stop()
    c.disconnect()
    assert current() is None


@pytest.mark.parametrize(
    ("url", "message"),
    [("ftp://host", "not valid"), ("http://server.example.com", "not encrypted"), ("https://", "not valid")],
)
def test_bad_urls(url, message):
    with pytest.raises(ConnectionProblem, match=message):
        Connection(profile(url))


def test_https_with_the_servers_ca(tmp_path, smtpd, server_cert, ca_file):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    server_cert.cert_chain_pems[0].write_to_path(str(cert))
    server_cert.private_key_pem.write_to_path(str(key))
    with LiveServer(smtp_config(tmp_path, smtpd), users={"alice": "alice-pw"}, certfile=str(cert), keyfile=str(key)) as live:
        url = live.url
        with pytest.raises(CertificateProblem, match="ca_file"):
            Connection(profile(url)).connect("alice-pw")
        c = Connection(profile(url, ca_file=str(ca_file)))
        c.connect("alice-pw")
        assert c.send(RAW, ENV.sender, ENV.recipients).recipients[0].accepted
        with pytest.raises(CertificateProblem, match="cannot be read"):
            Connection(profile(url, ca_file=str(tmp_path / "missing.pem"))).connect("x")


def test_profiles_from_settings():
    settings = Settings()
    settings.profiles["office"] = ConnectionProfile(name="office", url="https://srv.example.com", user="alice")
    assert get_profile("office", settings).user == "alice"
    with pytest.raises(ConnectionProblem, match=r"known: office.*profiles add"):
        get_profile("home", settings)


def test_connection_imports_nothing_from_the_mail_layer():
    """viewer.connection hands plain data over; ServerRoute turns it into mail-layer types."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(conn_mod.__file__).read_text(encoding="utf-8"))
    names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [n for n in names if n and n.startswith("viewer.mail")]

