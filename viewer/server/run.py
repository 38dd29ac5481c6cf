"""Running the server under uvicorn: one process, or ``workers`` processes sharing the database."""

from __future__ import annotations

import os
from typing import Any

from viewer.server.config import ENV_CONFIG, ServerConfig, ServerConfigError


def uvicorn_options(config: ServerConfig) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config``/``uvicorn.run`` from the server config."""
    options: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "server_header": False,  # say nothing about the software
        "date_header": True,
        "proxy_headers": True,  # X-Forwarded-For from a local reverse proxy (forwarded_allow_ips)
        "log_level": "info",
        "lifespan": "on",
    }
    if config.certfile:
        for name in ("certfile", "keyfile"):
            if not os.path.isfile(getattr(config, name)):
                raise ServerConfigError(f"TLS {name} {getattr(config, name)} not found")
        options.update(ssl_certfile=config.certfile, ssl_keyfile=config.keyfile)
    return options


def serve(config: ServerConfig) -> None:
    """Run until interrupted. With ``workers > 1`` each worker rebuilds the app from the file."""
    import uvicorn

    options = uvicorn_options(config)
    if config.workers > 1:
        if config.path is not None:
            os.environ[ENV_CONFIG] = str(config.path)
        # Command-line overrides of database/route do not reach the workers: they read the file.
        uvicorn.run("viewer.server.app:create_app_from_env", factory=True, workers=config.workers, **options)
        return
    from viewer.server.app import create_app

    uvicorn.run(create_app(config), **options)
