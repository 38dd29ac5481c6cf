"""THE route decision: from the settings and the connection state, the route to use and why.

Every entry point (CLI ``send``/``test-mail``, the GUI send dialog, the records window, the
batch send) gets its route here, and every outcome line, Smtp.log line, history row, trace
line, popup and status bar text reads the one answer::

    state = server_state(connection)           # probes the server once (HTTP /health)
    decision = decide(settings, state)         # pure: no I/O, the status bar calls it too
    choice = choose(settings, connection)      # both, plus the Route object to send through

``Decision.label`` is ``local``, ``server`` or ``local after server failure: <reason>``;
``Decision.fallback`` says why a send that could go through the server goes locally
(``not-connected``, ``unreachable``, ``failed``). After a fallback nothing names the server
as the route: ``Choice.description`` is the local route's (pickup folder or SMTP server).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from viewer.mail.routes.base import ConfigurationError, Route
from viewer.mail.routes.memory import MemoryRoute
from viewer.mail.routes.pickup import PickupRoute
from viewer.mail.routes.server import ServerRoute
from viewer.records import record
from viewer.settings import Settings

if TYPE_CHECKING:
    from viewer.connection import Connection
    from viewer.mail.credentials import Credentials

# The SMTP route (smtplib, ssl) is imported where it is chosen: the pickup road never pays for it.

__all__ = [
    "FAILED",
    "LOCAL",
    "NOT_CONNECTED",
    "ROUTE_NAMES",
    "SERVER",
    "UNREACHABLE",
    "Choice",
    "Decision",
    "ServerState",
    "choose",
    "decide",
    "describe",
    "local_route",
    "route_by_name",
    "server_state",
    "wants_server",
]

ROUTE_NAMES = ("pickup", "smtp", "memory", "server")
LOCAL, SERVER = "local", "server"
NOT_CONNECTED, UNREACHABLE, FAILED = "not-connected", "unreachable", "failed"
_SECURITY_WORDS = {"none": "no TLS", "starttls": "STARTTLS", "tls": "implicit TLS"}

Trace = Callable[[str, str], None]


@record(frozen=True)
class ServerState:
    """What is known of the connection to the application server (plain data, no I/O)."""

    connected: bool = False
    answering: bool = True
    name: str = ""
    url: str = ""
    problem: str = ""  # why it does not answer, in English ("" when it does)


NO_SERVER = ServerState()


@record(frozen=True)
class Decision:
    """Where a send goes and why. ``kind`` is ``local`` or ``server``."""

    kind: str
    local: str  # the local route the settings name: "smtp" or "pickup"
    fallback: str = ""  # "" | not-connected | unreachable | failed
    reason: str = ""  # in English, for the CLI, the trace and the journals
    server: str = ""  # the server's name (profile), when it is or was involved

    @property
    def label(self) -> str:
        """``server``, ``local`` or ``local after server failure: <reason>``."""
        if self.kind == SERVER:
            return SERVER
        if self.fallback in (UNREACHABLE, FAILED):
            return f"local after server failure: {self.reason}"
        return LOCAL

    def after_failure(self, reason: str) -> Decision:
        """The same send, made locally because the server failed while it was tried."""
        return replace(self, kind=LOCAL, fallback=FAILED, reason=reason)


def wants_server(settings: Settings) -> bool:
    """True when the route in force has its "in connected mode, on the server" switch set (S4/S5)."""
    if settings.functions.send_direct:
        return settings.functions.use_server_functions
    return settings.service.use_server_service


def server_state(connection: Connection | None, *, probe: bool = True) -> ServerState:
    """The state of ``connection``; with ``probe``, asks the server's health endpoint once."""
    if connection is None or not connection.is_connected:
        return NO_SERVER
    problem = connection.problem() if probe else ""
    return ServerState(connected=True, answering=not problem, name=connection.name, url=connection.url, problem=problem)


def decide(settings: Settings, state: ServerState = NO_SERVER, *, via_server: bool = False) -> Decision:
    """The decision, from the settings and what is known of the server. No I/O.

    ``via_server`` insists on the server (the CLI's ``--via-server``): a ConfigurationError
    when there is no live connection, instead of a local send.
    """
    local = "smtp" if settings.functions.send_direct else "pickup"
    switch = "functions.use_server_functions" if settings.functions.send_direct else "service.use_server_service"
    if via_server:
        if not state.connected:
            raise ConfigurationError("--via-server: not connected to an application server: run `spoolview connect PROFILE` first")
        return Decision(SERVER, local, reason=f"sending through the application server {state.name} (asked for)", server=state.name)
    if not wants_server(settings):
        return Decision(LOCAL, local, reason=f"{switch} is off: sending from this computer")
    if not state.connected:
        return Decision(LOCAL, local, NOT_CONNECTED, f"{switch} is set but not connected to an application server: sending locally")
    if not state.answering:
        why = state.problem or f"the application server {state.url} does not answer"
        return Decision(LOCAL, local, UNREACHABLE, why, server=state.name)
    return Decision(SERVER, local, reason=f"{switch} is set and connected to {state.name} ({state.url})", server=state.name)


def describe(route: Route) -> str:
    """A short human description of where ``route`` sends."""
    if isinstance(route, PickupRoute):
        return f"pickup folder {route.folder}"
    from viewer.mail.routes.smtp import SmtpRoute

    if isinstance(route, SmtpRoute):
        return f"SMTP server {route.where} ({_SECURITY_WORDS.get(route.security, route.security)})"
    if isinstance(route, ServerRoute):
        return route.description
    return route.name


@record
class Choice:
    """A decision and the Route that carries it out."""

    decision: Decision
    route: Route

    @property
    def description(self) -> str:
        """Where the message goes, e.g. ``SMTP server mail.example.com:587 (STARTTLS)``."""
        return describe(self.route)

    @property
    def text(self) -> str:
        """The one line outcomes, journals and the history show: where, and why when it fell back."""
        if self.decision.fallback in (UNREACHABLE, FAILED):
            return f"{self.description} ({self.decision.label})"
        return self.description


def local_route(
    settings: Settings, *, password: str | None = None, credentials: Credentials | None = None, trace: Trace | None = None
) -> Route:
    """The route the settings choose on this computer: S5 direct SMTP, else the S4 pickup folder.

    ``credentials`` (else ``password`` with the environment's user, else the settings' own)
    is how the SMTP route logs in.
    """
    if settings.functions.send_direct:
        from viewer.mail.routes.smtp import SmtpRoute

        smtp = SmtpRoute.from_settings(settings, password=password, credentials=credentials, trace=_sink(trace, "smtp"))
        if trace:
            trace("route", f"send_direct is set: direct SMTP to {smtp.where} (security {smtp.security}, {smtp.credentials.describe()})")
        return smtp
    pickup = PickupRoute.from_settings(settings, trace=_sink(trace, "pickup"))
    if trace:
        trace("route", f"send_direct is off: pickup folder {pickup.folder} (extension {pickup.extension})")
    return pickup


def choose(
    settings: Settings,
    connection: Connection | None = None,
    *,
    via_server: bool = False,
    password: str | None = None,
    credentials: Credentials | None = None,
    trace: Trace | None = None,
    state: ServerState | None = None,
) -> Choice:
    """Decide (probing the server once unless ``state`` is given) and build the route."""
    if state is None:
        state = server_state(connection, probe=wants_server(settings) or via_server)
    decision = decide(settings, state, via_server=via_server)
    if trace:
        trace("route", f"{decision.label}: {decision.reason}")
    if decision.kind == SERVER and connection is not None:
        return Choice(decision, ServerRoute(connection, trace=_sink(trace, "server")))
    return Choice(decision, local_route(settings, password=password, credentials=credentials, trace=trace))


def fall_back(
    choice: Choice, settings: Settings, reason: str, *, password: str | None = None, credentials: Credentials | None = None,
    trace: Trace | None = None,
) -> Choice:
    """The local choice after the server failed in ``choice`` (the request never reached it)."""
    decision = choice.decision.after_failure(reason)
    if trace:
        trace("route", f"{decision.label}")
    return Choice(decision, local_route(settings, password=password, credentials=credentials, trace=trace))


def route_by_name(
    name: str, settings: Settings, *, password: str | None = None, credentials: Credentials | None = None,
    connection: Connection | None = None,
) -> Route:
    """A route by name ("pickup", "smtp", "memory", "server"), ignoring the send_direct switch."""
    if name == "pickup":
        return PickupRoute.from_settings(settings)
    if name == "smtp":
        from viewer.mail.routes.smtp import SmtpRoute

        return SmtpRoute.from_settings(settings, password=password, credentials=credentials)
    if name == "memory":
        return MemoryRoute()
    if name == "server":
        if connection is None or not connection.is_connected:
            raise ConfigurationError("the server route needs a live connection: run `spoolview connect` first")
        return ServerRoute(connection)
    raise ConfigurationError(f"unknown route {name!r}: use one of {', '.join(ROUTE_NAMES)}")


def _sink(trace: Trace | None, kind: str) -> Callable[[str], None] | None:
    if trace is None:
        return None
    return lambda text: trace(kind, text)
