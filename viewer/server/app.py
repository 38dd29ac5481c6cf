"""The FastAPI application of the server: ``create_app(config)``; endpoints are in api.py."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from viewer import __version__
from viewer.server.auth import Authenticator
from viewer.server.config import ServerConfig, load_config
from viewer.server.db import Database
from viewer.server.delivery import Deliverer, RouteFactory, server_settings

log = logging.getLogger(__name__)

# Room for the base64 of the largest message plus the JSON around it.
def _body_limit(max_message_bytes: int) -> int:
    return max_message_bytes * 4 // 3 + 64 * 1024


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware answering 413 to a request body over ``limit`` bytes, before parsing it."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(send, self.limit)
            return
        received = 0
        started = False

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.limit)


async def _too_large(send: Any, limit: int) -> None:
    body = f'{{"detail":"request body larger than {limit} bytes: the message is too large for this server"}}'.encode()
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(config: ServerConfig, *, route_factory: RouteFactory | None = None) -> FastAPI:
    """The server application for ``config``; ``route_factory`` overrides its route (tests)."""
    from viewer.server import api

    db = Database(config.effective_database_url())
    settings = server_settings(config)
    app = FastAPI(
        title="spoolview application server",
        version=__version__,
        description=(
            "Connected mode of spoolview: log in for a bearer token, then search the customer "
            "directory, look up a document's recipient, send composed messages through the "
            "server's own route and read your send history."
        ),
    )
    app.state.config = config
    app.state.db = db
    app.state.auth = Authenticator(
        db,
        token_seconds=config.token_minutes * 60,
        window_seconds=config.login_window_seconds,
        max_per_user=config.max_failures_per_user,
        max_per_address=config.max_failures_per_address,
    )
    app.state.deliverer = Deliverer(settings, route_factory)
    app.state.directory = None  # opened on first use
    app.include_router(api.router)
    app.add_middleware(BodyLimit, limit=_body_limit(config.max_message_bytes))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - safety net
        log.error("unexpected server error: %s", exc.__class__.__name__, exc_info=exc)
        return JSONResponse({"detail": "internal server error: see the server log"}, status_code=500)

    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (used by ``--workers N``): config from the environment."""
    return create_app(load_config(None))
