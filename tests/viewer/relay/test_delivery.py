"""Delivery attempts against a scripted smart host: retries, expiry, reports, badmail."""

from __future__ import annotations

import email
import json
import time
from email import policy

import pytest

from tests.support.smtpd import RecordingHandler, free_port
from tests.viewer.relay.conftest import make_config, outcomes
from viewer.mail.routes.base import Envelope, Route, SendResult
from viewer.relay.delivery import BADMAIL, DEFERRED, FAILED, SENT, Deliverer, DeliveryPool, smarthost_route
from viewer.relay.journal import Journal
from viewer.relay.message import pickup_bytes
from viewer.relay.queue import Queue

SENDER = "alice@example.com"


class Relay:
    """A queue + deliverer + route around a test smart host; ``attempt()`` tries every due message once."""

    def __init__(self, tmp_path, server, **sections) -> None:
        self.config = make_config(tmp_path, server, **sections)
        self.queue = Queue(self.config.queue_dir, badmail=self.config.badmail_dir)
        self.queue.register()
        self.journal = Journal(self.config.log_dir / "Smtp.log")
        self.deliverer = Deliverer(self.config, self.queue, self.journal)
        self.route = smarthost_route(self.config)

    def put(self, recipients=("bob@example.com",), sender=SENDER, subject="Quote 42") -> str:
        content = f"From: {sender or 'MAILER-DAEMON@x.test'}\r\nTo: bob@example.com\r\nSubject: {subject}\r\n\r\nHello\r\n".encode()
        return self.queue.store(pickup_bytes(sender, list(recipients), content))

    def attempt(self, later: float = 0.0) -> list[str]:
        states = []
        for path in self.queue.due(now=time.time() + later):
            claimed = self.queue.claim(path)
            if claimed:
                states.append(self.deliverer.process(claimed, self.route))
        return states

    def age(self, qid: str, seconds: float) -> None:
        meta = self.queue.load_meta(qid)
        assert meta is not None
        meta["created"] -= seconds
        self.queue.save_meta(qid, meta)

    def journal_lines(self) -> list[list[str]]:
        return [line.split("\t") for line in (self.config.log_dir / "Smtp.log").read_text().splitlines()]

    def outcomes(self) -> list[str]:
        return outcomes(self.config.log_dir / "Smtp.log")

    def close(self) -> None:
        self.route.close()


@pytest.fixture
def relay_for(tmp_path):
    made = []

    def make(server, **sections) -> Relay:
        r = Relay(tmp_path, server, **sections)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def _dsn(received):
    msg = email.message_from_bytes(received.data, policy=policy.compat32)
    assert msg.get_content_type() == "multipart/report"
    status = msg.get_payload()[1]
    blocks = status.get_payload()
    return msg, blocks[0], blocks[1:]


def test_delivered_and_removed_with_journal_line(smtpd, relay_for):
    r = relay_for(smtpd)
    qid = r.put()
    assert r.attempt() == [SENT]
    (got,) = smtpd.messages
    assert got.mail_from == SENDER and got.rcpt_tos == ["bob@example.com"]
    assert b"x-sender" not in got.data.lower()
    st = r.queue.status()
    assert (st.incoming, st.active, st.deferred) == (0, 0, 0)
    (line,) = r.journal_lines()
    assert line[1:4] == ["Quote 42", SENDER, "bob@example.com"] and line[4].startswith("OK 250") and line[5] == qid


def test_4xx_then_success_after_retry(smtpd_factory, relay_for):
    server = smtpd_factory(handler=RecordingHandler(data_replies=["451 4.3.0 try again later"]))
    r = relay_for(server)
    qid = r.put()
    assert r.attempt() == [DEFERRED]
    assert r.attempt() == []  # not due yet
    meta = r.queue.load_meta(qid)
    assert meta["pending"] == ["bob@example.com"] and len(meta["attempts"]) == 1
    assert r.attempt(later=1) == [SENT]
    assert len(server.messages) == 1
    assert r.outcomes() == ["DEFERRED", "SENT"]
    assert r.queue.load_meta(qid) is None


def test_expiry_produces_a_report(smtpd_factory, relay_for):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={"bob@example.com": "451 4.2.1 mailbox busy"}))
    r = relay_for(server, retry={"max_age": 60.0})
    qid = r.put()
    assert r.attempt() == [DEFERRED]
    r.age(qid, 120)
    assert r.attempt(later=1) == [FAILED]
    (report,) = server.messages
    assert report.mail_from == "<>" and report.rcpt_tos == [SENDER]
    _, _, (rcpt,) = _dsn(report)
    assert rcpt["Action"] == "failed" and rcpt["Status"] == "4.4.7"
    assert "mailbox busy" in rcpt["Diagnostic-Code"]
    assert r.queue.status().deferred == 0
    assert "EXPIRED" in r.outcomes()


def test_5xx_for_one_of_two_recipients(smtpd_factory, relay_for):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={"bad@example.com": "550 5.1.1 no such user"}))
    r = relay_for(server, reports={"copies": ["postmaster@relay.test"]})
    r.put(recipients=("good@example.com", "bad@example.com"))
    assert r.attempt() == [FAILED]
    original, report = server.messages
    assert original.rcpt_tos == ["good@example.com"]
    assert report.mail_from == "<>" and report.rcpt_tos == [SENDER, "postmaster@relay.test"]
    msg, per_message, per_rcpt = _dsn(report)
    assert len(per_rcpt) == 1
    assert per_rcpt[0]["Final-Recipient"] == "rfc822; bad@example.com"
    assert per_rcpt[0]["Action"] == "failed" and per_rcpt[0]["Status"] == "5.1.1"
    assert "550 5.1.1 no such user" in per_rcpt[0]["Diagnostic-Code"]
    assert "Quote 42" in msg.get_payload()[2].get_payload()
    assert r.queue.status().incoming == r.queue.status().deferred == 0


def test_report_refused_too_goes_to_badmail_and_nothing_loops(smtpd_factory, relay_for):
    handler = RecordingHandler(rcpt_replies={"bob@example.com": "550 5.1.1 no such user", SENDER: "550 5.1.1 sender unknown too"})
    server = smtpd_factory(handler=handler)
    r = relay_for(server)
    qid = r.put()
    assert r.attempt() == [BADMAIL]
    assert r.attempt(later=10_000) == []
    assert server.messages == []
    log = (r.queue.badmail / f"{qid}.log").read_text()
    assert "no such user" in log and "sender unknown too" in log
    assert (r.queue.badmail / f"{qid}.eml").exists()


def test_no_report_about_a_report(smtpd_factory, relay_for):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={"bob@example.com": "550 5.1.1 gone"}))
    r = relay_for(server)
    qid = r.put(sender="")
    assert r.attempt() == [BADMAIL]
    assert server.messages == []
    assert "null sender" in (r.queue.badmail / f"{qid}.log").read_text()


def test_temporary_and_permanent_mix(smtpd_factory, relay_for):
    replies = {"later@example.com": "452 4.2.2 over quota", "bad@example.com": "550 5.1.1 unknown"}
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies=replies))
    r = relay_for(server)
    qid = r.put(recipients=("ok@example.com", "later@example.com", "bad@example.com"))
    assert r.attempt() == [DEFERRED]
    original, report = server.messages
    assert original.rcpt_tos == ["ok@example.com"]
    assert [b["Final-Recipient"] for b in _dsn(report)[2]] == ["rfc822; bad@example.com"]
    assert r.queue.load_meta(qid)["pending"] == ["later@example.com"]
    del replies["later@example.com"]
    assert r.attempt(later=1) == [SENT]
    assert server.messages[-1].rcpt_tos == ["later@example.com"]


def test_delay_notice_sent_once(smtpd_factory, relay_for):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={"bob@example.com": "451 4.4.1 no answer"}))
    r = relay_for(server, retry={"delay_notice": 600.0})
    qid = r.put()
    assert r.attempt() == [DEFERRED]
    assert server.messages == []
    r.age(qid, 700)
    assert r.attempt(later=1) == [DEFERRED]
    assert r.attempt(later=1) == [DEFERRED]
    (notice,) = server.messages
    _, _, (rcpt,) = _dsn(notice)
    assert rcpt["Action"] == "delayed" and notice.mail_from == "<>"


def test_smart_host_down_defers(tmp_path, relay_for):
    class Closed:
        port = free_port()

    r = relay_for(Closed())
    qid = r.put()
    assert r.attempt() == [DEFERRED]
    reply = r.queue.load_meta(qid)["attempts"][0]["results"][0]["reply"]
    assert "cannot connect" in reply


def test_authentication_refused_defers_not_bounces(smtpd_factory, relay_for, ca_file):
    server = smtpd_factory(mode="starttls", auth=("relay", "right-password"))
    r = relay_for(server, smarthost={"security": "starttls", "ca_file": str(ca_file), "user": "relay", "password": "wrong-password"})
    r.put()
    assert r.attempt() == [DEFERRED]
    assert server.messages == []


def test_starttls_auth_delivery_never_logs_the_password(smtpd_factory, relay_for, ca_file):
    server = smtpd_factory(mode="starttls", auth=("relay", "p4ss-w0rd"))
    r = relay_for(server, smarthost={"security": "starttls", "ca_file": str(ca_file), "user": "relay", "password": "p4ss-w0rd"})
    r.put()
    assert r.attempt() == [SENT]
    assert server.messages[0].login == "relay"
    for f in r.config.log_dir.iterdir():
        assert "p4ss-w0rd" not in f.read_text()


def test_corrupt_queue_file_goes_to_badmail(smtpd, relay_for):
    r = relay_for(smtpd)
    bad = r.queue.incoming / "0000000000000deadbeefcafe.eml"
    bad.write_bytes(b"\x00\x01 garbage without headers")
    assert r.attempt() == [BADMAIL]
    assert "malformed" in (r.queue.badmail / "0000000000000deadbeefcafe.log").read_text()


def test_oversized_queue_file_goes_to_badmail(smtpd, relay_for):
    r = relay_for(smtpd, queue={"max_message_size": 50})
    qid = r.put(subject="x" * 100)
    assert r.attempt() == [BADMAIL]
    assert "over the limit" in (r.queue.badmail / f"{qid}.log").read_text()


def test_message_at_the_size_limit_is_sent_whatever_its_envelope_lines(smtpd, relay_for):
    r = relay_for(smtpd, queue={"max_message_size": 400})
    content = b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: at the limit\r\n\r\n"
    content += b"x" * (400 - len(content))
    recipients = [f"recipient{n}@example.com" for n in range(10)]
    r.queue.store(pickup_bytes(SENDER, recipients, content))  # as the listener does after accepting SIZE=400
    assert r.attempt() == [SENT]
    assert smtpd.messages[0].rcpt_tos == recipients


class _Exploding(Route):
    def send(self, message: bytes, envelope: Envelope) -> SendResult:
        raise RuntimeError("bug in a route")


def test_unexpected_route_error_defers(smtpd, relay_for):
    r = relay_for(smtpd)
    qid = r.put()
    path = r.queue.claim(r.queue.due()[0])
    assert r.deliverer.process(path, _Exploding()) == DEFERRED
    assert "bug in a route" in json.dumps(r.queue.load_meta(qid))


def test_pool_delivers_in_parallel_and_returns_unstarted(smtpd, relay_for):
    r = relay_for(smtpd)
    done = []
    pool = DeliveryPool(r.deliverer, lambda: smarthost_route(r.config), connections=3, idle_close=0.2,
                        on_done=lambda p, s: done.append(s))
    for _ in range(9):
        r.put()
    pool.start()
    for path in r.queue.due():
        pool.submit(r.queue.claim(path))
    smtpd.handler.wait_for(9)
    left = pool.stop()
    assert left == [] and len(smtpd.messages) == 9 and pool.load == 0
    assert done.count(SENT) == 9


def test_implicit_tls_smart_host(smtpd_factory, relay_for, ca_file):
    server = smtpd_factory(mode="tls")
    r = relay_for(server, smarthost={"security": "tls", "ca_file": str(ca_file)})
    r.put()
    assert r.attempt() == [SENT]
    assert len(server.messages) == 1


def test_untrusted_certificate_defers_and_says_why(smtpd_factory, relay_for):
    server = smtpd_factory(mode="starttls")
    r = relay_for(server, smarthost={"security": "starttls"})  # the test CA is not trusted
    qid = r.put()
    assert r.attempt() == [DEFERRED]
    assert server.messages == []
    assert "not trusted" in r.queue.load_meta(qid)["attempts"][0]["results"][0]["reply"]


def test_a_message_parsed_at_pickup_is_sent_without_reading_the_file_again(smtpd, relay_for):
    from viewer.relay.message import parse_message

    r = relay_for(smtpd)
    r.put()
    path = r.queue.claim(r.queue.due()[0])
    parsed = parse_message(path.read_bytes())
    path.write_bytes(b"garbage that would go to badmail if it were parsed again")
    assert r.deliverer.process(path, r.route, parsed, fresh=True) == SENT
    assert smtpd.messages[0].rcpt_tos == ["bob@example.com"] and b"Quote 42" in smtpd.messages[0].data
    assert not path.exists() and r.queue.load_meta(r.queue.qid(path)) is None
