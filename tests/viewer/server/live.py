"""A real uvicorn server on a loopback port, in a thread, for tests and benchmarks."""

from __future__ import annotations

import functools
import socket
import threading
from pathlib import Path
from typing import Any

import uvicorn

from viewer.server.app import create_app
from viewer.server.auth import hash_password
from viewer.server.config import ServerConfig
from viewer.server.run import uvicorn_options


@functools.cache
def hashed(password: str) -> str:
    """One scrypt per test password per session (the KDF is slow on purpose)."""
    return hash_password(password)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server(uvicorn.Server):
    """uvicorn.Server that signals when it is listening (or has given up)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


class LiveServer:
    """The spoolview server app on 127.0.0.1:<free port>; ``url`` once started."""

    def __init__(self, config: ServerConfig, *, route_factory: Any = None, certfile: str = "", keyfile: str = "", users: dict[str, str] | None = None) -> None:
        self.app = create_app(config, route_factory=route_factory)
        for name, password in (users or {}).items():
            self.app.state.db.add_user(name, hashed(password))
        self.port = free_port()
        config.host, config.port, config.certfile, config.keyfile = "127.0.0.1", self.port, certfile, keyfile
        options = {**uvicorn_options(config), "log_level": "warning", "lifespan": "off"}
        self.scheme = "https" if certfile else "http"
        self.server = _Server(uvicorn.Config(self.app, **options))
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def db(self) -> Any:
        return self.app.state.db

    def start(self) -> LiveServer:
        self.thread.start()
        if not self.server.ready.wait(30) or not self.server.started:
            raise RuntimeError("the test server did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # do not wait for idle keep-alive or half-open TLS connections
        self.thread.join(30)
        self.app.state.db.dispose()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def smtp_config(tmp: Path, smtpd: Any, *, from_identity: str = "sales@example.com", **overrides: Any) -> ServerConfig:
    """A server configuration sending directly to ``smtpd`` as ``from_identity``, journals under ``tmp``."""
    route = {
        "functions": {"send_direct": True, "host": smtpd.host, "port": smtpd.port, "from_identity": from_identity, "send_without_file": False},
        "copies": {"sent_folder": str(tmp / "sent"), "error_folder": str(tmp / "errors"), "log_folder": str(tmp / "log")},
        "advanced": {"delay_seconds": 0.0},
    }
    values: dict[str, Any] = {"database_url": f"sqlite:///{tmp / 'server.db'}", "route": route}
    values.update(overrides)
    return ServerConfig(**values)
