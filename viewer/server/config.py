"""The application server's own settings: a TOML file (listen address, databases, route, limits)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viewer import paths, tomlconfig
from viewer.errors import SpoolviewError
from viewer.server.proxies import BadProxy, networks

ENV_CONFIG = "SPOOLVIEW_SERVER_CONFIG"  # how `server run --workers N` hands the file to workers
DEFAULT_PORT = 8470
MIB = 1024 * 1024


class ServerConfigError(SpoolviewError):
    """The server's configuration file is unreadable or holds a wrong value."""


@dataclass
class ServerConfig:
    """Everything ``spoolview server run`` needs; every field has a safe default.

    ``settings_file`` points at a viewer settings file whose route (pickup service or
    direct SMTP), journal folders and copies the server uses; ``route`` is a table laid
    out like that file (``[route.functions]``, ``[route.service]``, ``[route.copies]``, …)
    applied on top of it, so a server can be configured from one file.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database_url: str = ""  # empty: SQLite file in the server's data folder
    directory_url: str = ""  # empty: the directory's own default
    settings_file: str = ""  # a viewer settings file holding the server's route
    route: dict[str, Any] = field(default_factory=dict)
    token_minutes: float = 8 * 60.0
    max_message_bytes: int = 25 * MIB
    max_recipients: int = 100
    login_window_seconds: float = 15 * 60.0
    max_failures_per_user: int = 5
    max_failures_per_address: int = 20
    max_concurrent_logins: int = 2  # scrypt computations at once (16 MiB each)
    max_unauthenticated_body: int = 16 * 1024  # bytes a request without a token may post (/login)
    trusted_proxies: list[str] = field(default_factory=list)  # reverse proxies whose X-Forwarded-For counts
    idempotency_hours: float = 48.0  # how long a send's idempotency key and outcome are kept
    certfile: str = ""
    keyfile: str = ""
    workers: int = 1
    path: Path | None = None  # the file it was loaded from (not stored)

    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        folder = paths.ensure_private_dir(paths.data_dir() / "server")
        return f"sqlite:///{folder / 'server.db'}"


def default_config_file() -> Path:
    """``$SPOOLVIEW_SERVER_CONFIG`` if set, else ``config_dir()/server.toml``."""
    value = os.environ.get(ENV_CONFIG)
    return Path(value) if value else paths.config_dir() / "server.toml"


def load_config(path: str | Path | None = None) -> ServerConfig:
    """Read the server configuration; a missing default file gives the defaults."""
    explicit = path is not None
    file = Path(path) if path is not None else default_config_file()
    if not file.exists():
        if explicit:
            raise ServerConfigError(f"server configuration {file} not found: check the --config path")
        return ServerConfig(path=None)
    parsed = tomlconfig.read(file, ServerConfigError)
    if parsed is None:
        raise ServerConfigError(f"server configuration {file} not found: check the --config path")
    data, text = parsed
    if "server" in data:
        config = config_from_dict(data["server"], source=str(file), text=text, table=("server",))
    else:
        config = config_from_dict(data, source=str(file), text=text)
    config.path = file
    return config


def config_from_dict(data: dict[str, Any], *, source: str = "configuration", text: str = "",
                     table: tuple[str, ...] = ()) -> ServerConfig:
    """Build a ServerConfig from a mapping (the table ``table`` of the file), checking every key's type."""
    toml = tomlconfig.TomlFile(source, text, error=ServerConfigError, hide=lambda dotted: "password" in dotted)
    config: ServerConfig = toml.load(ServerConfig(), data, table, skip=("path",))
    if not 0 < config.port < 65536:
        raise ServerConfigError(f"{source}: port must be between 1 and 65535, not {config.port}")
    for key in (
        "token_minutes",
        "max_message_bytes",
        "max_recipients",
        "workers",
        "max_failures_per_user",
        "max_failures_per_address",
        "max_concurrent_logins",
        "max_unauthenticated_body",
        "idempotency_hours",
    ):
        if getattr(config, key) <= 0:
            raise ServerConfigError(f"{source}: {key} must be positive")
    if bool(config.certfile) != bool(config.keyfile):
        raise ServerConfigError(f"{source}: certfile and keyfile go together")
    if config.idempotency_hours < 24:
        raise ServerConfigError(f"{source}: idempotency_hours must be at least 24 (a client may ask about a send a day later)")
    try:
        networks(config.trusted_proxies)
    except (BadProxy, AttributeError) as exc:
        raise ServerConfigError(f"{source}: {exc if isinstance(exc, BadProxy) else 'trusted_proxies must be a list of addresses'}") from None
    return config
