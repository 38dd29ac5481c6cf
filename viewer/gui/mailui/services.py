"""The mail windows' non-Tk facade: prepare a send, send it in the background, records, connection."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from viewer.errors import SpoolviewError
from viewer.gui.mailui.model import (
    AttachmentItem,
    BackgroundTask,
    Draft,
    SendReport,
    error_kind,
    error_text,
    html_to_text,
    mailbox,
    split_addresses,
    text_to_html,
    text_to_rtf,
)
from viewer.mail.routes.select import FAILED, NOT_CONNECTED, SERVER, UNREACHABLE, Decision, ServerState, decide
from viewer.settings import Settings
from viewer.settings_store import SettingsStore
from viewer.settings_store import shared as shared_store

if TYPE_CHECKING:
    from formats.document import DocInfo, Document
    from viewer.connection import Connection
    from viewer.directory import Contact, Customer, Directory, Entry, Lookup
    from viewer.mail import job
    from viewer.mail.lookup import Lookups
    from viewer.mail.outbox import Outcome

T = TypeVar("T")
log = logging.getLogger(__name__)

__all__ = [
    "AttachmentItem",
    "BackgroundTask",
    "Draft",
    "MailServices",
    "SendReport",
    "error_text",
    "html_to_text",
    "split_addresses",
    "text_to_html",
    "warm_up",
]

FAX_TYPES = ("FAX", "FAX2")
PROTECTIONS = ("none", "no-modify", "password")


class MailServices:
    """What the dialogs call. Reads the settings store, holds the directory look-ups and the connection in force."""

    def __init__(self, settings: Settings | None = None, *, store: SettingsStore | None = None,
                 directory: Directory | None = None, connection: Connection | None = None) -> None:
        if store is None:
            # Settings handed in (not the file's): kept as they are, never re-read from the file.
            store = SettingsStore(settings.path, settings=settings, watch=False) if settings is not None else shared_store()
        self.store = store
        self._local_directory = directory  # a directory to use instead of the settings' one (tests)
        self.connection = connection
        self.connection_lost = False
        self.lost_reason = ""  # why the server was left (English), when it was
        self._lookups: Lookups | None = None
        self.listeners: list[Callable[[], object]] = []  # called (on the UI thread) when state changes
        self._unsubscribe = store.subscribe(self._settings_changed)

    # -- settings -----------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The settings in force: the process's store, which every window shares."""
        return self.store.settings

    def refresh_settings(self) -> Settings:
        """Re-read the settings file if another process changed it (UI thread: listeners are told)."""
        return self.store.refresh()

    def save_settings(self, settings: Settings) -> None:
        """Save and apply to every window of this process."""
        self.store.save(settings)

    def reload_settings(self, settings: Settings | None = None) -> None:
        """Apply ``settings`` (already saved by their dialog) to every window, or re-read the file."""
        if settings is None:
            self.store.refresh()
        else:
            self.store.adopt(settings)

    def _settings_changed(self, _settings: Settings) -> None:
        self._reset_lookups()
        self._changed()

    def close(self) -> None:
        """Stop following the settings store (the window is closing)."""
        self._unsubscribe()
        self._reset_lookups()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    # -- directory ----------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.connection is not None and self.connection.is_connected

    def _live_connection(self) -> Connection | None:
        return self.connection if self.connected and not self.connection_lost else None

    @property
    def lookups(self) -> Lookups:
        """Where look-ups go: the server when connected, the local directory when it is not or stops answering."""
        from viewer.mail.lookup import Lookups

        if self._lookups is None:
            self._lookups = Lookups(self.settings, self._live_connection(), directory=self._local_directory)
        return self._lookups

    def _reset_lookups(self) -> None:
        lookups, self._lookups = self._lookups, None
        if lookups is not None:
            lookups.close()

    def directory_note(self) -> str:
        """'' normally; a note in the interface language when the local directory stands in for the server's."""
        if self._lookups is not None and self._lookups.fell_back:
            return _text("records.local_fallback")
        return ""

    def _directory_call(self, call: Callable[[Lookups], T]) -> T:
        from viewer.mail.lookup import NoDirectory

        try:
            return call(self.lookups)
        except NoDirectory as exc:
            raise SpoolviewError(_text("records.no_directory", detail=str(exc))) from None

    def search(self, text: str, limit: int = 20) -> list[Entry]:
        """Customers and contacts matching ``text`` (name, code or e-mail prefix)."""
        if not text.strip():
            return []
        return self._directory_call(lambda d: d.search(text, limit=limit))

    def completions(self, text: str, limit: int = 10) -> list[str]:
        """``Name <address>`` suggestions for an address field (last address being typed)."""
        head, _, last = text.rpartition(",")
        head2, _, last2 = last.rpartition(";")
        prefix = (head + "," if head else "") + (head2 + ";" if head2 else "")
        word = last2.strip()
        if len(word) < 2:
            return []
        try:
            entries = self.search(word, limit=limit)
        except Exception as exc:  # noqa: BLE001 - completion is a help, never an error
            log.debug("completion failed: %s", error_text(exc))
            return []
        return [f"{prefix}{' ' if prefix else ''}{mailbox(e.name, e.email)}".strip() for e in entries if e.email]

    def customer(self, code: str) -> Customer | None:
        return self._directory_call(lambda d: d.customer(code))

    def contact(self, code: str) -> Contact | None:
        return self._directory_call(lambda d: d.contact(code))

    def contacts_of(self, code: str) -> list[Contact]:
        return self._directory_call(lambda d: d.contacts_of(code))

    def history(self, addresses: list[str], limit: int = 200) -> list[str]:
        """The sends to any of ``addresses`` (newest first), one line each."""
        wanted = {_bare(a).lower() for a in addresses if a}
        if not wanted:
            return []
        from viewer.mail.history import History

        history = History()
        try:
            entries = history.recent(5000)
        except SpoolviewError as exc:
            return [error_text(exc)]
        finally:
            history.close()
        lines = self._server_history(wanted) if self._live_connection() is not None else []
        for e in entries:
            if e.recipient.lower() in wanted:
                lines.append(f"{e.time:%Y-%m-%d %H:%M}  {e.document or e.subject}  → {e.recipient}  "
                             f"{_text('mail.outcome.' + ('accepted' if e.outcome == 'accepted' else 'refused'))}"
                             + (f"  {e.reply}" if e.outcome != "accepted" and e.reply else ""))
        return lines[:limit]

    def _server_history(self, wanted: set[str]) -> list[str]:
        """The sends made through the application server to ``wanted`` (connected mode)."""
        import datetime

        from viewer.connection import ConnectionProblem

        connection = self._live_connection()
        if connection is None:
            return []
        try:
            items = connection.history(500)
        except ConnectionProblem as exc:
            return [error_text(exc)]
        lines = []
        for item in items:
            for r in item.get("recipients") or []:
                address = str(r.get("address", "") if isinstance(r, dict) else r)
                if address.lower() not in wanted:
                    continue
                accepted = bool(r.get("accepted", item.get("ok"))) if isinstance(r, dict) else bool(item.get("ok"))
                when = datetime.datetime.fromtimestamp(float(item.get("at") or 0))
                name = Path(str(item.get("document") or "")).name or str(item.get("subject", ""))
                state = _text("mail.outcome." + ("accepted" if accepted else "refused"))
                lines.append(f"{when:%Y-%m-%d %H:%M}  {name}  → {address}  {state}  ({self.connection_name()})")
        return lines

    # -- the route decision, in words -------------------------------------------------
    def server_state(self) -> ServerState:
        """What the windows know of the server, without asking it (the monitor and the sends keep it up to date)."""
        connection = self.connection
        if connection is None or not connection.is_connected:
            return ServerState()
        return ServerState(connected=True, answering=not self.connection_lost, name=connection.name, url=connection.url,
                           problem=self.lost_reason)

    def decision(self) -> Decision:
        """The route decision as known now (routes.select.decide: the one the send will take unless the server changed)."""
        return decide(self.settings, self.server_state())

    def route_text(self, address_type: str = "EMAIL", short: bool = False, decision: Decision | None = None,
                   why: bool = True) -> str:
        """The route of ``decision`` (default: the one in force) in words (``short``: for the status bar;
        ``why``: with the reason of a fallback)."""
        from viewer.gui.i18n import _

        if short:
            _ = _short
        s = self.settings
        if address_type in FAX_TYPES and not s.routing.template(address_type):
            return _("mail.route.not_configured", type=address_type)
        decision = decision or self.decision()
        if decision.kind == SERVER:
            return _("mail.route.server", name=decision.server or self.connection_name())
        if decision.local == "smtp":
            host = s.functions.host or "?"
            security = (" " + s.functions.tls_mode.upper()) if s.functions.ssl else ""
            text = _("mail.route.smtp", host=host, port=s.functions.effective_port(), security=security)
        else:
            text = _("mail.route.pickup", folder=s.service.pickup_folder)
        if not why:
            return text
        if decision.fallback in (UNREACHABLE, FAILED):
            text += " " + _("mail.route.unreachable")
        elif decision.fallback == NOT_CONNECTED:
            text += " " + _("mail.route.fallback")
        return text

    def status_text(self) -> str:
        """The status bar's connection + route text (the same decision as the send dialog's "Envoi par")."""
        from viewer.gui.i18n import _

        decision = self.decision()
        why = True
        if decision.fallback in (UNREACHABLE, FAILED):  # "Local (serveur bureau injoignable) — dépôt ~/pickup"
            state, why = _("connection.status.unreachable", name=self.connection_name()), False
        elif self.connection_lost:
            state = _("connection.status.lost", name=self.connection_name())
        elif self.connected:
            state = _("connection.status.connected", name=self.connection_name())
        else:
            state = _("connection.status.local")
        return f"{state} — {self.route_text('EMAIL', short=True, decision=decision, why=why)}"

    # -- preparing a send ---------------------------------------------------------
    def prepare(self, document: Document | None = None, address_type: str = "EMAIL", *, to: str = "", name: str = "",
                customer_code: str = "", contact_code: str = "", attach_document: bool = True,
                defer_lookup: bool = False, defer_attachment: bool = False) -> Draft:
        """The send job's draft for ``document`` (mail.job.prepare), as the dialog shows it.

        Runs on the UI thread. A look-up problem is kept in ``lookup_message``; a conversion
        error raises (the caller shows it). With ``defer_attachment`` the document is not
        converted here: the draft comes back with ``attachment_pending`` set, for the dialog to
        run ``document_attachment`` on a worker once it is drawn and ``attach`` its result
        (the click shows the dialog without waiting for the PDF). With ``defer_lookup``, and a connection
        to the application server or a local directory not loaded yet in this process
        (SQLAlchemy: ~170 ms and ~12 MB, left out of the viewer until mail needs it), the
        look-up is not made here: the draft comes back with ``lookup_pending`` set, for the
        dialog to run ``fetch_recipient`` on a worker and ``apply_recipient`` with its answer.
        Without ``attach_document`` the mail is not about the document (no key, no customer guard).
        """
        from viewer.mail import job

        self.refresh_settings()
        s = self.settings
        source = document if attach_document else None
        draft = Draft(address_type=address_type, document=source)
        draft.ask_protection = s.pdf.password_policy == "ask" and source is not None
        draft.protection = s.pdf.protection if s.pdf.protection in PROTECTIONS else "no-modify"
        protect = None
        if draft.ask_protection:  # start with the base mode; a password is asked in the dialog
            draft.protection = protect = "no-modify" if draft.protection == "password" else draft.protection
        slow = self._live_connection() is not None or not (self._local_directory is not None or directory_loaded(s))
        defer = defer_lookup and slow and not to and source is not None
        later = defer_attachment and source is not None
        prepared = job.prepare(source, s, self._live_connection(), address_type=address_type,
                               to=[mailbox(name, to)] if to else [], customer_code=customer_code,
                               contact_code=contact_code, protect=protect, look_up=not defer,
                               language=_ui_language(), lookups=self.lookups, attach=not later)
        self._take(draft, prepared)
        draft.customer_code = customer_code or (prepared.lookup.customer_code if prepared.lookup else "")
        draft.contact_code = contact_code or (prepared.lookup.contact_code if prepared.lookup else "")
        draft.attachments = [AttachmentItem(a.filename, a.data, a.mimetype, from_document=True) for a in prepared.attachments]
        draft.attached_protection = protect or ""
        draft.document_id, draft.document_customer = prepared.document_key, prepared.document_customer
        draft.route_text = self.route_text(address_type)
        if defer and source is not None:
            draft.lookup_pending, draft.lookup_info = True, source.info
        draft.attachment_pending = later
        return draft

    def _take(self, draft: Draft, prepared: job.Draft) -> None:
        """The texts, recipient and look-up messages of a job draft into the dialog's draft."""
        draft.to = ", ".join(prepared.to)
        draft.subject, draft.body = prepared.subject, prepared.body
        draft.html = draft.prepared_html = prepared.html
        if prepared.lookup is not None:
            draft.lookup_message = self.lookup_text(prepared.lookup, draft.address_type, customer_name=prepared.customer_name)
        elif prepared.lookup_error:
            draft.lookup_message = _text("mail.lookup.failed", error=prepared.lookup_error)
        draft.directory_note = self.directory_note()

    def fetch_recipient(self, info: DocInfo, address_type: str = "EMAIL") -> job.Draft:
        """The L1 look-up of ``info`` as a job draft (To, names, look-up result).

        Touches only the directory or the connection (no Tk, no i18n): safe on a worker thread.
        """
        from viewer.mail import job

        found = job.Draft(self.settings, self._live_connection(), address_type)
        job.fill_recipient(found, info, self.lookups)
        return found

    def apply_recipient(self, draft: Draft, answer: job.Draft | None, error: BaseException | None = None) -> None:
        """Complete a ``lookup_pending`` draft with the worker's answer (UI thread).

        On success: To, the look-up message, the codes, and subject/body rendered again with
        the names. On ``error``: a French/English message saying To is to be typed.
        """
        from viewer.mail import job

        draft.lookup_pending = False
        info, draft.lookup_info = draft.lookup_info, None
        if error is not None or answer is None or info is None:
            draft.lookup_message = _text("mail.lookup.failed", error=self.error_message(error) if error else "?")
            return
        job.fill_texts(answer, info, _ui_language())
        self._take(draft, answer)
        if answer.lookup is not None:
            draft.customer_code, draft.contact_code = answer.lookup.customer_code, answer.lookup.contact_code

    def lookup_text(self, found: Lookup, address_type: str = "EMAIL", customer_name: str | None = None) -> str:
        """What the look-up says, in the interface language ('' when it found the address plainly)."""
        if not found.message:
            return ""
        what = _text("mail.lookup.fax" if address_type in FAX_TYPES else "mail.lookup.email")
        code = found.customer_code
        if found.found:
            return _text("mail.lookup.customer_used", contact=found.contact_code)
        if "belongs to customer" in found.message:  # a contact of another customer: the directory's own words
            return found.message
        if not code:
            return _text("mail.lookup.no_customer", what=what)
        name = self.lookups.customer_name(code) if customer_name is None else customer_name
        if not name:
            return _text("mail.lookup.unknown_customer", code=code, what=what)
        kind = _text("mail.lookup.kind_fax" if address_type in FAX_TYPES else "mail.lookup.kind_email")
        return _text("mail.lookup.no_address", code=code, name=name, what=what, kind=kind)

    def document_attachment(self, document: Document, address_type: str = "EMAIL", protect: str | None = None,
                            password: str = "") -> AttachmentItem:
        """The document as the settings want it attached (PDF or the spool itself); raises the conversion's error.

        Safe on a worker thread: no Tk, no interface text; formats takes the PyMuPDF lock.
        """
        from viewer.mail.attachments import document_attachment

        att = document_attachment(document, self.settings, address_type=address_type, protect=protect, password=password)
        return AttachmentItem(att.filename, att.data, att.mimetype, from_document=True)

    def attach(self, draft: Draft, item: AttachmentItem, protection: str) -> None:
        """The document's attachment made on a worker into ``draft`` (UI thread): in place of the
        earlier one, or first in the list; ``protection`` is the one it was made with."""
        draft.attachment_pending, draft.attachment_error = False, ""
        for index, attached in enumerate(draft.attachments):
            if attached.from_document:
                draft.attachments[index] = item
                break
        else:
            draft.attachments.insert(0, item)
        draft.attached_protection = protection

    def protection_change(self, draft: Draft) -> tuple[str, str] | None:
        """At send: (protection, password) to convert the document again with when the user chose
        another protection than the attached one (policy "ask"), else None.

        Raises a SpoolviewError for a password protection without a password.
        """
        if not draft.ask_protection or draft.document is None or not any(a.from_document for a in draft.attachments):
            return None
        if draft.protection == "password" and not draft.password:
            raise SpoolviewError(_text("mail.error.password_needed"))
        if draft.protection == draft.attached_protection and draft.protection != "password":
            return None
        return draft.protection, draft.password if draft.protection == "password" else ""

    def check(self, draft: Draft) -> str:
        """What is wrong with the draft before sending ('' when it can go)."""
        if not split_addresses(draft.to) and not split_addresses(draft.cc) and not split_addresses(draft.bcc):
            return _text("mail.error.no_recipient") + (f" ({draft.lookup_message})" if draft.lookup_message else "")
        if draft.ask_protection and draft.protection == "password" and not draft.password:
            return _text("mail.error.password_needed")
        if draft.attachment_pending:
            return _text("mail.error.attachment_pending")
        if draft.attachment_error:
            return _text("mail.attachments.error", error=draft.attachment_error)
        return self.sender_problem()

    def sender_screen(self) -> str:
        """The settings screen whose From identity the route in force uses."""
        return "functions" if self.settings.functions.send_direct else "service"

    def sender_problem(self) -> str:
        """'' when a From identity is set, else what to fill in and where (a fresh install has none)."""
        if self.settings.from_identity().strip():
            return ""
        return _text("mail.error.no_sender", screen=_text(f"settings.screen.{self.sender_screen()}"))

    def already_sent(self, draft: Draft) -> list[str]:
        """The recipients this document already went to (for the warning); [] when none or unknown."""
        return sorted({entry.recipient for entry in self.guards(draft).already_sent})

    def guards(self, draft: Draft) -> job.Guards:
        """The send job's guards for the draft as the fields now say (history, customer of each recipient)."""
        from viewer.mail import job

        try:
            return job.check(self.job_draft(draft), lookups=self.lookups)
        except SpoolviewError as exc:
            log.debug("guards not available: %s", error_text(exc))
            return job.Guards()

    def mismatch_question(self, mismatches: list[job.Mismatch]) -> str:
        """The question asked before sending a document to another customer's recipient."""
        lines = [_text("mail.warning.other_customer_line", address=m.recipient,
                       theirs=_named(m.recipient_customer, m.recipient_customer_name),
                       ours=_named(m.document_customer, m.document_customer_name)) for m in mismatches]
        return _text("mail.warning.other_customer", lines="\n".join(lines))

    def job_draft(self, draft: Draft) -> job.Draft:
        """The send job's draft for what the dialog shows (body = plain alternative of an edited HTML)."""
        from viewer.mail import job
        from viewer.mail.compose import Attachment

        s = self.settings
        rich = draft.address_type not in FAX_TYPES
        body = draft.body
        if draft.html is not None and draft.html != draft.prepared_html:
            body = html_to_text(draft.html)
        return job.Draft(
            s, self._live_connection(), draft.address_type,
            to=split_addresses(draft.to), cc=split_addresses(draft.cc), bcc=split_addresses(draft.bcc),
            subject=draft.subject, body=body, html=draft.html if rich else None,
            rtf=text_to_rtf(body) if rich and s.advanced.allow_rtf else None,
            attachments=[Attachment(a.filename, a.data, a.mimetype) for a in draft.attachments],
            document_key=draft.document_id, document_customer=draft.document_customer,
        )

    # -- sending --------------------------------------------------------------------
    def send(self, draft: Draft) -> SendReport:
        """Send through the job; every failure becomes a report (safe on a worker thread)."""
        from viewer.mail import job

        try:
            if draft.attachment_pending or draft.attachment_error:  # never a mail without its document
                raise SpoolviewError(_text("mail.error.attachment_pending") if draft.attachment_pending
                                     else _text("mail.attachments.error", error=draft.attachment_error))
            prepared = self.job_draft(draft)
            outcome = job.send(prepared, force=draft.force)
            return self._report(outcome, prepared.notes, draft.address_type)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an honest send report (worker thread)
            return self._failure(exc)

    def start_send(self, draft: Draft) -> BackgroundTask:
        """``send`` on a worker thread (UI thread: the document attached, the settings re-read first)."""
        self.refresh_settings()
        return BackgroundTask(self.send, draft)

    def sent(self, report: SendReport) -> None:
        """After a send (UI thread): a send that fell back from the server marks it unreachable for every window."""
        if report.fallback in (UNREACHABLE, FAILED) and not self.connection_lost:
            self.lost_reason = report.fallback_reason
            self.mark_lost()

    def test_mail(self, address_type: str, to: str, subject: str, body: str, attachment: str = "") -> SendReport:
        """The Tools test utility: a plain mail through the route of ``address_type`` (the send job's road)."""
        from viewer.mail import job
        from viewer.mail.compose import Attachment

        try:
            self.refresh_settings()
            if not split_addresses(to):
                raise SpoolviewError(_text("mail.error.no_recipient"))
            if self.sender_problem():
                raise SpoolviewError(self.sender_problem())
            prepared = job.Draft(self.settings, self._live_connection(), address_type, to=split_addresses(to),
                                 subject=subject, body=body)
            if attachment:
                item = AttachmentItem.from_path(attachment)
                prepared.attachments.append(Attachment(item.filename, item.data, item.mimetype))
            outcome = job.send(prepared)
            return self._report(outcome, prepared.notes, address_type)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an honest send report (worker thread)
            return self._failure(exc)

    def _report(self, outcome: Outcome, notes: list[str], address_type: str = "EMAIL") -> SendReport:
        s = self.settings
        decision = outcome.decision
        report = SendReport(
            ok=outcome.ok,
            route=self.route_text(address_type, decision=decision) if decision is not None else outcome.route_name,
            fallback=decision.fallback if decision is not None else "",
            fallback_reason=decision.reason if decision is not None and decision.fallback else "",
            file=str(outcome.file or ""),
            error_folder=s.copies.error_folder,
            trace_folder=s.debug.trace_folder if s.debug.trace else "",
        )
        report.lines = self._outcome_lines(outcome, address_type)
        report.lines.extend(notes)
        error = outcome.error
        if error is not None and not report.ok:
            report.kind = error_kind(error)
            report.headline, detail = self.describe_error(error)
            reply_line = detail.partition("\n")[2]  # the server's reply, when the lines do not show it
            if reply_line and not any(error.reply in line for line in report.lines):
                report.lines.insert(0, reply_line)
        return report

    def _outcome_lines(self, outcome: Outcome, address_type: str) -> list[str]:
        """One line per recipient (the server's own reply when refused), then where the message is, in words."""
        error, result = outcome.error, outcome.result
        whole = outcome.whole
        route = self.route_text(address_type, short=True, decision=outcome.decision)
        out = []
        worded = error_text(error) if whole and error is not None else ""  # the whole message's error, in words
        for r in outcome.recipient_results():
            reply = r.reply if whole or not r.code or r.reply.startswith(str(r.code)) else f"{r.code} {r.reply}".strip()
            if worded and r.reply == str(error):
                reply = worded
            if r.accepted:
                out.append(_text("mail.outcome.line_accepted", address=r.address, route=route))
            else:
                temporary = (error is not None and error.kind == "temporary") if whole else r.temporary
                out.append(_text("mail.outcome.line_temporary" if temporary else "mail.outcome.line_refused",
                                 address=r.address, reply=reply))
        message_file = result.file if result is not None else None
        if message_file is not None:
            out.append(_text("mail.outcome.message_file", file=message_file))
        if outcome.file is not None and outcome.file != message_file:
            out.append(_text("mail.outcome.copy" if outcome.ok else "mail.outcome.error_copy", file=outcome.file))
        out.extend(_text("mail.outcome.note", note=note) for note in outcome.notes)
        return out

    def _failure(self, exc: BaseException) -> SendReport:
        s = self.settings
        headline, detail = self.describe_error(exc)
        return SendReport(ok=False, error=detail, headline=headline, error_folder=s.copies.error_folder,
                          trace_folder=s.debug.trace_folder if s.debug.trace else "", kind=error_kind(exc))

    def describe_error(self, exc: BaseException) -> tuple[str, str]:
        """(headline, detail) of a mail-road error: what went wrong and what to check, in the
        interface language ('' for an error of no known kind), and the technical detail
        (the error's own words, then the server's reply verbatim when it has one)."""
        kind = error_kind(exc)
        screen = _text(f"settings.screen.{self.sender_screen()}")
        headline = _text(f"mail.error.kind.{kind}", screen=screen) if kind else ""
        detail = error_text(exc)
        from viewer.mail.routes.base import RouteError

        reply = exc.reply.strip() if isinstance(exc, RouteError) else ""
        if isinstance(exc, RouteError) and reply and reply not in detail:
            code = exc.code
            detail += "\n" + _text("mail.error.server_reply", reply=f"{code} {reply}" if code else reply)
        return headline, detail

    def error_message(self, exc: BaseException) -> str:
        """A mail-road error in words: the headline on the first line, the technical detail below."""
        headline, detail = self.describe_error(exc)
        return f"{headline}\n{detail}" if headline else detail

    # -- journals and trace -------------------------------------------------------
    def smtp_log_path(self) -> Path:
        return Path(self.settings.copies.log_folder) / "Smtp.log"

    def smtp_log_lines(self) -> list[str]:
        path = self.smtp_log_path()
        try:
            return path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def set_trace(self, on: bool) -> str:
        """Turn the debug trace on or off (saved, for every window); returns the trace folder."""
        settings = self.refresh_settings()
        settings.debug.trace = on
        self.save_settings(settings)
        return settings.debug.trace_folder

    def load_trace(self, folder: str | None = None) -> str:
        """The text of the debug trace files of ``folder`` (the configured one by default)."""
        from viewer.mail import trace

        return "\n".join(entry.format() for entry in trace.load(Path(folder or self.settings.debug.trace_folder)))

    # -- connection -----------------------------------------------------------------
    def profiles(self) -> list[str]:
        return sorted(self.settings.profiles)

    def connection_name(self) -> str:
        return self.connection.name if self.connection is not None else "?"

    def resume_connection(self) -> bool:
        """Pick up a connection opened earlier (``spoolview connect`` or a previous session)."""
        from viewer.connection import current

        connection = current(self.settings)
        if connection is not None and connection.is_connected:
            self._set_connection(connection)
            return True
        return False

    def _set_connection(self, connection: Connection | None) -> None:
        self.connection = connection
        self.connection_lost, self.lost_reason = False, ""
        self._reset_lookups()

    def connect(self, profile_name: str, password: str) -> None:
        """Log in to the application server of ``profile_name`` (raises a SpoolviewError)."""
        import dataclasses

        from viewer.connection import Connection

        profile = self.settings.profiles.get(profile_name)
        if profile is None:
            raise SpoolviewError(_text("connection.error.no_profile", name=profile_name))
        if not profile.name:
            profile = dataclasses.replace(profile, name=profile_name)
        connection = Connection(profile, ca_file=profile.ca_file or None)
        connection.connect(password)
        self._set_connection(connection)

    def disconnect(self) -> None:
        from viewer.connection import ConnectionProblem

        connection = self.connection
        self._set_connection(None)
        if connection is not None:
            try:
                connection.disconnect()
            except ConnectionProblem as exc:  # the server may be gone already
                log.debug("disconnect: %s", exc)

    def alive(self) -> bool:
        """Ask the server whether the session still holds (worker thread). False when lost; the reason is kept."""
        connection = self.connection
        if connection is None:
            return False
        problem = connection.health()
        if problem is not None:
            self.lost_reason = error_text(problem)
            return False
        return connection.is_connected

    def mark_lost(self) -> None:
        """The server stopped answering (UI thread): every look-up and send is local from now on, and says so."""
        self.connection_lost = True
        self._reset_lookups()
        self._changed()


def directory_loaded(settings: Settings) -> bool:
    """Whether a local look-up answers in a few milliseconds in this process: the directory is an
    SQLite file (read with sqlite3, viewer.directory_sqlite), or SQLAlchemy's directory is imported already."""
    if "viewer.directory" in sys.modules:
        return True
    from viewer.directory_sqlite import sqlite_file

    path = sqlite_file(settings)
    return path is not None and path.is_file()


def warm_up() -> None:
    """Import the mail road and register the default fonts ahead of the first click (any thread).

    Not SQLAlchemy's directory (~12 MB in every viewer): an SQLite directory is read with
    sqlite3 (viewer.directory_sqlite, a few ms); any other one is looked up on a worker at the
    first click (``prepare``), with the dialog already shown.
    """
    try:
        import formats.pdfmeta  # noqa: F401 - what the first conversion imports (XMP metadata); not used here
        import viewer.directory_sqlite
        import viewer.mail.attachments
        import viewer.mail.compose
        import viewer.mail.outbox
        import viewer.mail.templates  # noqa: F401 - imported ahead of the first click, not used here
        from formats import fonts

        for bold in (False, True):
            fonts.register("sans", bold)
    except Exception as exc:  # noqa: BLE001 - only a head start; the click reports real problems
        log.debug("warm-up: %s", error_text(exc))


def _short(key: str, /, **fields: object) -> str:
    """The status bar's compact wording of a route key (home folder shown as ~)."""
    from viewer.gui.i18n import _

    if "folder" in fields:
        folder = str(fields["folder"])
        home = str(Path.home())
        fields["folder"] = "~" + folder[len(home):] if folder.startswith(home + "/") else folder
    return _(key.replace("mail.route.", "mail.route.short."), **fields)


def _split_name(address: str) -> tuple[str, str]:
    from email.utils import parseaddr

    if "@" not in address:  # a fax number: no display name to split off
        return "", address.strip()
    name, bare = parseaddr(address)
    return name, bare or address.strip()


def _bare(address: str) -> str:
    return _split_name(address)[1]


def _text(key: str, **fields: object) -> str:
    from viewer.gui.i18n import _

    return _(key, **fields)


def _ui_language() -> str:
    from viewer.gui.i18n import language

    return language()


def _named(code: str, name: str) -> str:
    return f"{code} ({name})" if name else code
