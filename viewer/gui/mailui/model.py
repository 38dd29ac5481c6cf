"""What the send dialog edits and what a send gives back: drafts, attachments, reports, a worker task."""

from __future__ import annotations

import gc
import logging
import mimetypes
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from viewer.errors import SpoolviewError
from viewer.mail.bodies import html_to_text, text_to_html, text_to_rtf
from viewer.mail.job import mailbox

if TYPE_CHECKING:
    from formats.document import DocInfo, Document

log = logging.getLogger(__name__)

__all__ = [
    "AttachmentItem",
    "BackgroundTask",
    "Draft",
    "SendReport",
    "error_kind",
    "error_text",
    "html_to_text",
    "mailbox",
    "split_addresses",
    "text_to_html",
    "text_to_rtf",
]

def error_text(exc: BaseException) -> str:
    """What a person reads for ``exc`` in the interface language: the message of a user-facing error, never a traceback."""
    from formats.document import DocumentError
    from viewer.gui.i18n import language
    from viewer.messages import describe

    if isinstance(exc, (SpoolviewError, DocumentError)):
        return describe(exc, language(), file_name_only=True)
    if isinstance(exc, OSError):
        name = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or exc}{name}"
    log.exception("unexpected error", exc_info=exc)
    return f"unexpected error: {type(exc).__name__}: {exc}"


SMTP_AUTH_FAILED = 535  # "5.7.8 authentication credentials invalid"


def error_kind(exc: BaseException) -> str:
    """Which kind of mail-road failure ``exc`` is ('' when none): the key of its sentence in the catalogue.

    Looks at the error and at what it was raised from (the routes re-raise connection and
    TLS problems as route errors ``from None``, which keeps them as ``__context__``).
    """
    import smtplib
    import ssl

    from viewer import connection as conn
    from viewer.mail.compose import ComposeError
    from viewer.mail.credentials import SignInRequired
    from viewer.mail.routes.base import ConfigurationError, OutcomeUnknown, PermanentError, TemporaryError

    if isinstance(exc, OutcomeUnknown):  # before its causes: the server may have sent it
        return "unknown"
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 6:
        if isinstance(cause, SignInRequired):
            return "signin"
        if isinstance(cause, (conn.CertificateProblem, ssl.SSLCertVerificationError)):
            return "certificate"
        if isinstance(cause, conn.LoginRefused):
            return "server_login"
        if isinstance(cause, smtplib.SMTPAuthenticationError):
            return "login"
        if isinstance(cause, (conn.SessionExpired, conn.NotConnected)):
            return "session"
        if isinstance(cause, conn.ServerUnavailable):
            return "unavailable"
        if isinstance(cause, conn.ServerRefused) and cause is exc:
            return "server_refused"
        seen, cause = seen + 1, cause.__context__
    if isinstance(exc, TemporaryError):
        return "temporary"
    if isinstance(exc, PermanentError):
        return "permanent"
    if isinstance(exc, ConfigurationError):
        # the SMTP route turns a refused login (535, RFC 4954) into a configuration error
        return "login" if exc.code == SMTP_AUTH_FAILED else "configuration"
    if isinstance(exc, ComposeError):
        return "compose"
    if isinstance(exc, conn.ConnectionProblem):
        return "unavailable"
    return ""


@dataclass
class AttachmentItem:
    """One file in the send dialog's list; ``from_document`` marks the converted document."""

    filename: str
    data: bytes
    mimetype: str = "application/octet-stream"
    from_document: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def from_path(cls, path: str | Path) -> AttachmentItem:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SpoolviewError(f"cannot read the attachment {path}: {exc.strerror or exc}") from exc
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return cls(path.name, data, mimetype)


@dataclass
class Draft:
    """Everything the send dialog shows and edits; the services turn it into a job.Draft to send."""

    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    html: str | None = None  # the HTML source when HTML bodies are allowed
    prepared_html: str | None = None  # the HTML the templates gave: unchanged, the plain body is sent as prepared
    attachments: list[AttachmentItem] = field(default_factory=list)
    address_type: str = "EMAIL"
    document: Document | None = None
    document_id: str = ""  # the document key ("devis D2026-0042", or a file name): never a path
    document_customer: str = ""  # the document's customer code, for the customer guard
    lookup_message: str = ""  # e.g. "no address found for customer CLI001"
    directory_note: str = ""  # e.g. "annuaire local : le serveur ne répond pas"
    customer_code: str = ""
    contact_code: str = ""
    ask_protection: bool = False  # the policy is "ask": the dialog offers the choice
    protection: str = ""  # none | no-modify | password (only used when ask_protection)
    password: str = ""
    attached_protection: str = ""  # the protection of the converted document now in the list
    route_text: str = ""
    lookup_pending: bool = False  # connected: the recipient look-up runs on a worker, To not filled yet
    lookup_info: DocInfo | None = None  # the DocInfo the pending look-up is for
    attachment_pending: bool = False  # the document's PDF is being made on a worker: the mail cannot go yet
    attachment_error: str = ""  # why the document could not be attached, in words: the mail cannot go
    force: bool = False  # the user confirmed sending to another customer's recipient

    def recipients(self) -> list[str]:
        return [a for field_ in (self.to, self.cc, self.bcc) for a in split_addresses(field_)]


def split_addresses(text: str) -> list[str]:
    """Addresses typed in one field, separated by commas or semicolons (not those in quotes or <>)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = angle = False
    for char in text or "":
        if char == '"' and not angle:
            quoted = not quoted
        elif char == "<" and not quoted:
            angle = True
        elif char == ">" and not quoted:
            angle = False
        elif char in ",;" and not quoted and not angle:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


@dataclass
class SendReport:
    """A send's outcome in words: ok, per-recipient lines, and where to look on failure."""

    ok: bool
    lines: list[str] = field(default_factory=list)
    error: str = ""  # the technical detail (the error's own words, the server's reply)
    headline: str = ""  # what went wrong and what to do, in the interface language
    file: str = ""
    route: str = ""
    fallback: str = ""  # the route decision's fallback ("unreachable", "failed"...), '' when none
    fallback_reason: str = ""
    error_folder: str = ""
    trace_folder: str = ""
    kind: str = ""  # the error's kind (model.error_kind) on failure, e.g. "signin"

    @property
    def text(self) -> str:
        return "\n".join(([self.headline] if self.headline else []) + ([self.error] if self.error else []) + self.lines)

    def message(self, first: str) -> str:
        """``first`` and the headline as the main text (first line), the technical detail below."""
        head = f"{first} {self.headline}".strip()
        rest = "\n".join(([self.error] if self.error else []) + self.lines)
        return head + ("\n" + rest if rest else "")


class BackgroundTask:
    """Run ``fn(*args)`` on a worker thread; the UI polls ``poll()`` (never touched from the worker)."""

    def __init__(self, fn: Callable[..., Any], *args: Any, collect: bool = True, name: str = "mailui-task") -> None:
        # Dead Tk objects are collected here (UI thread): a tkinter Variable collected on the
        # worker would call Tcl from that thread. ``collect=False`` for frequent small probes.
        # ``name`` starts with "mailui-": the tests wait for those threads before tearing Tk down.
        if collect:
            gc.collect()
        self._queue: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True, name=name)
        self._thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self._queue.put((True, fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - handed to the UI thread, shown there
            self._queue.put((False, exc))

    def poll(self) -> bool:
        """True once finished; then ``result`` or ``error`` is set."""
        if self.done:
            return True
        try:
            ok, value = self._queue.get_nowait()
        except queue.Empty:
            return False
        self.done = True
        if ok:
            self.result = value
        else:
            self.error = value
        return True

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until finished (tests and the CLI only)."""
        self._thread.join(timeout)
        return self.poll()
