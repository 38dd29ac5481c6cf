"""The server route and the connected-mode decision, against a real server on loopback."""

from __future__ import annotations

import pytest

from tests.viewer.server.live import LiveServer, free_port, smtp_config
from viewer.connection import Connection, ServerUnavailable
from viewer.mail.outbox import Outbox
from viewer.mail.routes.base import ConfigurationError, Envelope, PermanentError, TemporaryError
from viewer.mail.routes.pickup import PickupRoute
from viewer.mail.routes.select import FAILED, SERVER, UNREACHABLE, ServerState, choose
from viewer.mail.routes.server import ServerNotReached, ServerRoute
from viewer.mail.routes.smtp import SmtpRoute
from viewer.settings import ConnectionProfile, Settings

RAW = b"From: sales@example.com\r\nTo: client@example.org\r\nSubject: Devis 42\r\nMessage-ID: <d42@example.com>\r\n\r\nbody\r\n"
ENV = Envelope("sales@example.com", ("client@example.org",))


@pytest.fixture
def server(tmp_path, smtpd):
    with LiveServer(smtp_config(tmp_path / "srv", smtpd, max_message_bytes=300_000), users={"alice": "alice-pw"}) as live:
        yield live


@pytest.fixture
def connection(server):
    c = Connection(ConnectionProfile(name="office", url=server.url, user="alice"))
    c.connect("alice-pw")
    yield c
    c.close()


def local_settings(tmp_path, *, direct: bool, on_server: bool, smtpd=None) -> Settings:
    s = Settings()
    s.functions.send_direct = direct
    if direct:
        s.functions.use_server_functions = on_server
        s.functions.host, s.functions.port = smtpd.host, smtpd.port
    else:
        s.service.use_server_service = on_server
        s.service.pickup_folder = str(tmp_path / "pickup")
    s.copies.sent_folder, s.copies.error_folder, s.copies.log_folder = (str(tmp_path / n) for n in ("sent", "errors", "log"))
    return s


def test_server_route_carries_the_exact_bytes(connection, smtpd):
    route = ServerRoute(connection, document="devis 42")
    with route:
        result = route.send(RAW, ENV)
    assert result.ok and result.route.startswith("server")
    received = smtpd.handler.wait_for(1)[0]
    assert received.data.replace(b"\r\n", b"\n").endswith(RAW.replace(b"\r\n", b"\n"))
    assert connection.history()[0]["document"] == "devis 42"


def test_outbox_through_the_server_records_locally_too(tmp_path, connection, smtpd):
    settings = local_settings(tmp_path, direct=True, on_server=True, smtpd=smtpd)
    outcome = Outbox(settings, route=ServerRoute(connection)).send((RAW, ENV), document="devis 42")
    assert outcome.ok
    assert "application server" in outcome.route_name
    assert connection.history()[0]["document"] == "devis 42"  # the outbox labelled the route


def test_errors_map_to_route_errors(server, connection, smtpd):
    smtpd.handler.rcpt_replies["client@example.org"] = "550 5.1.1 unknown"
    with pytest.raises(PermanentError) as refused:
        ServerRoute(connection).send(RAW, ENV)
    assert refused.value.results[0].code == 550
    with pytest.raises(PermanentError, match="413"):
        ServerRoute(connection).send(RAW + b"x" * 400_000, ENV)
    connection.disconnect()
    with pytest.raises(ConfigurationError, match="spoolview connect office"):
        ServerRoute(connection).send(RAW, ENV)


def test_server_down_mid_session_is_temporary(tmp_path, smtpd):
    live = LiveServer(smtp_config(tmp_path, smtpd), users={"alice": "alice-pw"}).start()
    c = Connection(ConnectionProfile(name="office", url=live.url, user="alice"))
    c.connect("alice-pw")
    live.stop()
    with pytest.raises(ServerNotReached, match="cannot reach") as caught:  # a TemporaryError the job may fall back on
        ServerRoute(c).send(RAW, ENV)
    assert isinstance(caught.value, TemporaryError)


def test_choose_server_when_connected_and_up(tmp_path, connection, smtpd):
    choice = choose(local_settings(tmp_path, direct=True, on_server=True, smtpd=smtpd), connection)
    assert isinstance(choice.route, ServerRoute) and choice.decision.label == SERVER
    assert isinstance(choose(local_settings(tmp_path, direct=False, on_server=True), connection).route, ServerRoute)


def test_choose_local_when_the_switch_is_off(tmp_path, connection):
    choice = choose(local_settings(tmp_path, direct=False, on_server=False), connection)
    assert isinstance(choice.route, PickupRoute)
    assert "off" in choice.decision.reason


def test_fallback_not_connected_sends_locally_and_says_so(tmp_path, smtpd):
    settings = local_settings(tmp_path, direct=True, on_server=True, smtpd=smtpd)
    choice = choose(settings)
    assert isinstance(choice.route, SmtpRoute)
    assert "not connected" in choice.decision.reason and "sending locally" in choice.decision.reason
    outcome = Outbox(settings, choice).send((RAW, ENV))
    assert outcome.ok
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == ["client@example.org"]


def stopped_connection(tmp_path, smtpd) -> Connection:
    live = LiveServer(smtp_config(tmp_path / "srv", smtpd), users={"alice": "alice-pw"}).start()
    c = Connection(ConnectionProfile(name="office", url=live.url, user="alice"))
    c.connect("alice-pw")
    live.stop()  # still "connected" (token held), but the server is down
    return c


def test_fallback_server_down_sends_locally_and_says_so(tmp_path, smtpd):
    c = stopped_connection(tmp_path, smtpd)
    settings = local_settings(tmp_path, direct=False, on_server=True)
    choice = choose(settings, c)
    assert isinstance(choice.route, PickupRoute)
    assert choice.decision.fallback == UNREACHABLE
    assert choice.decision.label.startswith("local after server failure: cannot reach the application server")
    outcome = Outbox(settings, choice).send((RAW, ENV))
    assert outcome.ok
    assert "local after server failure" in outcome.route_name and "application server" not in outcome.route_name.partition("(")[0]
    assert len(list((tmp_path / "pickup").iterdir())) == 1


def test_server_lost_between_decision_and_send_falls_back_locally(tmp_path, smtpd):
    """The health probe said yes, then the server went: the request never reached it, so the
    outbox sends locally and every record names the local route and the reason."""
    from viewer.mail.history import History

    c = stopped_connection(tmp_path, smtpd)
    settings = local_settings(tmp_path, direct=False, on_server=True)
    choice = choose(settings, c, state=ServerState(connected=True, name="office", url=c.url))
    assert isinstance(choice.route, ServerRoute)
    with pytest.raises(ServerNotReached):
        ServerRoute(c).send(RAW, ENV)
    outcome = Outbox(settings, choice).send((RAW, ENV), document="devis 42")
    assert outcome.ok, outcome.summary_lines()
    assert outcome.decision is not None and outcome.decision.fallback == FAILED
    assert outcome.route_name.startswith(f"pickup folder {tmp_path / 'pickup'} (local after server failure: cannot reach")
    [row] = History().recent(1)
    assert row.route == outcome.route_name
    assert len(list((tmp_path / "pickup").iterdir())) == 1


def test_connection_to_nowhere_is_unavailable():
    c = Connection(ConnectionProfile(name="x", url=f"http://127.0.0.1:{free_port()}", user="alice"))
    with pytest.raises(ServerUnavailable):
        c.connect("pw")


def test_composed_sample_quote_arrives_byte_for_byte(tmp_path, connection, smtpd, samples):
    from formats import open_document
    from formats.pdf import to_pdf
    from viewer.mail.compose import Attachment, MailSpec, compose

    settings = local_settings(tmp_path, direct=True, on_server=True, smtpd=smtpd)
    settings.functions.from_identity = "Ventes <sales@example.com>"
    pdf = to_pdf(open_document(samples / "devis-D2026-0042.spv"))
    composed = compose(
        MailSpec(to=["Client <client@example.org>"], bcc=["archive@example.com"], subject="Devis D2026-0042 — été", body="Bonjour,\n€ 1 234,00\n", attachments=[Attachment("devis.pdf", pdf, "application/pdf")]),
        settings,
    )
    choice = choose(settings, connection)
    assert isinstance(choice.route, ServerRoute), choice.decision.reason
    outcome = Outbox(settings, choice).send(composed, document="devis D2026-0042")
    assert outcome.ok, outcome.summary_lines()
    received = smtpd.handler.wait_for(1)[0]
    assert received.rcpt_tos == ["client@example.org", "archive@example.com"]
    assert received.data == composed.raw
    assert b"archive@example.com" not in received.data  # Bcc only in the envelope
