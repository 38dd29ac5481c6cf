"""In-memory route for tests of callers: keeps what it is given, can be scripted to refuse."""

from __future__ import annotations

from viewer.mail.routes.base import (
    Envelope,
    PermanentError,
    RecipientResult,
    Route,
    RouteError,
    SendResult,
    TemporaryError,
)

__all__ = ["MemoryRoute"]


class MemoryRoute(Route):
    """Keeps ``(raw, envelope)`` pairs in ``sent``.

    ``refuse`` maps an address to a reply such as ``"550 5.1.1 no such user"`` (a 4xx reply
    makes a temporary refusal); ``errors`` is a list of RouteError raised by the next sends,
    in order, before anything is kept.
    """

    name = "memory"

    def __init__(self, *, refuse: dict[str, str] | None = None, errors: list[RouteError] | None = None) -> None:
        self.sent: list[tuple[bytes, Envelope]] = []
        self.refuse = dict(refuse or {})
        self.errors = list(errors or [])
        self.opened = 0
        self.closed = 0
        self.trace = None

    def open(self) -> None:
        self.opened += 1

    def close(self) -> None:
        self.closed += 1

    def send(self, message: bytes, envelope: Envelope) -> SendResult:
        if self.errors:
            raise self.errors.pop(0)
        if not envelope.recipients:
            raise PermanentError("the message has no recipient")
        results = []
        for address in envelope.recipients:
            reply = self.refuse.get(address) or self.refuse.get(address.lower())
            if reply:
                code = int(reply[:3]) if reply[:3].isdigit() else 550
                results.append(RecipientResult(address, False, code, reply, temporary=400 <= code < 500))
            else:
                results.append(RecipientResult(address, True, 250, "250 kept in memory"))
        if not any(r.accepted for r in results):
            temporary = all(r.temporary for r in results)
            exc = (TemporaryError if temporary else PermanentError)(
                "every recipient was refused (" + "; ".join(f"{r.address}: {r.reply}" for r in results) + ")",
                code=results[0].code,
                reply=results[0].reply,
                results=results,
            )
            raise exc
        self.sent.append((bytes(message), envelope))
        return SendResult(self.name, results, detail="kept in memory")

    @property
    def messages(self) -> list[bytes]:
        return [raw for raw, _ in self.sent]
