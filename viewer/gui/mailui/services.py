"""The mail windows' non-Tk facade: prepare a send, send it in the background, records, connection."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

log = logging.getLogger(__name__)

__all__ = [
    "AttachmentItem",
    "BackgroundTask",
    "Draft",
    "MailServices",
    "RecipientAnswer",
    "SendReport",
    "error_text",
    "html_to_text",
    "split_addresses",
    "text_to_html",
    "warm_up",
]

FAX_TYPES = ("FAX", "FAX2")
PROTECTIONS = ("none", "no-modify", "password")


@dataclass
class RecipientAnswer:
    """What a recipient look-up brings back: the directory's answer and the names for the templates."""

    found: Any
    customer_name: str = ""
    contact_name: str = ""


class MailServices:
    """What the dialogs call. Holds the settings, the directory and the connection in force."""

    def __init__(self, settings: Any = None, *, directory: Any = None, connection: Any = None) -> None:
        if settings is None:
            from viewer import settings as settings_mod

            settings = settings_mod.load()
        self.settings = settings
        self._directory = directory
        self.connection = connection
        self.connection_lost = False
        self.listeners: list[Callable[[], None]] = []  # called (on the UI thread) when state changes

    # -- settings -----------------------------------------------------------------
    def reload_settings(self, settings: Any = None) -> None:
        if settings is None:
            from viewer import settings as settings_mod

            settings = settings_mod.load()
        self.settings = settings
        self._directory = None
        self._changed()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    # -- directory ----------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return bool(self.connection is not None and getattr(self.connection, "is_connected", False))

    def directory(self) -> Any:
        if self._directory is None:
            from viewer.directory import open_directory

            self._directory = open_directory(self.settings)
        return self._directory

    def _source(self) -> Any:
        """Where look-ups go: the application server when connected, else the local directory."""
        return self.connection if self.connected else self.directory()

    def search(self, text: str, limit: int = 20) -> list[Any]:
        """Customers and contacts matching ``text`` (name, code or e-mail prefix)."""
        if not text.strip():
            return []
        return list(self._source().search(text, limit=limit))

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
        out = []
        for entry in entries:
            if getattr(entry, "email", ""):
                out.append(f"{prefix}{' ' if prefix else ''}{mailbox(entry.name, entry.email)}".strip())
        return out

    def customer(self, code: str) -> Any:
        return self._source().customer(code)

    def contact(self, code: str) -> Any:
        return self._source().contact(code)

    def contacts_of(self, code: str) -> list[Any]:
        return list(self._source().contacts_of(code))

    def lookup(self, info: Any, address_type: str = "EMAIL") -> Any:
        return self._source().lookup(info, address_type=address_type)

    def history(self, addresses: list[str], limit: int = 200) -> list[str]:
        """The sends to any of ``addresses`` (newest first), one line each."""
        wanted = {_bare(a).lower() for a in addresses if a}
        if not wanted:
            return []
        from viewer.mail.history import History

        try:
            entries = History().recent(5000)
        except Exception as exc:  # noqa: BLE001 - the history is a help: its failure is shown in its place
            return [error_text(exc)]
        lines = self._server_history(wanted) if self.connected else []
        for e in entries:
            if e.recipient.lower() in wanted:
                lines.append(f"{e.time:%Y-%m-%d %H:%M}  {Path(e.document).name or e.subject}  → {e.recipient}  "
                             f"{_text('mail.outcome.' + ('accepted' if e.outcome == 'accepted' else 'refused'))}"
                             + (f"  {e.reply}" if e.outcome != "accepted" and e.reply else ""))
        return lines[:limit]

    def _server_history(self, wanted: set[str]) -> list[str]:
        """The sends made through the application server to ``wanted`` (connected mode)."""
        import datetime

        try:
            items = self.connection.history(500)
        except Exception as exc:  # noqa: BLE001 - the history is a help: its failure is shown in its place
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

    # -- preparing a send ---------------------------------------------------------
    def route_text(self, address_type: str = "EMAIL", short: bool = False) -> str:
        """The route that a send of ``address_type`` will take, in words (``short``: for the status bar)."""
        from viewer.gui.i18n import _

        if short:
            _ = _short
        s = self.settings
        template = s.routing.template(address_type) if hasattr(s.routing, "template") else ""
        if address_type in FAX_TYPES and not template:
            return _("mail.route.not_configured", type=address_type)
        via_server = s.functions.use_server_functions if s.functions.send_direct else s.service.use_server_service
        if via_server and self.connected:
            return _("mail.route.server", name=self.connection_name())
        if s.functions.send_direct:
            host = s.functions.host or "?"
            security = (" " + s.functions.tls_mode.upper()) if s.functions.ssl else ""
            text = _("mail.route.smtp", host=host, port=s.functions.effective_port(), security=security)
        else:
            text = _("mail.route.pickup", folder=s.service.pickup_folder)
        if via_server:
            text += " " + _("mail.route.fallback")
        return text

    def status_text(self) -> str:
        """The status bar's connection + route text."""
        from viewer.gui.i18n import _

        if self.connection_lost:
            state = _("connection.status.lost", name=self.connection_name())
        elif self.connected:
            state = _("connection.status.connected", name=self.connection_name())
        else:
            state = _("connection.status.local")
        return f"{state} — {self.route_text('EMAIL', short=True)}"

    def prepare(self, document: Any = None, address_type: str = "EMAIL", *, to: str = "", name: str = "",
                customer_code: str = "", contact_code: str = "", attach_document: bool = True,
                defer_lookup: bool = False) -> Draft:
        """Convert the document, look up its recipient and fill subject/body from the templates.

        Runs on the UI thread (PyMuPDF). Errors of the look-up are kept in
        ``lookup_message``; a conversion error raises (the caller shows it). With
        ``defer_lookup`` and a connection to the application server, the look-up (HTTP) is
        not made here: the draft comes back with ``lookup_pending`` set, for the dialog to
        run ``fetch_recipient`` on a worker and ``apply_recipient`` with its answer.
        """
        info = getattr(document, "info", None)
        draft = Draft(address_type=address_type, document=document if attach_document else None)
        draft.route_text = self.route_text(address_type)
        draft.document_id = str(getattr(document, "path", "") or "") if document is not None else ""
        names = ("", "")
        if to:
            draft.to = mailbox(name, to)
            draft.customer_code, draft.contact_code = customer_code, contact_code
            names = self.recipient_names(draft.customer_code or getattr(info, "customer", ""), draft.contact_code)
        elif info is not None and defer_lookup and self.connected:
            draft.lookup_pending, draft.lookup_info = True, info
        elif info is not None:
            try:
                answer = self.fetch_recipient(info, address_type)
            except Exception as exc:  # noqa: BLE001 - a failed look-up is told in the draft; the send still works
                draft.lookup_message = self.error_message(exc)
                names = self.recipient_names(getattr(info, "customer", ""), "")
            else:
                self._take_recipient(draft, answer)
                names = (answer.customer_name, answer.contact_name)
        else:
            names = self.recipient_names("", draft.contact_code)
        self._fill_texts(draft, info, *names)
        s = self.settings
        draft.ask_protection = s.pdf.password_policy == "ask" and document is not None and attach_document
        draft.protection = s.pdf.protection if s.pdf.protection in PROTECTIONS else "no-modify"
        if document is not None and attach_document:
            protect = None
            if draft.ask_protection:  # start with the base mode; a password is asked in the dialog
                draft.protection = protect = "no-modify" if draft.protection == "password" else draft.protection
            draft.attachments.append(self.document_attachment(document, address_type, protect=protect))
            draft.attached_protection = protect or ""
        return draft

    def _fill_texts(self, draft: Draft, info: Any, customer_name: str, contact_name: str) -> None:
        """Subject and body from the templates (and the document's own), HTML source when allowed."""
        from viewer.mail import templates

        s = self.settings
        if info is not None:
            fields = templates.fields_for(info, customer_name=customer_name, contact_name=contact_name)
            kind, language = info.kind or "", info.language or ""
        else:
            fields = templates.fields_for(_empty_info(), customer_name=customer_name, contact_name=contact_name)
            kind, language = "", ""
        draft.subject, draft.body = templates.render(kind, language or _ui_language(), fields, s)
        if info is not None:
            draft.subject = info.mail_subject or draft.subject
            draft.body = info.mail_body or draft.body
        draft.html = text_to_html(draft.body) if s.advanced.allow_html and draft.address_type not in FAX_TYPES else None

    def recipient_names(self, customer_code: str, contact_code: str) -> tuple[str, str]:
        """The customer's and the contact's names from the directory ('' when unknown)."""
        return self._customer_name(customer_code), self._contact_name(contact_code) if contact_code else ""

    def fetch_recipient(self, info: Any, address_type: str = "EMAIL") -> RecipientAnswer:
        """The look-up of ``info``'s recipient and the names the templates need.

        Touches only the directory or the connection (no Tk, no i18n): safe on a worker
        thread. A failing look-up raises.
        """
        found = self.lookup(info, address_type)
        customer_code = getattr(found, "customer_code", "") or ""
        contact_code = getattr(found, "contact_code", "") or ""
        customer_name = self._customer_name(customer_code or getattr(info, "customer", "") or "")
        contact_name = ""
        if contact_code:
            contact_name = found.name if getattr(found, "found", False) and found.address else self._contact_name(contact_code)
        return RecipientAnswer(found, customer_name, contact_name)

    def _take_recipient(self, draft: Draft, answer: RecipientAnswer) -> None:
        found, address_type = answer.found, draft.address_type
        draft.lookup_message = self.lookup_text(found, address_type, customer_name=answer.customer_name)
        draft.lookup_source = getattr(found, "source", "") or ""
        draft.customer_code = getattr(found, "customer_code", "") or ""
        draft.contact_code = getattr(found, "contact_code", "") or ""
        if getattr(found, "found", False) and found.address:
            draft.to = found.address if address_type in FAX_TYPES else mailbox(found.name, found.address)

    def apply_recipient(self, draft: Draft, answer: RecipientAnswer | None, error: BaseException | None = None) -> None:
        """Complete a ``lookup_pending`` draft with the worker's answer (UI thread).

        On success: To, the look-up message, the codes, and subject/body rendered again with
        the names. On ``error``: a French/English message saying To is to be typed.
        """
        draft.lookup_pending = False
        info, draft.lookup_info = draft.lookup_info, None
        if error is not None or answer is None:
            draft.lookup_message = _text("mail.lookup.failed", error=self.error_message(error) if error else "?")
            return
        self._take_recipient(draft, answer)
        self._fill_texts(draft, info, answer.customer_name, answer.contact_name)

    def lookup_text(self, found: Any, address_type: str = "EMAIL", customer_name: str | None = None) -> str:
        """What the look-up says, in the interface language ('' when it found the address plainly)."""
        message = getattr(found, "message", "") or ""
        if not message:
            return ""
        what = _text("mail.lookup.fax" if address_type in FAX_TYPES else "mail.lookup.email")
        code = getattr(found, "customer_code", "") or ""
        if getattr(found, "found", False):
            return _text("mail.lookup.customer_used", contact=getattr(found, "contact_code", "") or "")
        if "belongs to customer" in message:  # a contact of another customer: the directory's own words
            return message
        if not code:
            return _text("mail.lookup.no_customer", what=what)
        name = self._customer_name(code) if customer_name is None else customer_name
        if not name:
            return _text("mail.lookup.unknown_customer", code=code, what=what)
        kind = _text("mail.lookup.kind_fax" if address_type in FAX_TYPES else "mail.lookup.kind_email")
        return _text("mail.lookup.no_address", code=code, name=name, what=what, kind=kind)

    def _customer_name(self, code: str) -> str:
        if not code:
            return ""
        try:
            record = self.customer(code)
        except Exception:  # noqa: BLE001 - a name is only a label: none when the look-up fails
            return ""
        return getattr(record, "name", "") or ""

    def _contact_name(self, code: str) -> str:
        try:
            record = self.contact(code)
        except Exception:  # noqa: BLE001 - a name is only a label: none when the look-up fails
            return ""
        return getattr(record, "name", "") or ""

    def document_attachment(self, document: Any, address_type: str = "EMAIL", protect: str | None = None,
                            password: str = "") -> AttachmentItem:
        """The document as the settings want it attached (PDF or the spool itself). UI thread only."""
        from viewer.mail.attachments import document_attachment

        att = document_attachment(document, self.settings, address_type=address_type, protect=protect, password=password)
        return AttachmentItem(att.filename, att.data, att.mimetype, from_document=True)

    def finalize(self, draft: Draft) -> Draft:
        """Apply the protection the user chose (re-converting the document). UI thread only."""
        if not draft.ask_protection or draft.document is None:
            return draft
        if draft.protection == draft.attached_protection and draft.protection != "password":
            return draft
        if draft.protection == "password" and not draft.password:
            raise SpoolviewError(_text("mail.error.password_needed"))
        item = self.document_attachment(draft.document, draft.address_type, protect=draft.protection,
                                        password=draft.password if draft.protection == "password" else "")
        draft.attachments = [item if a.from_document else a for a in draft.attachments]
        draft.attached_protection = draft.protection
        return draft

    def check(self, draft: Draft) -> str:
        """What is wrong with the draft before sending ('' when it can go)."""
        if not split_addresses(draft.to) and not split_addresses(draft.cc) and not split_addresses(draft.bcc):
            return _text("mail.error.no_recipient") + (f" ({draft.lookup_message})" if draft.lookup_message else "")
        if draft.ask_protection and draft.protection == "password" and not draft.password:
            return _text("mail.error.password_needed")
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
        return sorted({entry.recipient for entry in self.already_sent_entries(draft)})

    def already_sent_entries(self, draft: Draft) -> list[Any]:
        """The earlier sends of this document to the draft's recipients (newest first): when and to whom."""
        if not draft.document_id:
            return []
        from viewer.mail.history import History

        recipients = [_bare(a) for a in draft.recipients()]
        try:
            return list(History().already_sent(draft.document_id, recipients))
        except Exception as exc:  # noqa: BLE001 - the already-sent warning is a help, never blocks a send
            log.debug("history not available: %s", error_text(exc))
            return []

    def spec(self, draft: Draft) -> Any:
        """The MailSpec of a draft (body = plain alternative of the HTML when there is one)."""
        from viewer.mail.compose import Attachment, MailSpec

        body = html_to_text(draft.html) if draft.html is not None else draft.body
        return MailSpec(
            to=split_addresses(draft.to),
            cc=split_addresses(draft.cc),
            bcc=split_addresses(draft.bcc),
            subject=draft.subject,
            body=body,
            html=draft.html,
            rtf=text_to_rtf(body) if self.settings.advanced.allow_rtf and draft.address_type not in FAX_TYPES else None,
            attachments=[Attachment(a.filename, a.data, a.mimetype) for a in draft.attachments],
            document_id=draft.document_id,
        )

    # -- sending --------------------------------------------------------------------
    def send(self, draft: Draft) -> SendReport:
        """Compose and send; every failure becomes a report (safe on a worker thread)."""
        try:
            spec = self.spec(draft)
            return self._deliver(spec, draft.subject, draft.document_id, draft.address_type)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an honest send report (worker thread)
            return self._failure(exc)

    def start_send(self, draft: Draft) -> BackgroundTask:
        """``send`` on a worker thread (the draft must have been ``finalize``d on the UI thread)."""
        return BackgroundTask(self.send, draft)

    def test_mail(self, address_type: str, to: str, subject: str, body: str, attachment: str = "") -> SendReport:
        """The Tools test utility: a plain mail through the route of ``address_type``."""
        try:
            from viewer.mail.compose import MailSpec

            attachments = []
            if attachment:
                item = AttachmentItem.from_path(attachment)
                from viewer.mail.compose import Attachment

                attachments.append(Attachment(item.filename, item.data, item.mimetype))
            if not split_addresses(to):
                raise SpoolviewError(_text("mail.error.no_recipient"))
            if self.sender_problem():
                raise SpoolviewError(self.sender_problem())
            spec = MailSpec(to=split_addresses(to), cc=[], bcc=[], subject=subject, body=body, attachments=attachments)
            return self._deliver(spec, subject, "", address_type)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an honest send report (worker thread)
            return self._failure(exc)

    def _deliver(self, spec: Any, subject: str, document_id: str, address_type: str) -> SendReport:
        from viewer.mail import job

        draft = job.Draft(self.settings, self.connection if self.connected else None, address_type,
                          to=list(spec.to), cc=list(spec.cc), bcc=list(spec.bcc), subject=subject, body=spec.body,
                          html=spec.html, rtf=spec.rtf, attachments=list(spec.attachments), document_key=document_id)
        outcome = job.send(draft, force=True)
        return self._report(outcome, draft.notes, address_type)

    def _report(self, outcome: Any, notes: list[str], address_type: str = "EMAIL") -> SendReport:
        s = self.settings
        report = SendReport(
            ok=bool(outcome.ok),
            route=str(getattr(outcome, "route_name", "") or ""),
            file=str(getattr(outcome, "file", "") or ""),
            error_folder=s.copies.error_folder,
            trace_folder=s.debug.trace_folder if s.debug.trace else "",
        )
        report.lines = self._outcome_lines(outcome, address_type)
        if not report.lines:
            result = getattr(outcome, "result", None)
            for r in getattr(result, "recipients", []) or []:
                state = _text("mail.outcome.accepted") if r.accepted else _text("mail.outcome.refused")
                report.lines.append(f"{r.address}: {state}" + (f" — {r.code} {r.reply}" if not r.accepted else ""))
        report.lines.extend(str(n) for n in notes)
        error = getattr(outcome, "error", None)
        if error and not isinstance(error, str) and not report.ok:
            report.headline, detail = self.describe_error(error)
            reply_line = detail.partition("\n")[2]  # the server's reply, when the lines do not show it
            if reply_line and not any(str(error.reply) in line for line in report.lines):
                report.lines.insert(0, reply_line)
        if error and not report.lines:
            report.error = error if isinstance(error, str) else self.describe_error(error)[1]
        return report

    def _outcome_lines(self, outcome: Any, address_type: str) -> list[str]:
        """One line per recipient (the server's own reply when refused), then where the message is, in words."""
        results = getattr(outcome, "recipient_results", None)
        if not callable(results):
            lines = getattr(outcome, "summary_lines", None)
            return list(lines()) if callable(lines) else []
        error = getattr(outcome, "error", None)
        result = getattr(outcome, "result", None)
        whole = result is None and error is not None and not getattr(error, "results", None)
        out = []
        for r in results():
            reply = r.reply if whole or not r.code or r.reply.startswith(str(r.code)) else f"{r.code} {r.reply}".strip()
            if r.accepted:
                out.append(_text("mail.outcome.line_accepted", address=r.address,
                                 route=self.route_text(address_type, short=True)))
            else:
                temporary = getattr(error, "kind", "") == "temporary" if whole else r.temporary
                out.append(_text("mail.outcome.line_temporary" if temporary else "mail.outcome.line_refused",
                                 address=r.address, reply=reply))
        message_file = getattr(result, "file", None)
        if message_file is not None:
            out.append(_text("mail.outcome.message_file", file=message_file))
        copy = getattr(outcome, "file", None)
        if copy is not None and copy != message_file:
            out.append(_text("mail.outcome.copy" if outcome.ok else "mail.outcome.error_copy", file=copy))
        out.extend(_text("mail.outcome.note", note=note) for note in getattr(outcome, "notes", []) or [])
        return out

    def _failure(self, exc: BaseException) -> SendReport:
        s = self.settings
        headline, detail = self.describe_error(exc)
        return SendReport(ok=False, error=detail, headline=headline, error_folder=s.copies.error_folder,
                          trace_folder=s.debug.trace_folder if s.debug.trace else "")

    def describe_error(self, exc: BaseException) -> tuple[str, str]:
        """(headline, detail) of a mail-road error: what went wrong and what to check, in the
        interface language ('' for an error of no known kind), and the technical detail
        (the error's own words, then the server's reply verbatim when it has one)."""
        kind = error_kind(exc)
        screen = _text(f"settings.screen.{self.sender_screen()}")
        headline = _text(f"mail.error.kind.{kind}", screen=screen) if kind else ""
        detail = error_text(exc)
        reply = str(getattr(exc, "reply", "") or "").strip()
        if reply and reply not in detail:
            code = getattr(exc, "code", None)
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
        """Turn the debug trace on or off (and save the setting); returns the trace folder."""
        from viewer import settings as settings_mod

        try:
            from viewer.mail import trace
        except ImportError:
            trace = None
        fn = getattr(trace, "enable" if on else "disable", None) if trace else None
        if callable(fn):
            result = fn(self.settings)
            if result is not None and hasattr(result, "debug"):
                self.settings = result
        self.settings.debug.trace = on
        settings_mod.save(self.settings)
        return self.settings.debug.trace_folder

    def load_trace(self, folder: str | None = None) -> str:
        """The text of the debug trace files of ``folder`` (the configured one by default)."""
        folder = folder or self.settings.debug.trace_folder
        try:
            from viewer.mail import trace
        except ImportError:
            trace = None
        loader = getattr(trace, "load", None) if trace else None
        if callable(loader):
            loaded = loader(Path(folder))
            if isinstance(loaded, str):
                return loaded
            if isinstance(loaded, (list, tuple)):
                return "\n".join(_entry_text(e) for e in loaded)
            return str(loaded)
        files = sorted(p for p in Path(folder).glob("*") if p.is_file())
        return "\n".join(f"== {p.name}\n" + p.read_text(encoding="utf-8", errors="replace") for p in files)

    # -- connection -----------------------------------------------------------------
    def profiles(self) -> list[str]:
        return sorted(self.settings.profiles)

    def connection_name(self) -> str:
        return str(getattr(self.connection, "name", "") or "?")

    def resume_connection(self) -> bool:
        """Pick up a connection opened earlier (``spoolview connect`` or a previous session)."""
        try:
            from viewer.connection import current

            connection = current()
        except Exception as exc:  # noqa: BLE001 - no usable saved connection: start disconnected
            log.debug("no saved connection: %s", error_text(exc))
            return False
        if connection is not None and connection.is_connected:
            self.connection = connection
            return True
        return False

    def connect(self, profile_name: str, password: str) -> None:
        """Log in to the application server of ``profile_name`` (raises a SpoolviewError)."""
        from viewer.connection import Connection

        profile = self.settings.profiles.get(profile_name)
        if profile is None:
            raise SpoolviewError(_text("connection.error.no_profile", name=profile_name))
        if not profile.name:
            import dataclasses

            profile = dataclasses.replace(profile, name=profile_name)
        connection = Connection(profile, ca_file=profile.ca_file or None)
        connection.connect(password)
        self.connection = connection
        self.connection_lost = False
        self._directory = None

    def disconnect(self) -> None:
        connection, self.connection = self.connection, None
        self.connection_lost = False
        if connection is not None:
            try:
                connection.disconnect()
            except Exception as exc:  # noqa: BLE001 - the server may be gone already
                log.debug("disconnect: %s", error_text(exc))

    def alive(self) -> bool:
        """Ask the server whether the session still holds (worker thread). False when lost."""
        connection = self.connection
        if connection is None:
            return False
        reachable = getattr(connection, "reachable", None)
        try:
            if callable(reachable) and not reachable():
                return False
        except Exception:  # noqa: BLE001 - a probe: any failure means not reachable
            return False
        return bool(getattr(connection, "is_connected", False))

    def mark_lost(self) -> None:
        self.connection_lost = True
        self._changed()


def warm_up() -> None:
    """Import the mail road and register the default fonts ahead of the first click (any thread)."""
    try:
        import importlib

        from formats import fonts

        for module in ("viewer.directory", "viewer.mail.attachments", "viewer.mail.compose",
                       "viewer.mail.outbox", "viewer.mail.templates"):
            importlib.import_module(module)

        for bold in (False, True):
            fonts.register_reportlab("sans", bold)
    except Exception as exc:  # noqa: BLE001 - only a head start; the click reports real problems
        log.debug("warm-up: %s", error_text(exc))


def _short(key: str, **fields: object) -> str:
    """The status bar's compact wording of a route key (home folder shown as ~)."""
    from viewer.gui.i18n import _

    if "folder" in fields:
        folder = str(fields["folder"])
        home = str(Path.home())
        fields["folder"] = "~" + folder[len(home):] if folder.startswith(home + "/") else folder
    return _(key.replace("mail.route.", "mail.route.short."), **fields)


def _entry_text(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    if callable(getattr(entry, "format", None)):
        return entry.format()
    for name in ("text", "line", "message"):
        if hasattr(entry, name):
            return str(getattr(entry, name))
    return str(entry)


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


def _empty_info() -> Any:
    from formats.document import DocInfo

    return DocInfo()
