"""Fixtures for the relay tests: a relay configuration around a scripted smart host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from viewer.relay.config import RelayConfig, from_dict


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
