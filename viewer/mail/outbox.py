"""The one entry point to send: delay, route, Smtp.log, copies, error folder, trace, history."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from viewer.errors import SpoolviewError
from viewer.mail.compose import Composed
from viewer.mail.history import ACCEPTED, FAILED, REFUSED, History, HistoryEntry
from viewer.mail.journal import ERROR, OK, Journal, LogLine
from viewer.mail.routes.base import (
    ConfigurationError,
    Envelope,
    RecipientResult,
    Route,
    RouteError,
    SendResult,
    TemporaryError,
)
from viewer.mail.routes.pickup import QUEUED as PICKUP_QUEUED
from viewer.mail.routes.pickup import file_name
from viewer.mail.routes.select import LOCAL, SERVER, Choice, Decision, choose, fall_back
from viewer.mail.routes.server import ServerNotReached, ServerRoute
from viewer.mail.throttle import Throttle
from viewer.records import record
from viewer.settings import Settings

if TYPE_CHECKING:  # the SMTP login is read where the direct SMTP route is chosen
    from viewer.mail import trace as tracing
    from viewer.mail.credentials import Credentials

__all__ = ["Outbox", "Outcome"]


@record
class Outcome:
    """What became of one message. ``ok`` only when the route accepted every recipient."""

    ok: bool
    route_name: str  # the route used, and why when it fell back (select.Choice.text)
    recipients: tuple[str, ...]
    result: SendResult | None = None
    error: RouteError | None = None
    file: Path | None = None  # the sent copy, or the copy in the error folder
    message_id: str = ""
    subject: str = ""
    name: str = ""  # the file name written in Smtp.log
    duplicate_of: list[HistoryEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # problems that did not change the outcome
    waited: float = 0.0  # seconds spent in the delay between sends
    decision: Decision | None = None  # the route decision this send followed

    @property
    def whole(self) -> bool:
        """True when an error concerns the whole message (no per-recipient answer)."""
        return self.result is None and self.error is not None and self.error.whole

    def recipient_results(self) -> list[RecipientResult]:
        """Per recipient; when the whole message failed, every recipient with the error."""
        if self.result is not None:
            return list(self.result.recipients)
        if self.error is not None:
            return self.error.recipient_results(self.recipients)
        return [RecipientResult(r, False, None, "not sent") for r in self.recipients]

    def summary_lines(self, *, duplicates: bool = True, lang: str = "en") -> list[str]:
        """Human-readable lines: one per recipient, then where the message went or was kept.

        ``duplicates=False`` leaves out the "already sent before" notes (for a caller that
        warned before sending). ``lang``: fr or en (viewer/locale/messages.*.json); a
        server's reply is quoted as received, only our own words are translated.
        """
        from viewer.messages import route_text, said, text

        lines = []
        whole = self.whole
        route = route_text(lang, self.route_name)
        worded = said(self.error, lang) if whole and self.error is not None else ""
        for r in self.recipient_results():
            reply = (worded if r.reply == str(self.error) else r.reply) if whole else _reply(r)
            if r.accepted:
                reply = text(lang, "send.queued") if reply == PICKUP_QUEUED else reply
                lines.append(text(lang, "send.accepted.reply" if reply else "send.accepted", address=r.address, route=route, reply=reply))
            else:
                kind = self.error.kind if whole and self.error is not None else ("temporary" if r.temporary else "permanent")
                if kind == "unknown":  # the server may have sent it: never say "not sent"
                    lines.append(text(lang, "send.unknown", address=r.address, reply=reply))
                else:
                    kind = text(lang, f"send.kind.{kind}") if f"send.kind.{kind}" in _catalogue(lang) else kind
                    lines.append(text(lang, "send.not_sent", address=r.address, kind=kind, reply=reply))
        if self.result is not None and self.result.file is not None:
            lines.append(text(lang, "send.message_file", file=self.result.file))
        if self.file is not None and (self.result is None or self.file != self.result.file):
            lines.append(text(lang, "send.copy_kept" if self.ok else "send.error_kept", file=self.file))
        for entry in self.duplicate_of if duplicates else ():
            lines.append(text(lang, "send.already_before", entry=entry_text(entry, lang)))
        lines.extend(text(lang, "send.note", note=note) for note in self.notes)
        return lines


def entry_text(entry: HistoryEntry, lang: str = "en") -> str:
    """An earlier send of the history in ``lang``: what went to whom, when, by which route."""
    from viewer.messages import route_text, text

    if lang == "en":
        return entry.describe()
    return text(lang, "send.history_entry", document=entry.document, recipient=entry.recipient,
                time=f"{entry.time:%Y-%m-%d %H:%M}", route=route_text(lang, entry.route),
                message_id=entry.message_id or text(lang, "send.no_message_id"))


def _catalogue(lang: str) -> dict[str, str]:
    from viewer.messages import catalogue

    return catalogue(lang)


def _unpack(composed: Composed | tuple[bytes, Envelope]) -> tuple[bytes, Envelope]:
    if isinstance(composed, Composed):
        raw, envelope = composed.raw, composed.envelope
    elif isinstance(composed, tuple) and len(composed) == 2:
        raw, envelope = composed
    else:
        raw, envelope = None, None
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if not isinstance(raw, bytes) or not isinstance(envelope, Envelope):
        raise SpoolviewError("nothing to send: expected a composed message (raw bytes and an envelope)")
    if not envelope.recipients:
        raise SpoolviewError("the message has no recipient: give at least one address")
    if not envelope.sender:
        raise SpoolviewError("the message has no sender: set the From identity in the SMTP settings")
    return raw, envelope


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_UNFOLD = re.compile(rb"\r?\n[ \t]+")


def _header_values(raw: bytes, names: tuple[bytes, ...]) -> dict[bytes, str]:
    """The first value of each header in ``names`` (lower case), unfolded; a fast scan."""
    match = _HEADER_END.search(raw)
    head = _UNFOLD.sub(b" ", raw[: match.start()] if match else raw)
    found: dict[bytes, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(b":")
        key = key.strip().lower()
        if sep and key in names and key not in found:
            found[key] = value.strip().decode("utf-8", "replace")
    return found


def _decoded(value: Any) -> str:
    if value is None:
        return ""
    if "=?" not in str(value):  # no encoded word: decode_header would return it as it is
        return " ".join(str(value).split())
    from email.header import decode_header, make_header

    try:
        return " ".join(str(make_header(decode_header(str(value)))).split())
    except (ValueError, LookupError, UnicodeError):
        return " ".join(str(value).split())


def _message_facts(raw: bytes, sender: str) -> tuple[bytes, str, str]:
    """(raw, Message-ID, subject); a Message-ID is added at the top when the composer gave none."""
    head = _header_values(raw, (b"message-id", b"subject"))
    value = head.get(b"message-id", "")
    subject = _decoded(head.get(b"subject"))
    if value:
        return raw, value, subject
    from email.utils import make_msgid

    domain = sender.rpartition("@")[2] or None
    value = make_msgid(domain=domain)
    eol = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    return b"Message-ID: " + value.encode("ascii") + eol + raw, value, subject


class Outbox:
    """Sends composed messages through the route in force and records everything S6–S8 ask.

    ``send`` never raises for a route failure: the Outcome carries the error. It raises
    SpoolviewError only when given nothing sendable (no recipient, no sender).
    Use as a context manager to keep one connection open across several sends.
    """

    def __init__(
        self,
        settings: Settings,
        route: Route | Choice | None = None,
        *,
        history: History | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        """``route``: a Choice from routes.select.choose (the send job's), a Route to use as
        is (the server's own delivery, tests), or None for the local route of the settings."""
        self.settings = settings
        if isinstance(route, Route):
            kind = SERVER if isinstance(route, ServerRoute) else LOCAL
            route = Choice(Decision(kind, "smtp" if settings.functions.send_direct else "pickup", reason="route given"), route)
        self._choice: Choice | None = route
        self._own_history = history is None
        self.history = history or History()
        self.throttle = throttle or Throttle(settings.advanced.delay_seconds)
        self.journal = Journal(settings.copies)
        self.tracer: tracing.Tracer | None = None
        if settings.debug.trace:  # the trace module is imported only then
            from viewer.mail import trace as tracing

            self.tracer = tracing.Tracer(settings.debug.trace_folder, secrets=tracing.settings_secrets(settings))
        self._traced_settings = False
        self._traced_choice: Choice | None = None
        self._opened = False

    # -- route ------------------------------------------------------------------------
    def _trace_settings(self) -> None:
        if self.tracer is not None and not self._traced_settings:
            from viewer.mail import trace as tracing

            self._traced_settings = True
            self._trace("settings", json.dumps(tracing.settings_summary(self.settings), ensure_ascii=False, default=str))

    def _trace(self, kind: str, text: str) -> None:
        if self.tracer is not None:
            self.tracer.write(kind, text)

    def _credentials(self) -> Credentials | None:
        """The direct SMTP route's login (None on other routes); its secret forms go to the trace's redaction."""
        if not self.settings.functions.send_direct:
            return None
        from viewer.mail.credentials import credentials_for

        credentials = credentials_for(self.settings)
        if self.tracer is not None:
            from viewer.mail import trace as tracing

            self.tracer.add_secrets([*tracing.settings_secrets(self.settings), *credentials.secret_forms()])
        return credentials

    @property
    def choice(self) -> Choice:
        """The route decision in force (the local route of the settings when none was given)."""
        if self._choice is None:
            self._trace_settings()
            self._choice = choose(self.settings, None, credentials=self._credentials(), trace=self._trace if self.tracer else None)
            self._traced_choice = self._choice
        return self._choice

    @property
    def route(self) -> Route:
        """The route in force (its trace goes to the debug trace when that is on)."""
        choice = self.choice
        if self.tracer is not None and choice is not self._traced_choice:
            self._traced_choice = choice  # a choice made by the caller: say it once
            self._trace_settings()
            self._credentials()  # its secret forms are redacted from the trace
            self._trace("route", f"{choice.decision.label}: {choice.decision.reason}; {choice.text}")
        if self.tracer is not None and choice.route.trace is None:
            choice.route.trace = self.tracer.sink(choice.route.name)
        return choice.route

    def _fall_back(self, exc: ServerNotReached) -> Route:
        """The server could not be reached at all: the same send goes out locally (S5), and says so."""
        if self._opened:
            self._opened = False
            self.choice.route.close()
        self._choice = fall_back(self.choice, self.settings, str(exc), credentials=self._credentials(), trace=self._trace if self.tracer else None)
        self._traced_choice = self._choice
        route = self.route
        route.open()
        self._opened = True
        return route

    def __enter__(self) -> Outbox:
        self.journal.hold()
        self.history.hold()
        try:
            self.route.open()
            self._opened = True
        except RouteError as exc:  # reported by the first send
            self._trace("route", f"could not open the route: {exc}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the route's connection (when ``__enter__`` opened it) and our history handle."""
        try:
            if self._opened and self._choice is not None:
                self._opened = False
                self._choice.route.close()
        finally:
            self.journal.release()
            try:
                if self._own_history:
                    self.history.close()
                else:
                    self.history.release()
            except SpoolviewError:
                pass  # a history that cannot be written never undoes sends

    # -- history ----------------------------------------------------------------------
    def already_sent(self, document: str, recipients: Iterable[str]) -> list[HistoryEntry]:
        """Earlier accepted sends of ``document`` to any of ``recipients``: warn before sending."""
        return self.history.already_sent(document, recipients)

    # -- sending ----------------------------------------------------------------------
    def send(self, composed: Any, *, subject: str = "", document: str = "", address_type: str = "EMAIL") -> Outcome:
        raw, envelope = _unpack(composed)
        raw, message_id, found_subject = _message_facts(raw, envelope.sender)
        subject = subject or (composed.subject if isinstance(composed, Composed) else "") or found_subject
        notes: list[str] = []
        self._trace_settings()
        duplicates: list[HistoryEntry] = []
        try:
            duplicates = self.already_sent(document, envelope.recipients)
        except SpoolviewError as exc:  # a broken history must not stop a send
            notes.append(str(exc))
        self._trace(
            "send",
            f"document={document or '-'} type={address_type} subject={subject!r} from={envelope.sender} "
            f"to={', '.join(envelope.recipients)} size={len(raw)} message-id={message_id}"
            + (f" already sent {len(duplicates)} time(s)" if duplicates else ""),
        )
        result: SendResult | None = None
        error: RouteError | None = None
        route_name = "direct SMTP" if self.settings.functions.send_direct else "pickup folder"
        waited = 0.0
        try:
            route = self.route
            route_name = self.choice.text
            if isinstance(route, ServerRoute):  # the server route labels its journal with it
                route.document = document
            try:
                waited = self.throttle.wait()
            except SpoolviewError as exc:  # the delay cannot be kept: do not send faster than asked
                raise ConfigurationError(str(exc)) from None
            if waited:
                self._trace("delay", f"waited {waited:.2f} s (delay between sends {self.throttle.delay:g} s)")
            try:
                result = route.send(raw, envelope)
            except ServerNotReached as exc:
                route = self._fall_back(exc)
                route_name = self.choice.text
                result = route.send(raw, envelope)
        except RouteError as exc:
            error = exc
        except OSError as exc:  # a route should have said it; never report such a send as done
            error = TemporaryError(f"sending failed ({exc.strerror or exc}): try again later")
        except Exception as exc:  # noqa: BLE001 - a route's bug: keep the message, say what failed
            error = RouteError(f"sending failed on an unexpected error ({type(exc).__name__}: {exc}); the message is kept in the error folder")
        outcome = Outcome(
            ok=result is not None and result.ok,
            route_name=route_name,
            recipients=envelope.recipients,
            result=result,
            error=error,
            message_id=message_id,
            subject=subject,
            duplicate_of=duplicates,
            notes=notes,
            waited=waited,
            decision=self._choice.decision if self._choice is not None else None,
        )
        self._record(outcome, raw, envelope, document, address_type)
        return outcome

    def send_many(self, items: Iterable[Any], **kwargs: Any) -> list[Outcome]:
        """Several messages over one connection; each gets its own Outcome."""
        with self:
            return [self.send(item, **kwargs) for item in items]

    # -- what a send leaves behind -------------------------------------------------------
    def _record(self, outcome: Outcome, raw: bytes, envelope: Envelope, document: str, address_type: str) -> None:
        result, settings = outcome.result, self.settings
        ext = settings.advanced.file_extension or ".eml"
        name = result.file.name if result is not None and result.file is not None else ""
        if result is not None and result.accepted:
            if not (settings.functions.send_direct and settings.functions.send_without_file):
                name = name or file_name(ext)
                path, note = self.journal.keep_sent(raw, name)
                outcome.file = path or outcome.file
                if note:
                    outcome.notes.append(note)
        if not outcome.ok:
            name = name or file_name(ext)
            path, note = self.journal.keep_error(raw, name, self._error_text(outcome, envelope))
            if path is not None:
                outcome.file, name = path, path.name
            if note:
                outcome.notes.append(note)
        outcome.name = name
        now = datetime.now()
        recipients = [(r, _reply(r)) for r in outcome.recipient_results()]
        lines = [LogLine(now, outcome.subject, envelope.sender, r.address, OK if r.accepted else ERROR, reply, name) for r, reply in recipients]
        note = self.journal.log(lines)
        if note:
            outcome.notes.append(note)
        try:
            self.history.record(
                document,
                [(r.address, ACCEPTED if r.accepted else (REFUSED if r.code else FAILED), reply) for r, reply in recipients],
                message_id=outcome.message_id,
                subject=outcome.subject,
                route=outcome.route_name,
                address_type=address_type,
                file=str(outcome.file or ""),
            )
        except SpoolviewError as exc:
            outcome.notes.append(str(exc))
        if self.tracer is not None:
            for line in outcome.summary_lines():
                self._trace("outcome", line)
            if self.tracer.failed:
                outcome.notes.append(self.tracer.failed)

    def _error_text(self, outcome: Outcome, envelope: Envelope) -> str:
        """The .log beside an error mail, in the interface language; the server's reply verbatim."""
        from viewer.messages import describe

        lang = log_language(self.settings.printing.language)
        words = LOG_WORDS[lang]
        lines = [
            f"{words['date']}: {datetime.now():%Y-%m-%d %H:%M:%S}",
            f"{words['route']}: {outcome.route_name}",
            f"{words['subject']}: {outcome.subject}",
            f"{words['sender']}: {envelope.sender}",
            f"{words['recipients']}: {', '.join(envelope.recipients)}",
            f"message-id: {outcome.message_id}",
        ]
        if outcome.error is not None:
            kind = outcome.error.kind
            lines.append(f"{words['error']}: {words.get('kind.' + kind, kind)}")
            lines.append(f"{words['detail']}: {describe(outcome.error, lang)}")
            if outcome.error.code:
                lines.append(f"{words['reply']}: {outcome.error.code} {outcome.error.reply}".rstrip())
        worded = describe(outcome.error, lang) if outcome.error is not None else ""
        for r in outcome.recipient_results():  # a whole-message error is worded; a server's own reply stays verbatim
            reply = worded if worded and r.reply == str(outcome.error) else _reply(r)
            lines.append(f"{r.address}: {words['accepted'] if r.accepted else words['refused']} {reply}".rstrip())
        return "\n".join(lines) + "\n"


# The words of the error .log, per interface language (viewer/mail does not use the GUI's catalogues).
LOG_WORDS: dict[str, dict[str, str]] = {
    "fr": {"date": "date", "route": "voie d'envoi", "subject": "objet", "sender": "expéditeur",
           "recipients": "destinataires", "error": "erreur", "detail": "détail technique",
           "reply": "réponse du serveur", "accepted": "accepté", "refused": "refusé",
           "kind.temporary": "le serveur n'a pas pu prendre le message pour l'instant (réessayer plus tard)",
           "kind.permanent": "le serveur a refusé le message",
           "kind.configuration": "l'envoi est mal paramétré (voir les paramètres)"},
    "en": {"date": "date", "route": "route", "subject": "subject", "sender": "sender",
           "recipients": "recipients", "error": "error", "detail": "technical detail",
           "reply": "server reply", "accepted": "accepted", "refused": "refused",
           "kind.temporary": "the server could not take the message for now (try again later)",
           "kind.permanent": "the server refused the message",
           "kind.configuration": "the sending settings are wrong (see the settings)"},
}


def log_language(setting: str) -> str:
    """fr or en from the interface language setting ("auto": the system's, French unless English)."""
    if setting in LOG_WORDS:
        return setting
    import locale
    import os

    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value[:2].lower() == "en" else "fr"
    try:
        code = (locale.getlocale()[0] or "fr")[:2].lower()
    except ValueError:
        code = "fr"
    return "en" if code == "en" else "fr"


def _reply(r: RecipientResult) -> str:
    if r.code and not r.reply.startswith(str(r.code)):
        return f"{r.code} {r.reply}".strip()
    return r.reply


def recipients_of(raw: bytes) -> list[str]:
    """Addresses in To/Cc/Bcc of ``raw`` (helper for callers building an envelope)."""
    from email import policy
    from email.parser import BytesHeaderParser
    from email.utils import getaddresses

    match = _HEADER_END.search(raw)
    head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[: match.end()] if match else raw)
    values = [str(v) for key in ("To", "Cc", "Bcc") for v in head.get_all(key, [])]
    return [addr for _, addr in getaddresses(values) if addr]
