"""Server route (connected mode): posts the composed message to the application server."""

from __future__ import annotations

from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import TYPE_CHECKING

from viewer.mail.routes.base import (
    ConfigurationError,
    Envelope,
    PermanentError,
    RecipientResult,
    Route,
    RouteError,
    SendResult,
    TemporaryError,
)

if TYPE_CHECKING:
    from viewer.connection import Connection

__all__ = ["ServerNotReached", "ServerRoute"]


class ServerNotReached(TemporaryError):
    """No connection to the application server could be made: the message surely did not reach it.

    The send job may then send locally (``local after server failure``) without risk of a
    second copy; any other server failure is reported as it is.
    """


class ServerRoute(Route):
    """Carries messages through ``connection`` (a viewer.connection.Connection).

    The server delivers with its own route and journal and answers per recipient; that
    answer is returned as is. ``document`` (the document key) labels the server's journal
    and history.
    """

    name = "server"

    def __init__(self, connection: Connection, *, trace: Callable[[str], None] | None = None, document: str = "") -> None:
        self.connection = connection
        self.trace = trace  # receives what the server answered
        self.document = document

    @property
    def description(self) -> str:
        return f"application server {self.connection.name} ({self.connection.url})"

    def send(self, message: bytes, envelope: Envelope) -> SendResult:
        from viewer.connection import (
            CertificateProblem,
            ConnectionProblem,
            NotConnected,
            ServerRefused,
            ServerUnavailable,
            ServerUnreachable,
            SessionExpired,
        )

        try:
            answer = self.connection.send(message, envelope.sender, envelope.recipients, document=self.document, subject=_subject(message))
        except ServerRefused as exc:  # 413 / 422: the message itself is not acceptable
            raise PermanentError(str(exc), code=exc.status) from None
        except (SessionExpired, NotConnected, CertificateProblem) as exc:
            raise ConfigurationError(str(exc)) from None
        except ServerUnreachable as exc:
            raise ServerNotReached(str(exc)) from None
        except ServerUnavailable as exc:
            raise TemporaryError(f"{exc} (if the request reached the server, check `spoolview connection --history` before sending again)") from None
        except ConnectionProblem as exc:
            raise TemporaryError(str(exc)) from None
        results = [RecipientResult(r.address, r.accepted, r.code, r.reply, r.temporary) for r in answer.recipients]
        if self.trace is not None:
            for r in results:
                self.trace(f"{r.address}: {'accepted' if r.accepted else 'refused'} {r.reply}".rstrip())
        if answer.error_kind and not any(r.accepted for r in results):
            kind = {"temporary": TemporaryError, "permanent": PermanentError, "configuration": ConfigurationError}.get(answer.error_kind, RouteError)
            raise kind(f"the server could not send: {answer.error_message}", code=answer.error_code, reply=answer.error_reply, results=results)
        detail = f"sent by {self.connection.url}: {answer.detail}".rstrip(": ")
        return SendResult(route=f"server ({answer.route})", recipients=results, detail=detail)


def _subject(message: bytes) -> str:
    try:
        head = BytesHeaderParser(policy=default_policy).parsebytes(message)
        return " ".join(str(head.get("subject", "") or "").split())
    except Exception:  # noqa: BLE001 - only a journal label
        return ""
