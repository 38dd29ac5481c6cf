"""Fixtures for the relay tests: a relay configuration around a scripted smart host."""

from __future__ import annotations

import base64
import smtplib
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.sockets import recv_until
from viewer.relay.config import RelayConfig, from_dict
from viewer.relay.queue import Queue
from viewer.relay.session import TOO_MANY_CONNECTIONS


def make_config(tmp_path: Path, server, **sections) -> RelayConfig:
    """A relay.toml-like configuration in ``tmp_path`` pointing at ``server`` (a test SmtpServer)."""
    data: dict[str, dict[str, Any]] = {
        "queue": {"folder": str(tmp_path / "queue")},
        "pickup": {"folder": str(tmp_path / "pickup"), "scan_interval": 0.2},
        "smarthost": {"host": "127.0.0.1", "port": server.port if server else 1, "connections": 2, "timeout": 5.0, "idle_close": 1.0},
        "retry": {"schedule": [0.2, 0.2], "interval": 0.3, "max_age": 3600.0},
        "listener": {"hostname": "relay.test"},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    (tmp_path / "pickup").mkdir(exist_ok=True)
    return from_dict(data, "test relay.toml")


@pytest.fixture
def relay_config(tmp_path: Path, smtpd):
    return make_config(tmp_path, smtpd)


@pytest.fixture
def tls_files(tmp_path: Path, server_cert) -> Path:
    """The test certificate's key and chain in one PEM file (the listener's tls_cert and tls_key)."""
    path = tmp_path / "server.pem"
    server_cert.private_key_and_cert_chain_pem.write_to_path(str(path))
    return path


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A raw TCP connection to the listener on ``port``, from the loopback address ``source``."""
    return socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))


def banner(sock: socket.socket) -> bytes:
    """The first line the server sends (its 220 greeting, or a 421 refusal), CRLF included."""
    sock.settimeout(10)
    return recv_until(sock, lambda data: data.endswith(b"\r\n"))


def check_per_client_cap(port: int, queue: Queue, cap: int, while_held: Callable[[], None] = lambda: None) -> None:
    """``cap`` connections from 127.0.0.1 are greeted (``while_held()`` runs with them open); one
    more is refused with 421 and closed by the server; another address is still served and queued."""
    held = [connect(port) for _ in range(cap)]
    try:
        assert all(banner(s).startswith(b"220") for s in held)
        while_held()
        extra = connect(port)
        assert banner(extra) == TOO_MANY_CONNECTIONS
        assert extra.recv(100) == b""  # closed by the server
        extra.close()
        # Another client address is not locked out by the first one's connections.
        with smtplib.SMTP("127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0)) as c:
            c.sendmail("alice@example.com", ["bob@example.com"], simple_message())
        assert len(queue.due()) == 1
    finally:
        for s in held:
            s.close()


def auth_plain(user: str, password: str) -> str:
    """The argument of ``AUTH PLAIN`` for ``user`` and ``password``."""
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


def drop(folder: Path, name: str, data: bytes, *, age: float = 0.0) -> Path:
    """Write a pickup file the way the reference does: temporary name, then rename.

    ``age``: seconds to date the file back (a bad file goes to badmail only once it has
    stayed unchanged for a while; a rename keeps the date).
    """
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(data)
    if age:
        import os
        import time

        then = time.time() - age
        os.utime(tmp, (then, then))
    final = folder / name
    tmp.rename(final)
    return final


def simple_message(n: int = 0, *, to: str = "bob@example.com", extra: str = "") -> bytes:
    return (
        f"From: Alice <alice@example.com>\r\nTo: {to}\r\n{extra}Subject: message {n}\r\n"
        f"Message-ID: <m{n}@test>\r\n\r\nHello {n}\r\n"
    ).encode()


def outcomes(journal: Path) -> list[str]:
    """What each Smtp.log line says happened: SENT, DEFERRED, FAILED, EXPIRED, REPORT, ..."""
    from viewer.mail.journal import read_log

    words = []
    for line in read_log(journal):
        first = line.reply.split(" ", 1)[0]
        words.append(first if line.status != "OK" or first in ("REPORT", "DELAY-NOTICE") else "SENT")
    return words
