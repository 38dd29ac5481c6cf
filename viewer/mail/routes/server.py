"""Server route (connected mode): posts the composed message to the application server."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from viewer.mail.routes.base import (
    ConfigurationError,
    Envelope,
    OutcomeUnknown,
    PermanentError,
    RecipientResult,
    Route,
    RouteError,
    SendResult,
    TemporaryError,
)

if TYPE_CHECKING:
    from viewer.connection import Connection, ConnectionProblem, ServerAnswer

__all__ = ["ServerNotReached", "ServerRoute", "idempotency_key"]


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
    RETRIES = 3  # asks again with the same key after an unknown outcome
    RETRY_DELAYS = (1.0, 3.0, 6.0)

    def __init__(
        self,
        connection: Connection,
        *,
        trace: Callable[[str], None] | None = None,
        document: str = "",
        retry_delays: tuple[float, ...] | None = None,
    ) -> None:
        self.connection = connection
        self.trace = trace  # receives what the server answered
        self.document = document
        self.retry_delays = self.RETRY_DELAYS[: self.RETRIES] if retry_delays is None else retry_delays

    @property
    def description(self) -> str:
        return f"application server {self.connection.name} ({self.connection.url})"

    def send(self, message: bytes, envelope: Envelope) -> SendResult:
        from viewer.connection import (
            CertificateProblem,
            ConnectionProblem,
            NotConnected,
            SendOutcomeUnknown,
            ServerRefused,
            ServerUnreachable,
            SessionExpired,
        )

        key = idempotency_key(message)
        try:
            answer = self.connection.send(message, envelope.sender, envelope.recipients, document=self.document, subject=_subject(message), key=key)
        except ServerRefused as exc:  # 403 / 413 / 422: the message itself is not acceptable
            raise PermanentError(str(exc), code=exc.status, msgid=exc.msgid, params=exc.params) from None
        except (SessionExpired, NotConnected, CertificateProblem) as exc:
            raise ConfigurationError(str(exc), msgid=exc.msgid, params=exc.params) from None
        except ServerUnreachable as exc:
            raise ServerNotReached(str(exc), msgid=exc.msgid, params=exc.params) from None
        except SendOutcomeUnknown as exc:
            answer = self._ask_again(message, envelope, key, exc)
        except ConnectionProblem as exc:
            raise TemporaryError(str(exc), msgid=exc.msgid, params=exc.params) from None
        results = [RecipientResult(r.address, r.accepted, r.code, r.reply, r.temporary) for r in answer.recipients]
        if self.trace is not None:
            for r in results:
                self.trace(f"{r.address}: {'accepted' if r.accepted else 'refused'} {r.reply}".rstrip())
        if answer.error_kind and not any(r.accepted for r in results):
            kind = {"temporary": TemporaryError, "permanent": PermanentError, "configuration": ConfigurationError}.get(answer.error_kind, RouteError)
            raise kind(f"the server could not send: {answer.error_message}", code=answer.error_code, reply=answer.error_reply, results=results,
                       msgid="appserver.server_could_not_send", params={"reason": answer.error_message})
        detail = f"sent by {self.connection.url}: {answer.detail}".rstrip(": ")
        if answer.warnings:
            detail += " (server warnings: " + "; ".join(answer.warnings) + ")"
        return SendResult(route=f"server ({answer.route})", recipients=results, detail=detail)

    def _ask_again(self, message: bytes, envelope: Envelope, key: str, first: ConnectionProblem) -> ServerAnswer:
        """Post again with the same key (the server answers from its store, never sends twice).

        After the bounded retries the outcome stays unknown: the key is remembered for
        ``spoolview connection --history`` and OutcomeUnknown is raised — never a fallback
        to another route, since the server may have sent the message.
        """
        import time

        from viewer.connection import ConnectionProblem, SendOutcomeUnknown, ServerRefused

        last: ConnectionProblem = first
        for delay in self.retry_delays:
            if self.trace is not None:
                self.trace(f"no answer from the server ({last}): asking again in {delay:g} s with the same key {key}")
            time.sleep(delay)
            try:
                return self.connection.send(message, envelope.sender, envelope.recipients, document=self.document, subject=_subject(message), key=key)
            except SendOutcomeUnknown as exc:
                last = exc
            except ServerRefused as exc:
                raise PermanentError(str(exc), code=exc.status, msgid=exc.msgid, params=exc.params) from None
            except ConnectionProblem as exc:  # unreachable now, session ended…: still unknown
                last = exc
        from viewer import unknown_sends

        unknown_sends.remember(key, self.connection.url, self.connection.profile.user, document=self.document, recipients=list(envelope.recipients))
        raise OutcomeUnknown(
            f"the application server may have sent this message but its answer was lost ({last}); the outcome is unknown: "
            f"do not send it again, run `spoolview connection --history` to ask the server (key {key})",
            key=key,
            msgid="appserver.outcome_unknown",
            params={"reason": last, "key": key},
        )


def idempotency_key(message: bytes) -> str:
    """The message's Message-ID (without <>) when it makes a valid key, else a fresh UUID."""
    import re
    import uuid

    head = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0]
    found = re.search(rb"(?im)^message-id:[ \t]*<?([!-;=?-~]{1,200}?)>?[ \t]*\r?$", head)
    return found.group(1).decode("ascii") if found else str(uuid.uuid4())


def _subject(message: bytes) -> str:
    from email.parser import BytesHeaderParser
    from email.policy import default as default_policy

    try:
        head = BytesHeaderParser(policy=default_policy).parsebytes(message)
        return " ".join(str(head.get("subject", "") or "").split())
    except Exception:  # noqa: BLE001 - only a journal label
        return ""
