"""Reading a raw socket in tests: what a server sends, up to the end of its reply."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


def recv_until(sock: socket.socket, complete: Callable[[bytes], bool]) -> bytes:
    """The bytes received until ``complete(data)`` holds or the peer closes (the socket's timeout applies)."""
    data = b""
    while not complete(data):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def smtp_reply_done(data: bytes) -> bool:
    """True once ``data`` ends with the last line of an SMTP reply (``250 ...``, not ``250-...``)."""
    return data.endswith(b"\r\n") and data.rsplit(b"\r\n", 2)[-2][3:4] != b"-"


def wait_listening(port: int, timeout: float = 20.0) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1 ``port`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False
