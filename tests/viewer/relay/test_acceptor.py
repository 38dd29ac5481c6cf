"""The listener over several processes: one acceptor enforcing every limit, workers serving the sessions."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import ssl
import threading
import time

import pytest

from tests.support.smtpd import free_port
from tests.viewer.relay.conftest import auth_plain, banner, check_per_client_cap, connect, make_config, simple_message
from viewer.relay.acceptor import ListenerPool
from viewer.relay.listener import ListenerError
from viewer.relay.queue import Queue

pytestmark = pytest.mark.skipif(not hasattr(socket, "send_fds") or not os.uname().sysname == "Linux",
                                reason="listener worker processes need Linux")


@pytest.fixture
def pool(tmp_path):
    started = []

    def make(processes: int = 2, **listener):
        listener = {"enabled": True, "port": free_port(), "processes": processes, **listener}
        config = make_config(tmp_path, None, listener=listener)
        queue = Queue(config.queue_dir).ensure()
        queued: list[str] = []
        p = ListenerPool(config, processes, on_queued=lambda qid, parsed: queued.append(qid))
        p.start()
        started.append(p)
        p.queue, p.queued = queue, queued  # type: ignore[attr-defined]  # test bookkeeping on the fixture's object
        return p

    yield make
    for p in started:
        p.stop(timeout=20)


def _wait(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _queued_files(p: ListenerPool) -> set[str]:
    return {path.name.removesuffix(".eml") for path in p.queue.incoming.iterdir()}  # type: ignore[attr-defined]  # set by the fixture


def test_per_client_cap_holds_across_processes(pool):
    p = pool(max_connections_per_client=3, relay_networks=["127.0.0.0/8"])

    def spread_over_both_workers() -> None:  # the cap is not a per-process share
        assert len({id(worker) for _, worker in p.conns.values()}) == 2

    check_per_client_cap(p.config.port, p.queue, 3, while_held=spread_over_both_workers)


def test_total_cap_holds_across_processes_and_is_freed_on_close(pool):
    p = pool(max_connections=2, max_connections_per_client=50, relay_networks=["127.0.0.0/8"])
    first, second = connect(p.config.port), connect(p.config.port, "127.0.0.2")
    assert banner(first).startswith(b"220") and banner(second).startswith(b"220")
    third = connect(p.config.port, "127.0.0.3")
    assert banner(third).startswith(b"421 4.7.0 Too many connections")
    third.close()
    first.close()  # the worker reports the close; the acceptor counts it out
    assert _wait(lambda: p.guard.connections == 1)
    again = connect(p.config.port, "127.0.0.3")
    assert banner(again).startswith(b"220")
    again.close()
    second.close()
    assert _wait(lambda: p.guard.connections == 0 and not p.conns)


def test_failed_logins_are_counted_per_address_whatever_the_worker(pool, tls_files, ca_file, caplog):
    p = pool(relay_networks=[], tls_cert=str(tls_files), tls_key=str(tls_files), users={"scanner": "pw-1234"},
             auth_max_failures=3, auth_delay=0.01)
    ctx = ssl.create_default_context(cafile=str(ca_file))
    clients = [smtplib.SMTP("127.0.0.1", p.config.port, timeout=10) for _ in range(2)]
    try:
        assert len({id(worker) for _, worker in p.conns.values()}) == 2  # one session in each worker
        with caplog.at_level("WARNING", logger="viewer.relay.listener"):
            for c in clients:
                c.starttls(context=ctx)
                c.ehlo()
                assert c.docmd("AUTH", "PLAIN " + auth_plain("scanner", "guess"))[0] == 535
            # Two failures from one address, in two processes: one count, one doubling ladder. The
            # workers report them to this process a moment after their 535: waited for, count and log.
            second = "authentication failed for user 'scanner' from 127.0.0.1 (1 on this connection, 2 from this address)"
            logged = _wait(lambda: any(second in r.getMessage() for r in caplog.records))
        assert p.guard.failures("127.0.0.1") == 2
        assert p.guard.auth_delay("127.0.0.1") == pytest.approx(0.02)
        assert logged, [r.getMessage() for r in caplog.records]
        # The right password still works, only later.
        clients[0].login("scanner", "pw-1234")
        clients[0].sendmail("alice@example.com", ["bob@example.com"], simple_message())
    finally:
        for c in clients:
            c.close()
    assert len(p.queue.due()) == 1


def test_worker_killed_mid_session_loses_no_acknowledged_message_and_is_replaced(pool):
    p = pool()
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def session(n: int) -> None:
        while not stop.is_set():
            try:
                with smtplib.SMTP("127.0.0.1", p.config.port, timeout=10) as c:
                    c.ehlo()
                    c.mail("alice@example.com")
                    c.rcpt("bob@example.com")
                    code, reply = c.data(simple_message(n))
            except (OSError, smtplib.SMTPException):
                continue  # cut by the kill: never acknowledged; the client tries again
            if code == 250:
                with lock:
                    acknowledged.add(reply.decode().rsplit(" ", 1)[1])

    clients = [threading.Thread(target=session, args=(n,)) for n in range(4)]
    for t in clients:
        t.start()
    try:
        assert _wait(lambda: len(acknowledged) >= 20)
        victim = p.pids[0]
        os.kill(victim, signal.SIGKILL)  # mid-stream: sessions are receiving or waiting for their group commit
        assert _wait(lambda: victim not in p.pids and len(p.pids) == 2 and all(w.ready for w in p.workers))
        assert p.replaced == 1
        before = len(acknowledged)
        assert _wait(lambda: len(acknowledged) >= before + 20)  # both workers serve again
    finally:
        stop.set()
        for t in clients:
            t.join(20)
    assert acknowledged <= _queued_files(p)  # every 250 is a file in incoming/, the killed worker's too
    assert _wait(lambda: p.guard.connections == 0 and not p.conns)  # its connections were counted out


def test_stop_drains_a_message_being_received_and_closes_idle_sessions(pool):
    p = pool()
    idle = smtplib.SMTP("127.0.0.1", p.config.port, timeout=10)
    idle.ehlo()
    busy = smtplib.SMTP("127.0.0.1", p.config.port, timeout=10)
    busy.ehlo()
    busy.mail("alice@example.com")
    busy.rcpt("bob@example.com")
    assert busy.docmd("DATA")[0] == 354
    busy.send(simple_message(1)[:20])  # half a message: still receiving
    stopper = threading.Thread(target=p.stop)
    stopper.start()
    assert idle.getreply() == (421, b"4.3.2 The relay is stopping, try again later")
    busy.send(simple_message(1)[20:] + b"\r\n.\r\n")
    code, reply = busy.getreply()
    assert code == 250 and b"Queued as" in reply  # the message being received was finished
    stopper.join(30)
    assert not stopper.is_alive()
    assert _queued_files(p) == {reply.decode().rsplit(" ", 1)[1]}
    assert all(w.proc.returncode == 0 for w in p.workers)  # every worker drained and exited by itself
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", p.config.port), timeout=2).close()
    idle.close()
    busy.close()


def test_a_port_taken_is_one_error_and_starts_no_worker(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = make_config(tmp_path, None, listener={"enabled": True, "port": port, "processes": 2})
        p = ListenerPool(config, 2)
        with pytest.raises(ListenerError, match=f"cannot start on 127.0.0.1:{port}.*listener.port"):
            p.start()
        assert p.workers == []


def test_a_worker_that_cannot_start_stops_the_start_with_one_error(tmp_path, capfd):
    (tmp_path / "not-a-folder").write_text("")
    config = make_config(tmp_path, None, listener={"enabled": True, "port": free_port(), "processes": 2},
                         log={"folder": str(tmp_path / "not-a-folder" / "log")})
    p = ListenerPool(config, 2)
    with pytest.raises(ListenerError, match="worker processes did not start.*listener.processes = 1"):
        p.start()
    err = capfd.readouterr().err
    assert "listener worker" in err and "not-a-folder" in err and "Traceback" not in err
    assert all(w.proc.poll() is not None for w in p.workers)  # nothing left running
    with pytest.raises(OSError):  # the port was given back
        socket.create_connection(("127.0.0.1", p.config.port), timeout=2).close()


def test_workers_are_never_an_open_relay_and_listen_on_loopback_only(pool):
    p = pool(relay_networks=["10.0.0.0/8"])  # loopback not allowed: only authenticated users could relay
    assert p._sock is not None and p._sock.getsockname()[0] == "127.0.0.1"  # the default host
    for _ in range(4):  # over both workers
        with smtplib.SMTP("127.0.0.1", p.config.port, timeout=10) as c:
            c.ehlo()
            c.mail("alice@example.com")
            code, reply = c.rcpt("bob@example.com")
            assert code == 550 and b"5.7.1 Relaying denied" in reply
    assert not _queued_files(p)
