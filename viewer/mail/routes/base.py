"""The one contract every route follows (like Django's mail backends), and its typed errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from pathlib import Path

from viewer.errors import SpoolviewError
from viewer.records import record


class RouteError(SpoolviewError):
    """A route could not carry a message. ``kind`` tells the caller what to do next.

    ``results`` holds the per-recipient answers when the route got that far (e.g. every
    RCPT refused, or DATA refused after some RCPT were accepted); else it is empty and the
    error concerns the whole message: ``recipient_results`` expands it for each recipient.
    """

    kind = "error"

    def __init__(self, message: str, *, code: int | None = None, reply: str = "", results: list[RecipientResult] | None = None,
                 msgid: str = "", params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, msgid=msgid, params=params)
        self.code = code
        self.reply = reply
        self.results: list[RecipientResult] = list(results or [])

    @property
    def whole(self) -> bool:
        """True when the error concerns the whole message (no per-recipient answer)."""
        return not self.results

    def recipient_results(self, recipients: Iterable[str], *, temporary: bool | None = None, reply: str | None = None) -> list[RecipientResult]:
        """One result per recipient: the declared ones, else each of ``recipients`` refused with this error.

        The outbox, the relay and the server all expand an error with this; ``temporary``
        and ``reply`` override the defaults (``kind == "temporary"``, the error's text).
        """
        if self.results:
            return list(self.results)
        if temporary is None:
            temporary = self.kind == "temporary"
        text = str(self) if reply is None else reply
        return [RecipientResult(r, False, self.code, text, temporary) for r in recipients]


def refused_after_data(results: list[RecipientResult], code: int, reply: str) -> list[RecipientResult]:
    """The results once DATA was refused: the recipients RCPT accepted are refused with DATA's reply."""
    return [RecipientResult(r.address, False, code, reply, 400 <= code < 500) if r.accepted else r for r in results]


class TemporaryError(RouteError):
    """Try again later (4xx, connection refused or lost, timeout, disk full)."""

    kind = "temporary"


class PermanentError(RouteError):
    """Will not work as it is (5xx, message too big, every recipient refused)."""

    kind = "permanent"


class ConfigurationError(RouteError):
    """The settings are wrong or missing (no host, bad certificate, authentication refused)."""

    kind = "configuration"


class OutcomeUnknown(RouteError):
    """The request may have reached the server but its answer was lost: sent or not is not known.

    Never send the message again by another route; ``key`` (its idempotency key) lets the
    server say later what became of it.
    """

    kind = "unknown"

    def __init__(self, message: str, *, key: str, results: list[RecipientResult] | None = None,
                 msgid: str = "", params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, results=results, msgid=msgid, params=params)
        self.key = key


_NOT_IN_ENVELOPE = frozenset(" \t<>,;()\\\"\x7f")


@record(frozen=True)
class Envelope:
    """SMTP envelope: reverse-path and forward-paths (Bcc included, not in the headers)."""

    sender: str
    recipients: tuple[str, ...]

    def check(self) -> None:
        """PermanentError unless every address is one bare ``local@domain`` (nothing to inject).

        An empty sender is the null reverse-path of a delivery report.
        """
        senders = (("sender", self.sender),) if self.sender else ()
        for role, address in (*senders, *(("recipient", r) for r in self.recipients)):
            bad = next((c for c in address if c in _NOT_IN_ENVELOPE or ord(c) < 32), None)
            if bad is not None or address.count("@") != 1:
                what = f"it contains {bad!r}" if bad is not None else "it must hold exactly one @"
                raise PermanentError(f"envelope {role} {address!r} is not a bare address ({what}): nothing was sent")


@record
class RecipientResult:
    """What happened to one recipient: accepted, or refused with the server's reply."""

    address: str
    accepted: bool
    code: int | None = None
    reply: str = ""
    temporary: bool = False  # refused with a 4xx


@record
class SendResult:
    """The outcome of one message on one route. Never says accepted when it was not."""

    route: str
    recipients: list[RecipientResult] = field(default_factory=list)
    file: Path | None = None  # the pickup file, or the kept copy
    detail: str = ""  # e.g. "written to /path/pickup/xxx.eml" or the final server reply

    @property
    def accepted(self) -> list[RecipientResult]:
        return [r for r in self.recipients if r.accepted]

    @property
    def refused(self) -> list[RecipientResult]:
        return [r for r in self.recipients if not r.accepted]

    @property
    def ok(self) -> bool:
        """True only when every recipient was accepted."""
        return bool(self.recipients) and not self.refused


class Route(ABC):
    """A way out for messages. Use as a context manager; closes only what it opened."""

    name: str = "route"
    trace: Callable[[str], None] | None = None  # receives what the route does (the debug trace), when set

    def open(self) -> None:  # noqa: B027 - optional hook
        """Open a connection or folder handle, if the route has one."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Close what ``open`` opened."""

    @abstractmethod
    def send(self, message: bytes, envelope: Envelope) -> SendResult:
        """Carry one RFC 5322 message (CRLF or LF line ends) to ``envelope``'s recipients.

        Returns per-recipient results; raises a RouteError when nothing was accepted
        for a reason that concerns the whole message.
        """

    def send_many(self, items: Iterable[tuple[bytes, Envelope]]) -> list[SendResult | RouteError]:
        """Send several messages, reusing one connection; a failure does not stop the batch."""
        results: list[SendResult | RouteError] = []
        with self:
            for message, envelope in items:
                try:
                    results.append(self.send(message, envelope))
                except RouteError as exc:
                    results.append(exc)
        return results

    def __enter__(self) -> Route:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
