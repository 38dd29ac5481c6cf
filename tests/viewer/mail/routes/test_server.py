"""The server route and the connected-mode decision, against a real server on loopback."""

from __future__ import annotations

import time

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


# -- answers lost on the way back (issue 19.2) ----------------------------------------------


@pytest.fixture
def proxied(server):
    """A connection to ``server`` through a loopback proxy that can lose answers."""
    from tests.support.dropproxy import DropProxy

    with DropProxy(("127.0.0.1", server.port)) as proxy:
        c = Connection(ConnectionProfile(name="office", url=proxy.url, user="alice"))
        c.connect("alice-pw")
        yield proxy, c
        c.close()


def test_a_lost_answer_is_asked_again_with_the_same_key_and_the_mail_goes_once(proxied, smtpd):
    proxy, connection = proxied
    proxy.lose = 1
    trace: list[str] = []
    result = ServerRoute(connection, trace=trace.append, retry_delays=(0.1, 0.1)).send(RAW, ENV)
    assert result.ok
    assert proxy.lost == 1
    assert any("asking again in 0.1 s with the same key d42@example.com" in line for line in trace)
    smtpd.handler.wait_for(1)
    time.sleep(0.3)
    assert len(smtpd.messages) == 1
    assert len(connection.history()) == 1


@pytest.mark.parametrize("how", ["drop", "502"])
def test_answers_lost_every_time_give_unknown_then_the_real_outcome_and_never_a_second_mail(proxied, smtpd, how, capsys):
    from viewer import unknown_sends
    from viewer.mail.routes.base import OutcomeUnknown

    proxy, connection = proxied
    proxy.lose, proxy.how = 3, how
    with pytest.raises(OutcomeUnknown) as caught:
        ServerRoute(connection, document="devis 42", retry_delays=(0.1, 0.1)).send(RAW, ENV)
    assert caught.value.kind == "unknown" and caught.value.key == "d42@example.com"
    assert "do not send it again" in str(caught.value) and "connection --history" in str(caught.value)
    assert [i.key for i in unknown_sends.of(connection.url, "alice")] == ["d42@example.com"]
    assert len(smtpd.handler.wait_for(1)) == 1  # it was sent, the answers were lost
    # The server answers again: the real outcome, from its store.
    status = connection.send_status("d42@example.com")
    assert status.state == "done" and status.answer.recipients[0].accepted
    assert connection.send_status("never-sent").state == "absent"
    time.sleep(0.3)
    assert len(smtpd.messages) == 1


def test_an_unknown_outcome_is_never_sent_locally_instead(tmp_path, proxied, smtpd):
    proxy, connection = proxied
    settings = local_settings(tmp_path, direct=False, on_server=True)
    proxy.lose, proxy.how = 100, "502"
    outbox = Outbox(settings, route=ServerRoute(connection, retry_delays=(0.1,)))
    outcome = outbox.send((RAW, ENV), document="devis 42")
    assert not outcome.ok and outcome.error.kind == "unknown"
    assert "outcome UNKNOWN" in "\n".join(outcome.summary_lines())
    assert not (tmp_path / "pickup").exists() or list((tmp_path / "pickup").iterdir()) == []
    assert len(smtpd.handler.wait_for(1)) == 1


def test_idempotency_key_is_the_message_id_or_a_fresh_uuid():
    from viewer.mail.routes.server import idempotency_key

    assert idempotency_key(RAW) == "d42@example.com"
    assert idempotency_key(RAW.replace(b"Subject: Devis 42\r\nMessage-ID: <d42@example.com>", b"Message-ID: <d42@example.com>\r\nSubject: Devis 42")) == "d42@example.com"
    no_id = RAW.replace(b"Message-ID: <d42@example.com>\r\n", b"")
    first, second = idempotency_key(no_id), idempotency_key(no_id)
    assert first != second and len(first) == 36
    assert idempotency_key(RAW.replace(b"<d42@example.com>", b"<has space@x>")) != "has space@x"
