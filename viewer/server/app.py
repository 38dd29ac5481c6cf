"""The FastAPI application of the server: ``create_app(config)``; endpoints are in api.py."""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from viewer import __version__
from viewer.server.auth import Authenticator, TokenInvalid
from viewer.server.config import ServerConfig, load_config
from viewer.server.db import Database
from viewer.server.delivery import Deliverer, RouteFactory, server_settings
from viewer.server.proxies import networks

log = logging.getLogger(__name__)

# Room for the base64 of the largest message plus the JSON around it.
def _body_limit(max_message_bytes: int) -> int:
    return max_message_bytes * 4 // 3 + 64 * 1024


# Paths anyone may call without a token (everything else needs one, checked before the body).
PUBLIC_PATHS = frozenset({"/health", "/login", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
SESSION_KEY = "spoolview_session"  # where Guard leaves the checked session in the ASGI scope state


class BodyTooLarge(Exception):
    pass


class Guard:
    """ASGI middleware: the bearer token is checked before a byte of the body is read.

    A request to a path that needs a token gets 401 at once when its token is missing,
    unknown or expired; the checked Session is left in ``scope["state"]`` for the endpoint.
    Bodies are limited before parsing: ``public_limit`` bytes without a token (``/login``),
    ``limit`` with one; over it, 413.
    """

    def __init__(self, app: Any, limit: int, public_limit: int, auth: Authenticator) -> None:
        self.app, self.limit, self.public_limit, self.auth = app, limit, public_limit, auth

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        public = scope.get("path", "") in PUBLIC_PATHS
        if not public:
            problem = await self._check_token(scope)
            if problem is not None:
                await _answer(send, 401, problem, [(b"www-authenticate", b'Bearer error="invalid_token"' if "token" in problem else b"Bearer")])
                return
        limit = self.public_limit if public else self.limit
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
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
                await _too_large(send, limit)

    async def _check_token(self, scope: dict) -> str | None:
        """None when the request carries a valid token (the session goes into the scope)."""
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "missing bearer token: log in first (POST /login)"
        try:
            found = await anyio.to_thread.run_sync(self.auth.check, token.strip())
        except TokenInvalid as exc:
            return "token expired: log in again" if exc.reason == "expired" else "invalid token: log in again"
        scope.setdefault("state", {})[SESSION_KEY] = found
        return None


async def _answer(send: Any, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Any, limit: int) -> None:
    await _answer(send, 413, f"request body larger than {limit} bytes: the message is too large for this server")


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
        max_concurrent=config.max_concurrent_logins,
    )
    app.state.trusted_proxies = networks(config.trusted_proxies)
    app.state.deliverer = Deliverer(settings, route_factory)
    app.state.directory = None  # opened on first use
    app.include_router(api.router)
    app.add_middleware(Guard, limit=_body_limit(config.max_message_bytes), public_limit=config.max_unauthenticated_body, auth=app.state.auth)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - safety net
        log.error("unexpected server error: %s", exc.__class__.__name__, exc_info=exc)
        return JSONResponse({"detail": "internal server error: see the server log"}, status_code=500)

    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (used by ``--workers N``): config from the environment."""
    return create_app(load_config(None))
