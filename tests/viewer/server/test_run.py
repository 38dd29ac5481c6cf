"""Listen options and the shared worker socket."""

from __future__ import annotations

import socket

import pytest

from viewer.server.config import ServerConfig, ServerConfigError
from viewer.server.run import listening_socket, uvicorn_options


def test_options_hide_the_software_and_bind_loopback():
    options = uvicorn_options(ServerConfig())
    assert options["host"] == "127.0.0.1"
    assert options["server_header"] is False


def test_tls_files_must_exist(tmp_path):
    with pytest.raises(ServerConfigError, match="certfile"):
        uvicorn_options(ServerConfig(certfile=str(tmp_path / "c.pem"), keyfile=str(tmp_path / "k.pem")))


def test_worker_socket_is_tcp_so_asyncio_sets_nodelay():
    sock = listening_socket("127.0.0.1", 0)
    with sock:
        assert sock.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY only then
        assert sock.get_inheritable()


def test_worker_socket_port_taken():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        with pytest.raises(ServerConfigError, match="cannot listen"):
            listening_socket("127.0.0.1", busy.getsockname()[1])
