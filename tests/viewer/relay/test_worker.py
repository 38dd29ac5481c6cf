"""A listener worker process on its own: the packets it answers, the sessions it serves, how it ends."""

from __future__ import annotations

import base64
import os
import pickle
import socket
import ssl
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.sockets import recv_until, smtp_reply_done
from tests.viewer.relay.conftest import make_config, simple_message
from viewer.relay.config import SmartHostConfig
from viewer.relay.queue import Queue

pytestmark = pytest.mark.skipif(not hasattr(socket, "send_fds") or not os.uname().sysname == "Linux",
                                reason="listener worker processes need Linux")

ROOT = Path(__file__).resolve().parents[3]


def _start(config):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    proc = subprocess.Popen([sys.executable, "-m", "viewer.relay.worker", str(theirs.fileno())], cwd=ROOT,
                            pass_fds=[theirs.fileno()], stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
    theirs.close()
    assert proc.stdin is not None
    proc.stdin.write(pickle.dumps(config))
    proc.stdin.close()
    ours.settimeout(20)
    assert ours.recv(100) == b"R"
    return proc, ours, Queue(config.queue_dir).ensure()


@pytest.fixture
def worker(tmp_path):
    config = replace(make_config(tmp_path, None, listener={"enabled": True}), smarthost=SmartHostConfig())
    Queue(config.queue_dir).ensure()
    proc, ours, queue = _start(config)
    yield proc, ours, queue
    ours.close()
    proc.wait(20)


def _hand_over(channel: socket.socket, cid: int) -> socket.socket:
    """A real TCP connection on loopback: the client's end returned, the server's end handed to the worker."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname(), timeout=10)
        conn, _ = server.accept()
    socket.send_fds(channel, [b"C %d" % cid], [conn.fileno()])
    conn.close()
    return client


def _lines(sock: socket.socket) -> bytes:
    """One whole reply (all the lines of a multi-line one)."""
    return recv_until(sock, smtp_reply_done)


def test_a_handed_over_connection_is_served_reported_and_counted_out(worker):
    proc, channel, queue = worker
    client = _hand_over(channel, 7)
    assert _lines(client).startswith(b"220 relay.test")
    for command, code in ((b"HELO me", b"250"), (b"MAIL FROM:<alice@example.com>", b"250"),
                          (b"RCPT TO:<bob@example.com>", b"250"), (b"DATA", b"354")):
        client.sendall(command + b"\r\n")
        assert _lines(client).startswith(code)
    client.sendall(simple_message(3) + b".\r\n")
    reply = _lines(client)
    assert reply.startswith(b"250 2.0.0 Queued as ")
    qid = reply.split()[-1]
    assert channel.recv(100) == b"Q " + qid  # told only once durable: the file is in incoming/
    assert (queue.incoming / f"{qid.decode()}.eml").read_bytes().endswith(simple_message(3))
    client.sendall(b"QUIT\r\n")
    assert _lines(client).startswith(b"221")
    assert channel.recv(100) == b"X 7"
    client.close()


def test_auth_waits_and_failures_go_to_the_relay_process(tmp_path, server_cert, ca_file):
    pem = tmp_path / "server.pem"
    server_cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
    config = make_config(tmp_path, None, listener={"enabled": True, "tls_cert": str(pem), "tls_key": str(pem),
                                                   "users": {"scanner": "pw-1234"}, "relay_networks": []})
    proc, channel, _ = _start(replace(config, smarthost=SmartHostConfig()))
    try:
        client = _hand_over(channel, 9)
        assert _lines(client).startswith(b"220")
        client.sendall(b"EHLO me\r\n")
        assert b"STARTTLS" in _lines(client)
        client.sendall(b"STARTTLS\r\n")
        assert _lines(client).startswith(b"220")
        tls = ssl.create_default_context(cafile=str(ca_file)).wrap_socket(client, server_hostname="localhost")
        tls.sendall(b"EHLO me\r\n")
        assert b"AUTH" in _lines(tls)
        tls.sendall(b"AUTH PLAIN " + base64.b64encode(b"\0scanner\0guess") + b"\r\n")
        assert channel.recv(100) == b"A 9"  # the wait is the relay process's to say, for all workers alike
        channel.send(b"W 9 0.000")
        assert channel.recv(100) == b"F 9 1 " + b"scanner".hex().encode()  # counted there, per address
        assert _lines(tls).startswith(b"535")
        tls.close()
        assert channel.recv(100) == b"X 9"
    finally:
        channel.close()
        proc.wait(20)


def test_the_worker_drains_and_exits_when_the_relay_process_is_gone(worker):
    proc, channel, queue = worker
    client = _hand_over(channel, 1)
    assert _lines(client).startswith(b"220")
    channel.close()  # what a kill -9 of the relay process does to the worker's socket pair
    assert _lines(client) == b"421 4.3.2 The relay is stopping, try again later\r\n"
    assert proc.wait(20) == 0
    client.close()


def test_stop_packet_ends_the_worker_with_its_figures(worker):
    proc, channel, queue = worker
    channel.send(b"S")
    figures = channel.recv(100)
    assert figures.startswith(b"T ") and len(figures.split()) == 4
    assert proc.wait(20) == 0


def test_a_stopping_worker_finishes_the_message_being_received_and_turns_new_connections_away(worker):
    proc, channel, queue = worker
    busy = _hand_over(channel, 1)
    assert _lines(busy).startswith(b"220")
    for command in (b"HELO me", b"MAIL FROM:<alice@example.com>", b"RCPT TO:<bob@example.com>", b"DATA"):
        busy.sendall(command + b"\r\n")
        _lines(busy)
    busy.sendall(simple_message(5)[:10])  # inside DATA when the stop comes
    channel.send(b"S")
    late = _hand_over(channel, 2)
    assert _lines(late) == b"421 4.3.2 The relay is stopping, try again later\r\n"
    late.close()
    busy.sendall(simple_message(5)[10:] + b".\r\n")
    assert _lines(busy).startswith(b"250 2.0.0 Queued as ")
    assert busy.recv(100) == b""  # then closed
    busy.close()
    reports = b"\n".join(iter(lambda: channel.recv(4096), b"")).split(b"\n")
    assert b"X 2" in reports and b"X 1" in reports and any(r.startswith(b"Q ") for r in reports)
    assert proc.wait(20) == 0
    assert len(list(queue.incoming.iterdir())) == 1
