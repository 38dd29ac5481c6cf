"""Server route (connected mode): posts the composed message to the application server."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any

from viewer.mail.routes.base import ConfigurationError, Envelope, PermanentError, Route, SendResult, TemporaryError

__all__ = ["ServerRoute", "choose_route", "local_route", "server_connection", "wants_server"]


class ServerRoute(Route):
    """Carries messages through ``connection`` (a viewer.connection.Connection).

    The server delivers with its own route and journal and answers per recipient; that
    answer is returned as is. ``document`` labels the server's journal and history.
    """

    name = "server"

    def __init__(self, connection: Any, *, settings: Any = None, trace: Any = None, document: str = "") -> None:
        self.connection = connection
        self.settings = settings
        self.trace = trace  # a callable(text) or None: receives what the server answered
        self.document = document

    @property
    def description(self) -> str:
        return f"application server {getattr(self.connection, 'url', '')}".strip()

    def send(self, message: bytes, envelope: Envelope) -> SendResult:
        from viewer.connection import (
            CertificateProblem,
            ConnectionProblem,
            NotConnected,
            ServerRefused,
            ServerUnavailable,
            SessionExpired,
        )

        try:
            result = self.connection.send(message, envelope, document=self.document, subject=_subject(message))
        except ServerRefused as exc:  # 413 / 422: the message itself is not acceptable
            raise PermanentError(str(exc), code=exc.status) from None
        except (SessionExpired, NotConnected, CertificateProblem) as exc:
            raise ConfigurationError(str(exc)) from None
        except ServerUnavailable as exc:
            raise TemporaryError(f"{exc} (if the request reached the server, check `spoolview connection --history` before sending again)") from None
        except ConnectionProblem as exc:
            raise TemporaryError(str(exc)) from None
        if self.trace is not None:
            for r in result.recipients:
                self.trace(f"{r.address}: {'accepted' if r.accepted else 'refused'} {r.reply}".rstrip())
        sent: SendResult = result
        return sent


def _subject(message: bytes) -> str:
    try:
        head = BytesHeaderParser(policy=default_policy).parsebytes(message)
        return " ".join(str(head.get("subject", "") or "").split())
    except Exception:  # noqa: BLE001 - only a journal label
        return ""


def wants_server(settings: Any) -> bool:
    """True when the route in force has its "in connected mode, on the server" switch set (S4/S5)."""
    if settings.functions.send_direct:
        return bool(settings.functions.use_server_functions)
    return bool(settings.service.use_server_service)


def local_route(settings: Any, **kwargs: Any) -> Route:
    """The route the settings choose on this computer (pickup folder or direct SMTP)."""
    from viewer.mail.routes.select import route_for  # select imports this module: import late

    return route_for(settings, connection=None, **kwargs)


def server_connection(settings: Any, connection: Any = None) -> tuple[Any, str]:
    """The live connection to send through, or None, and why, for the trace and the user.

    None when the "send from the server" switch is off, when the viewer is not connected,
    or when the server does not answer: then the send is made locally, as the reference
    says. ``connection`` defaults to the one saved by ``spoolview connect``.
    """
    if not wants_server(settings):
        return None, "local route (send from the application server is off)"
    if connection is None:
        from viewer.connection import current

        connection = current()
    if connection is None or not connection.is_connected:
        return None, "not connected to an application server: sending locally instead (send from the server is set)"
    if not connection.reachable():
        return None, f"application server {connection.url} does not answer: sending locally instead (send from the server is set)"
    return connection, f"connected to {connection.name} ({connection.url}): sent by the application server"


def choose_route(settings: Any, connection: Any = None, **kwargs: Any) -> tuple[Route, str]:
    """The route to use and why (see ``server_connection``); ``kwargs`` go to route_for."""
    live, reason = server_connection(settings, connection)
    if live is None:
        return local_route(settings, **kwargs), reason
    return ServerRoute(live, settings=settings), reason
