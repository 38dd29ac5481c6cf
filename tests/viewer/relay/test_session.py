"""The listener's SMTP session: aiosmtpd's behaviour kept, set up from a per-class table, DATA read in chunks."""

from __future__ import annotations

import asyncio
import smtplib

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.smtpd import free_port
from tests.viewer.relay.conftest import make_config
from viewer.relay.guard import ClientGuard
from viewer.relay.listener import Listener, RelayHandler
from viewer.relay.queue import Queue
from viewer.relay.session import FAST_SETUP, RelaySMTP, Tables


def _session(handler, tables=None, **kwargs) -> RelaySMTP:
    guard = ClientGuard(max_connections=1, max_per_client=1, auth_delay=0)
    return RelaySMTP(handler, guard=guard, auth_max_failures=3, tables=tables, hostname="relay.test", **kwargs)


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.mark.skipif(not FAST_SETUP, reason="the fast set-up is for aiosmtpd 1.4 only")
def test_fast_setup_builds_what_aiosmtpd_builds(tmp_path, loop):
    config = make_config(tmp_path, None)
    handler = RelayHandler(Queue(config.queue_dir), config.listener)
    kwargs = {"data_size_limit": 1000, "enable_SMTPUTF8": True, "auth_require_tls": True, "timeout": 30.0}
    fast = _session(handler, Tables(RelaySMTP, handler), **kwargs)
    slow = _session(handler, None, **kwargs)
    assert set(vars(fast)) == set(vars(slow))
    for name in ("_smtp_methods", "_handle_hooks", "_auth_methods"):
        assert getattr(fast, name).keys() == getattr(slow, name).keys(), name
    assert fast._smtp_methods["DATA"].__self__ is fast
    assert [m.is_builtin for m in fast._auth_methods.values()] == [m.is_builtin for m in slow._auth_methods.values()]
    plain = (bool, int, float, str, type(None))
    for name, value in vars(slow).items():  # every plain setting is the same
        if isinstance(value, plain):
            assert getattr(fast, name) == value, name


_ATOM = st.text(alphabet="abcxyz019!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(local=st.lists(_ATOM, min_size=1, max_size=3), domain=st.lists(_ATOM, min_size=1, max_size=3),
       before=st.sampled_from(["", " "]), after=st.sampled_from(["", " SIZE=100", "BODY=8BITMIME", "  SMTPUTF8", ">"]),
       close=st.sampled_from([">", ""]))
def test_address_fast_path_agrees_with_aiosmtpd(local, domain, before, after, close):
    loop = asyncio.new_event_loop()
    try:
        session = _session(object(), loop=loop)
        arg = f"{before}<{'.'.join(local)}@{'.'.join(domain)}{close}{after}"
        assert session._getaddr(arg) == SMTP._getaddr(session, arg)
    finally:
        loop.close()


@pytest.fixture
def listener(tmp_path):
    config = make_config(tmp_path, None, listener={"enabled": True, "port": free_port()},
                         queue={"max_message_size": 5000})
    queue = Queue(config.queue_dir)
    queue.register()
    lst = Listener(config, queue)
    lst.start()
    yield lst
    lst.stop()


def test_data_dot_stuffing_and_a_lone_dot_inside(listener):
    body = b".starts with a dot\r\n..two dots\r\n.\r\na lone dot above\r\n" + b"".join(b".%d\r\n" % n for n in range(50))
    message = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: dots\r\n\r\n" + body
    with smtplib.SMTP("127.0.0.1", listener.config.port, timeout=10) as c:
        c.sendmail("a@example.com", ["b@example.com"], message)  # smtplib stuffs the dots
        c.sendmail("a@example.com", ["b@example.com"], b"Subject: second on the same connection\r\n\r\nbody\r\n")
    first, second = sorted(listener.handler.queue.due())
    assert first.read_bytes().endswith(message)
    assert second.read_bytes().endswith(b"Subject: second on the same connection\r\n\r\nbody\r\n")


def test_data_limits_kept(listener):
    with smtplib.SMTP("127.0.0.1", listener.config.port, timeout=10) as c:
        c.ehlo()
        c.mail("a@example.com")
        c.rcpt("b@example.com")
        code, _ = c.data(b"Subject: big\r\n\r\n" + b"x" * 60 + b"\r\n" + b"y" * 6000 + b"\r\n")
        assert code == 552
        c.mail("a@example.com")
        c.rcpt("b@example.com")
        code, reply = c.data(b"Subject: long line\r\n\r\n" + b"z" * 1200 + b"\r\n")
        assert code == 500 and b"Line too long" in reply
        assert c.noop()[0] == 250  # the session goes on
    assert listener.handler.queue.due() == []


def test_pipelined_command_after_the_data_is_kept(listener):
    import socket

    with socket.create_connection(("127.0.0.1", listener.config.port), timeout=10) as s:
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"HELO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
        replies = [f.readline() for _ in range(4)]
        assert replies[-1].startswith(b"354")
        s.sendall(b"Subject: s\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")  # the next commands in the same packet
        assert f.readline().startswith(b"250 2.0.0 Queued as")
        assert f.readline().startswith(b"250")  # NOOP
        assert f.readline().startswith(b"221")
    assert len(listener.handler.queue.due()) == 1


def test_a_slow_message_is_not_cut_by_the_idle_timeout(tmp_path):
    import socket
    import time

    config = make_config(tmp_path, None, listener={"enabled": True, "port": free_port(), "idle_timeout": 0.5})
    queue = Queue(config.queue_dir)
    queue.register()
    lst = Listener(config, queue)
    lst.start()
    try:
        with socket.create_connection(("127.0.0.1", config.listener.port), timeout=10) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"HELO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
            assert [f.readline()[:3] for _ in range(4)] == [b"250", b"250", b"250", b"354"]
            s.sendall(b"Subject: slow\r\n\r\n")
            for n in range(5):  # 1.5 s in all, never 0.5 s without a byte
                time.sleep(0.3)
                s.sendall(b"line %d\r\n" % n)
            s.sendall(b".\r\n")
            assert f.readline().startswith(b"250 2.0.0 Queued as")
    finally:
        lst.stop()
    assert len(queue.due()) == 1
