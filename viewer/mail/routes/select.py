"""Picks the route the settings ask for: pickup folder, direct SMTP, or the application server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from viewer.mail.routes.base import ConfigurationError, Route
from viewer.mail.routes.memory import MemoryRoute
from viewer.mail.routes.pickup import PickupRoute
from viewer.mail.routes.server import ServerRoute
from viewer.mail.routes.smtp import SmtpRoute

__all__ = ["route_for", "route_by_name", "describe", "is_connected", "ROUTE_NAMES"]

ROUTE_NAMES = ("pickup", "smtp", "memory", "server")
_SECURITY_WORDS = {"none": "no TLS", "starttls": "STARTTLS", "tls": "implicit TLS"}


def is_connected(connection: Any) -> bool:
    """True when ``connection`` (viewer.connection.Connection or alike) holds a live session."""
    if connection is None:
        return False
    state = getattr(connection, "is_connected", None)
    if state is None:
        state = getattr(connection, "connected", False)
    return bool(state() if callable(state) else state)


def _answers(connection: Any) -> bool:
    """True unless ``connection`` can tell that its server does not answer now."""
    reachable = getattr(connection, "reachable", None)
    return bool(reachable()) if callable(reachable) else True


def route_for(
    settings: Any,
    *,
    connection: Any = None,
    trace: Callable[[str, str], None] | None = None,
    password: str | None = None,
) -> Route:
    """The route in force: S5 direct SMTP when "send directly" is set, else the S4 pickup folder.

    When the matching "in connected mode, send from the server" switch is set and
    ``connection`` is connected and its server answers, the application server's route is
    used; when the switch is set but there is no live connection, or the server does not
    answer, the send is made locally (as the reference says) and the trace says so.
    ``trace(kind, text)`` receives the decisions.
    """

    def note(text: str) -> None:
        if trace:
            trace("route", text)

    direct = settings.functions.send_direct
    on_server = settings.functions.use_server_functions if direct else settings.service.use_server_service
    switch = "use_server_functions" if direct else "use_server_service"
    if on_server:
        if not is_connected(connection):
            note(f"{switch} is set but not connected to an application server: sending locally")
        elif not _answers(connection):
            note(f"{switch} is set but the application server {getattr(connection, 'url', '')} does not answer: sending locally")
        else:
            note(f"{switch} is set and connected to {getattr(connection, 'name', 'the server')}: sending from the application server")
            return ServerRoute(connection, settings=settings, trace=(lambda text: trace("server", text)) if trace else None)
    if direct:
        route = SmtpRoute.from_settings(settings, password=password, trace=(lambda text: trace("smtp", text)) if trace else None)
        note(f"send_direct is set: direct SMTP to {route.where} (security {route.security}, user {route.user or 'none'})")
        return route
    route = PickupRoute.from_settings(settings, trace=(lambda text: trace("pickup", text)) if trace else None)
    note(f"send_direct is off: pickup folder {route.folder} (extension {route.extension})")
    return route


def route_by_name(name: str, settings: Any, **kwargs: Any) -> Route:
    """A route by name ("pickup", "smtp", "memory"), ignoring the send_direct switch."""
    if name == "pickup":
        return PickupRoute.from_settings(settings)
    if name == "smtp":
        return SmtpRoute.from_settings(settings, password=kwargs.get("password"))
    if name == "memory":
        return MemoryRoute()
    if name == "server":
        if not is_connected(kwargs.get("connection")):
            raise ConfigurationError("the server route needs a live connection: run `spoolview connect` first")
        return ServerRoute(kwargs["connection"], settings=settings)
    raise ConfigurationError(f"unknown route {name!r}: use one of {', '.join(ROUTE_NAMES)}")


def describe(route: Route) -> str:
    """A short human description of where ``route`` sends."""
    if isinstance(route, PickupRoute):
        return f"pickup folder {route.folder}"
    if isinstance(route, SmtpRoute):
        return f"SMTP server {route.where} ({_SECURITY_WORDS.get(route.security, route.security)})"
    connection = getattr(route, "connection", None)
    if route.name == "server" and connection is not None:
        return f"application server {getattr(connection, 'url', '') or getattr(connection, 'name', '')}".rstrip()
    return getattr(route, "description", None) or route.name
