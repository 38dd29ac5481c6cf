"""The relay's SMTP listener: relay rules, AUTH over TLS only, SIZE, 250 only once queued."""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
import threading

import pytest

from tests.support.smtpd import free_port
from tests.viewer.relay.conftest import auth_plain, banner, check_per_client_cap, connect, make_config, simple_message
from viewer.relay.listener import Listener, ListenerError, RelayHandler, relay_allowed
from viewer.relay.message import parse_message
from viewer.relay.queue import Queue

RELAY_DENIED = 550


@pytest.fixture
def listen(tmp_path):
    started = []

    def make(**listener):
        listener = {"enabled": True, "port": free_port(), **listener}
        config = make_config(tmp_path, None, listener=listener, queue=listener.pop("queue", {}))
        queue = Queue(config.queue_dir)
        queue.register()
        queued = threading.Event()
        lst = Listener(config, queue, on_queued=lambda qid, parsed: queued.set())
        lst.start()
        started.append(lst)
        lst.queue, lst.queued = queue, queued
        return lst

    yield make
    for lst in started:
        lst.stop()


def _client(lst, **kw) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", lst.config.port, timeout=10, **kw)


def test_relay_from_allowed_network_is_queued_before_250(listen):
    lst = listen()
    with _client(lst) as c:
        c.ehlo()
        c.mail("alice@example.com")
        assert c.rcpt("bob@example.com")[0] == 250
        code, reply = c.data(simple_message(1))
        assert code == 250 and b"Queued as" in reply
        qid = reply.split()[-1].decode()
        # The 250 came after the message was in the queue (fsynced there).
        path = lst.queue.incoming / f"{qid}.eml"
        assert path.exists()
    parsed = parse_message(path.read_bytes())
    assert parsed.sender == "alice@example.com" and parsed.recipients == ("bob@example.com",)
    assert lst.queued.is_set()


def test_null_sender_accepted(listen):
    lst = listen()
    with _client(lst) as c:
        c.sendmail("", ["bob@example.com"], simple_message())
    (path,) = lst.queue.due()
    assert parse_message(path.read_bytes()).sender == ""


def test_relay_from_elsewhere_unauthenticated_is_refused(listen):
    lst = listen(relay_networks=["10.0.0.0/8"])
    with _client(lst) as c:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
            c.sendmail("alice@example.com", ["bob@example.com"], simple_message())
    code, reply = err.value.recipients["bob@example.com"]
    assert code == RELAY_DENIED and reply.startswith(b"5.7.1")
    assert lst.queue.due() == []


def test_auth_over_plain_connection_refused(listen, tls_files):
    lst = listen(relay_networks=[], tls_cert=str(tls_files), tls_key=str(tls_files), users={"scanner": "pw-1234"})
    with _client(lst) as c:
        c.ehlo()
        assert not c.has_extn("auth")
        code, _ = c.docmd("AUTH", "PLAIN AHNjYW5uZXIAcHctMTIzNA==")
        assert code >= 500
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            c.sendmail("alice@example.com", ["bob@example.com"], simple_message())


def test_authenticated_over_starttls_may_relay(listen, tls_files, ca_file):
    lst = listen(relay_networks=[], tls_cert=str(tls_files), tls_key=str(tls_files), users={"scanner": "pw-1234"})
    with _client(lst) as c:
        c.starttls(context=ssl.create_default_context(cafile=str(ca_file)))
        c.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login("scanner", "wrong")
    with _client(lst) as c:
        c.starttls(context=ssl.create_default_context(cafile=str(ca_file)))
        c.login("scanner", "pw-1234")
        c.sendmail("alice@example.com", ["bob@example.com"], simple_message())
    assert len(lst.queue.due()) == 1


def test_require_tls(listen, tls_files):
    lst = listen(tls_cert=str(tls_files), tls_key=str(tls_files), require_tls=True)
    with _client(lst) as c:
        c.ehlo()
        code, _ = c.mail("alice@example.com")
        assert code == 530


def test_size_advertised_and_enforced(listen):
    lst = listen(queue={"max_message_size": 1000})
    with _client(lst) as c:
        c.ehlo()
        assert c.esmtp_features["size"] == "1000"
        with pytest.raises(smtplib.SMTPException) as err:
            c.sendmail("alice@example.com", ["bob@example.com"], simple_message(extra="X-Pad: " + "x" * 2000 + "\r\n"))
    assert "552" in str(err.value) or getattr(err.value, "smtp_code", 0) == 552
    assert lst.queue.due() == []


def test_malformed_content_refused(listen):
    lst = listen()
    with _client(lst) as c:
        with pytest.raises(smtplib.SMTPDataError) as err:
            c.sendmail("alice@example.com", ["bob@example.com"], b"no headers here, just words\r\n")
    assert err.value.smtp_code == 550 and lst.queue.due() == []


def test_envelope_lines_in_content_refused(listen):
    lst = listen()
    with _client(lst) as c:
        with pytest.raises(smtplib.SMTPDataError) as err:
            c.sendmail("alice@example.com", ["bob@example.com"], b"x-receiver: victim@example.com\r\n" + simple_message())
    assert err.value.smtp_code == 550 and lst.queue.due() == []


def test_queue_failure_answers_451_never_250(listen, monkeypatch):
    lst = listen()

    def broken(datas):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lst.queue, "store_batch", broken)
    with _client(lst) as c:
        with pytest.raises(smtplib.SMTPDataError) as err:
            c.sendmail("alice@example.com", ["bob@example.com"], simple_message())
    assert err.value.smtp_code == 451


def test_port_in_use_fails_loudly(listen):
    lst = listen()
    with pytest.raises(ListenerError, match="cannot start"):
        listen(port=lst.config.port)


def test_bad_certificate_fails_loudly(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    config = make_config(tmp_path, None, listener={"enabled": True, "tls_cert": str(junk), "tls_key": str(junk)})
    with pytest.raises(ListenerError, match="cannot load the certificate"):
        Listener(config, Queue(config.queue_dir))


def test_relay_allowed_rules():
    nets = [ipaddress.ip_network("192.168.1.0/24")]
    assert relay_allowed("192.168.1.7", nets, False)
    assert relay_allowed("::ffff:192.168.1.7", nets, False)
    assert not relay_allowed("192.168.2.7", nets, False)
    assert relay_allowed("8.8.8.8", nets, True)
    assert not relay_allowed("garbage", nets, False)
    assert isinstance(RelayHandler, type)


def test_invalid_addresses_refused_at_once(listen):
    lst = listen()
    with _client(lst) as c:
        c.ehlo()
        code, reply = c.docmd("MAIL FROM:<not an address>")
        assert code == 553 and reply.startswith(b"5.1.7")
        assert c.mail("alice@example.com")[0] == 250
        for bad in ("<nobody>", "<@example.com>", "<bob@>"):
            code, reply = c.docmd(f"RCPT TO:{bad}")
            assert code == 553 and reply.startswith(b"5.1.3"), bad
        assert c.docmd("RCPT TO:<a,b@example.com>")[0] in (501, 553)  # aiosmtpd's own syntax check or ours
        assert c.rcpt("bob@example.com")[0] == 250
        assert c.data(simple_message(1))[0] == 250
    (path,) = lst.queue.due()
    assert parse_message(path.read_bytes()).recipients == ("bob@example.com",)


def test_relay_check_comes_before_the_address_check(listen):
    lst = listen(relay_networks=["10.0.0.0/8"])
    with _client(lst) as c:
        c.ehlo()
        c.mail("alice@example.com")
        assert c.docmd("RCPT TO:<nobody>")[0] == 550  # a stranger learns nothing more than "denied"


def test_size_enforced_on_the_data_when_the_client_does_not_declare_it(listen):
    lst = listen(queue={"max_message_size": 1000})
    big = simple_message(extra="".join(f"X-Pad-{n}: {'x' * 70}\r\n" for n in range(30)))
    assert len(big) > 1000
    with _client(lst) as c:
        c.ehlo()
        assert c.mail("alice@example.com")[0] == 250  # no SIZE= parameter
        assert c.rcpt("bob@example.com")[0] == 250
        code, _ = c.data(big)
    assert code == 552 and lst.queue.due() == []


# -- limits (issue 12.4, 12.7, 12.8) -------------------------------------------------------


def test_recipients_per_message_capped_with_452(listen):
    lst = listen(max_recipients=5)
    with _client(lst) as c:
        c.ehlo()
        c.mail("alice@example.com")
        codes = [c.rcpt(f"r{n}@example.com") for n in range(8)]
        assert [code for code, _ in codes] == [250] * 5 + [452] * 3
        assert codes[-1][1] == b"4.5.3 Too many recipients"
        assert c.data(simple_message())[0] == 250
    (path,) = lst.queue.due()
    assert parse_message(path.read_bytes()).recipients == tuple(f"r{n}@example.com" for n in range(5))


def test_recipients_default_cap_is_100(listen):
    lst = listen()
    with _client(lst) as c:
        c.ehlo()
        c.mail("alice@example.com")
        codes = [c.rcpt(f"r{n}@example.com")[0] for n in range(101)]
    assert codes.count(250) == 100 and codes[-1] == 452


def test_connections_per_client_capped_others_still_served(listen):
    lst = listen(max_connections_per_client=3, relay_networks=["127.0.0.0/8"])
    check_per_client_cap(lst.config.port, lst.queue, 3)


def test_total_connections_capped_and_freed_on_close(listen):
    lst = listen(max_connections=2, max_connections_per_client=50)
    first, second = connect(lst.config.port), connect(lst.config.port)
    assert banner(first).startswith(b"220") and banner(second).startswith(b"220")
    third = connect(lst.config.port)
    assert banner(third).startswith(b"421")
    third.close()
    first.close()
    for _ in range(100):  # the listener sees the close a moment later
        again = connect(lst.config.port)
        greeting = banner(again)
        again.close()
        if greeting.startswith(b"220"):
            break
        threading.Event().wait(0.05)
    assert greeting.startswith(b"220")
    second.close()


def test_idle_client_disconnected_after_idle_timeout(listen):
    lst = listen(idle_timeout=0.3)
    sock = connect(lst.config.port)
    assert banner(sock).startswith(b"220")
    sock.settimeout(10)
    assert sock.recv(200).startswith(b"421 4.4.2")  # nothing sent: the listener gives up on us
    sock.close()


def test_auth_brute_force_disconnected_counted_and_logged(listen, tls_files, ca_file, caplog):
    lst = listen(relay_networks=[], tls_cert=str(tls_files), tls_key=str(tls_files), users={"scanner": "pw-1234"},
                 auth_max_failures=3, auth_delay=0.01)
    ctx = ssl.create_default_context(cafile=str(ca_file))
    replies = []
    with caplog.at_level("WARNING", logger="viewer.relay.listener"):
        with _client(lst) as c:
            c.starttls(context=ctx)
            c.ehlo()
            with pytest.raises(smtplib.SMTPServerDisconnected):
                for n in range(200):
                    replies.append(c.docmd("AUTH", "PLAIN " + auth_plain("scanner", f"guess-{n}")))
    assert [code for code, _ in replies] == [535, 535, 421]  # the third failure closes the connection
    assert lst.guard.failures("127.0.0.1") == 3
    assert lst.guard.auth_delay("127.0.0.1") == pytest.approx(0.04)  # doubles with each failure
    lines = [r.getMessage() for r in caplog.records]
    assert sum("authentication failed for user 'scanner' from 127.0.0.1" in m for m in lines) == 3
    assert any("closing the connection from 127.0.0.1 after 3 failed logins" in m for m in lines)
    # The right password from that address still works (after the wait), and nothing was lost.
    with _client(lst) as c:
        c.starttls(context=ctx)
        c.login("scanner", "pw-1234")
        c.sendmail("alice@example.com", ["bob@example.com"], simple_message())
    assert len(lst.queue.due()) == 1


def test_a_user_logs_in_however_the_accents_and_spaces_of_the_password_are_typed(listen, tls_files, ca_file):
    """SASLprep (RFC 4013) on both sides of the comparison: relay.toml holds one form, clients send others."""
    lst = listen(relay_networks=[], tls_cert=str(tls_files), tls_key=str(tls_files), auth_max_failures=10,
                 auth_delay=0, users={"scanner": "cafe\u0301 cre\u0300me"})
    for typed, code in (("café crème", 235), ("café\u00a0crème", 235), ("cafe\u0301 cre\u0300me", 235), ("cafe creme", 535)):
        with _client(lst) as c:
            c.starttls(context=ssl.create_default_context(cafile=str(ca_file)))
            c.ehlo()
            assert c.docmd("AUTH", "PLAIN " + auth_plain("scanner", typed))[0] == code, typed  # UTF-8, as typed


def test_the_viewers_own_smtp_route_logs_in_to_the_relay_with_a_typed_no_break_space(listen, tls_files, ca_file):
    from viewer.mail.routes.base import Envelope
    from viewer.mail.routes.smtp import SmtpRoute

    lst = listen(relay_networks=[], tls_cert=str(tls_files), tls_key=str(tls_files), users={"scanner": "été 2026"})
    route = SmtpRoute("127.0.0.1", lst.config.port, timeout=10, security="starttls", ca_file=str(ca_file), user="scanner",
                      password="e\u0301te\u0301\u00a02026")
    route.send(simple_message(), Envelope("alice@example.com", ("bob@example.com",)))
    assert len(lst.queue.due()) == 1
