"""The pipelined smart-host route: same results as SmtpRoute, in two writes per message."""

from __future__ import annotations

import smtplib

import pytest

from tests.support.smtpd import RecordingHandler
from viewer.mail.routes.base import Envelope, PermanentError, TemporaryError
from viewer.relay.pipelining import PipeliningSmtpRoute

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nline one\r\n.leading dot\r\n"


class Pipelined(RecordingHandler):
    """The test smart host, advertising PIPELINING (aiosmtpd reads pipelined commands in order)."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture
def writes(monkeypatch):
    """How many times the route wrote to the socket (a round trip each, at most)."""
    count = [0]
    real = smtplib.SMTP.send

    def counting(self, s):
        count[0] += 1
        return real(self, s)

    monkeypatch.setattr(smtplib.SMTP, "send", counting)
    return count


def _route(server) -> PipeliningSmtpRoute:
    route = PipeliningSmtpRoute(server.host, server.port)
    route.open()
    return route


def test_one_write_for_the_commands_one_for_the_data(smtpd_factory, writes):
    server = smtpd_factory(handler=Pipelined())
    route = _route(server)
    try:
        before = writes[0]
        result = route.send(MESSAGE, Envelope("a@example.com", ("b@example.com", "c@example.com")))
        assert writes[0] - before == 2
    finally:
        route.close()
    assert [r.accepted for r in result.recipients] == [True, True]
    assert result.recipients[0].code == 250
    (got,) = server.messages
    assert got.rcpt_tos == ["b@example.com", "c@example.com"]
    assert b"\r\n.leading dot\r\n" in got.data  # the dot was doubled on the wire and undone by the server


def test_bare_line_feeds_become_crlf(smtpd_factory):
    server = smtpd_factory(handler=Pipelined())
    route = _route(server)
    try:
        route.send(b"Subject: lf\n\nbody\n", Envelope("a@example.com", ("b@example.com",)))
    finally:
        route.close()
    assert server.messages[0].data.startswith(b"Subject: lf\r\n\r\nbody")


def test_one_recipient_refused_the_other_delivered(smtpd_factory):
    server = smtpd_factory(handler=Pipelined(rcpt_replies={"x@example.com": "550 5.1.1 no such user"}))
    route = _route(server)
    try:
        result = route.send(MESSAGE, Envelope("a@example.com", ("x@example.com", "b@example.com")))
    finally:
        route.close()
    refused, accepted = result.recipients
    assert (refused.accepted, refused.code, refused.temporary) == (False, 550, False)
    assert "no such user" in refused.reply and accepted.accepted
    assert server.messages[0].rcpt_tos == ["b@example.com"]


@pytest.mark.parametrize(
    ("handler", "error", "words"),
    [
        (Pipelined(rcpt_replies={"b@example.com": "550 5.1.1 no such user"}), PermanentError, "refused every recipient"),
        (Pipelined(rcpt_replies={"b@example.com": "450 4.2.0 busy"}), TemporaryError, "refused every recipient"),
        (Pipelined(mail_reply="553 5.7.1 sender refused"), PermanentError, "refused the sender"),
        (Pipelined(data_replies=["451 4.3.0 try later"]), TemporaryError, "refused the message"),
    ],
)
def test_refusals_raise_like_smtproute_and_the_session_stays_usable(smtpd_factory, handler, error, words):
    server = smtpd_factory(handler=handler)
    route = _route(server)
    try:
        with pytest.raises(error, match=words) as info:
            route.send(MESSAGE, Envelope("a@example.com", ("b@example.com",)))
        if not info.value.whole:  # refused per recipient: every one is said refused
            assert [r.accepted for r in info.value.results] == [False]
        handler.rcpt_replies.clear()
        handler.mail_reply = None
        result = route.send(MESSAGE, Envelope("a@example.com", ("b@example.com",)))  # same connection, in step
    finally:
        route.close()
    assert result.recipients[0].accepted and len(server.messages) == 1


def test_server_without_pipelining_gets_one_command_at_a_time(smtpd, writes):
    route = _route(smtpd)
    try:
        before = writes[0]
        route.send(MESSAGE, Envelope("a@example.com", ("b@example.com",)))
        assert writes[0] - before >= 4
    finally:
        route.close()
    assert len(smtpd.messages) == 1


def test_null_sender_of_a_report(smtpd_factory):
    server = smtpd_factory(handler=Pipelined())
    route = _route(server)
    try:
        route.send(MESSAGE, Envelope("", ("b@example.com",)))
    finally:
        route.close()
    assert server.messages[0].mail_from == "<>" and server.messages[0].rcpt_tos == ["b@example.com"]
