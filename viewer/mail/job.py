"""The one send job: document -> Draft -> Outcome, for the CLI, the GUI, the records window and batches.

Every entry point walks this road; nobody else composes a message or picks a route::

    from viewer.mail import job

    draft = job.prepare(document, settings, connection)   # PDF, L1 look-up, templates
    draft.to = ["Other <other@example.org>"]               # a window may edit any field
    guards = job.check(draft)                               # already sent? other customer?
    outcome = job.send(draft, force=bool(guards.mismatches))  # route decision, outbox, history

    for progress in job.send_many(drafts):                  # batches: one Progress per job
        print(progress.index, progress.total, progress.outcome)

``prepare(document, settings, connection=None, *, address_type, to, cc, bcc, protect,
password, language)`` converts the document to PDF as the S2 settings say, finds the
recipient by rule L1 when no ``to`` is given (the server's directory when connected, the
local one when the server does not answer: ``Draft.directory``), fills subject and body
from the templates (HTML/RTF alternatives when the settings allow them) and keys the
document as ``kind number`` (``devis D2026-0042``) or its file name — never a path.

``send(draft, *, force=False, via_server=False)`` re-checks the customer guard (a
CustomerMismatch unless ``force``), applies the S3 address templates, composes, takes the
route from ``routes.select.choose`` (``Outcome.decision.label``: ``local``, ``server`` or
``local after server failure: <reason>``) and sends through the Outbox (delay, Smtp.log,
copies, error folder, trace, history). ``send`` never reports a mail sent that was not;
it raises a SpoolviewError only for a draft that cannot become a message (no sender,
bad address, customer mismatch), before anything is sent.

No Tk here: the GUI edits the Draft and shows the Outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.connection import ConnectionProblem
from viewer.errors import SpoolviewError
from viewer.mail.compose import Attachment, Composed, MailSpec, compose, parse_mailbox
from viewer.mail.history import History, HistoryEntry
from viewer.mail.lookup import LOCAL, Lookups, NoDirectory
from viewer.mail.outbox import Outbox, Outcome
from viewer.mail.routes.base import Route
from viewer.mail.routes.select import Choice, choose
from viewer.mail.routes.server import ServerRoute
from viewer.mail.routing import route_mailbox
from viewer.records import record
from viewer.settings import Settings

if TYPE_CHECKING:
    from formats.document import DocInfo, Document
    from viewer.connection import Connection
    from viewer.directory_rules import Lookup

__all__ = [
    "CustomerMismatch",
    "Draft",
    "Guards",
    "Mismatch",
    "Progress",
    "check",
    "document_key",
    "mailbox",
    "prepare",
    "send",
    "send_many",
]

FAX_TYPES = ("FAX", "FAX2")


class CustomerMismatch(SpoolviewError):
    """The document's customer is not the recipient's: nothing was sent (use force to send anyway)."""

    def __init__(self, mismatches: list[Mismatch]) -> None:
        self.mismatches = list(mismatches)
        super().__init__("; ".join(m.text for m in self.mismatches) + ": nothing was sent (use --force to send it anyway)")


@record(frozen=True)
class Mismatch:
    """A recipient whose directory record belongs to another customer than the document's."""

    recipient: str
    document_customer: str  # code
    document_customer_name: str
    recipient_customer: str  # code
    recipient_customer_name: str

    @property
    def text(self) -> str:
        theirs = _named(self.recipient_customer, self.recipient_customer_name)
        ours = _named(self.document_customer, self.document_customer_name)
        return f"{self.recipient} belongs to customer {theirs}, but the document is for customer {ours}"


@record
class Guards:
    """What to ask or warn before a send: earlier sends to the same recipients, other customers."""

    already_sent: list[HistoryEntry] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)


@record
class Draft:
    """A mail ready to send; every field may be edited before ``send``."""

    settings: Settings
    connection: Connection | None = None
    address_type: str = "EMAIL"
    to: list[str] = field(default_factory=list)  # "addr" or "Name <addr>" (or fax numbers), before S3 routing
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""  # the plain text (always sent)
    html: str | None = None  # the HTML alternative, when the settings allow it
    rtf: str | None = None  # the RTF alternative, when the settings allow it
    attachments: list[Attachment] = field(default_factory=list)
    sender: str | None = None  # None: the From identity of the settings
    document_key: str = ""  # "devis D2026-0042", or a file name; never a path
    document_customer: str = ""  # the document's customer code ('' when none)
    customer_name: str = ""  # for the templates and the guard's messages
    contact_name: str = ""
    lookup: Lookup | None = None  # what rule L1 found (None: not looked up)
    lookup_error: str = ""  # the look-up failed: why (English)
    directory: str = LOCAL  # which directory answered: server | local | local-fallback
    directory_problem: str = ""  # why the server's directory was left (English)
    notes: list[str] = field(default_factory=list)  # things to tell the user (English), e.g. UTF-8 fallback

    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


@record
class Progress:
    """One job of ``send_many`` done: its place in the batch, and its outcome or the error that stopped it."""

    index: int  # 0-based
    total: int
    draft: Draft
    outcome: Outcome | None = None
    error: SpoolviewError | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is not None and self.outcome.ok


# -- preparing ------------------------------------------------------------------------------


def document_key(document: Document) -> str:
    """``kind number`` of a document (``devis D2026-0042``); its file name when it has no number."""
    info = document.info
    if info.number.strip():
        return " ".join(part for part in (info.kind.strip(), info.number.strip()) if part)
    return Path(document.path).name


def mailbox(name: str, address: str) -> str:
    """``Name <address>`` as typed in an address field; a name holding , ; or quotes is quoted."""
    name = " ".join(name.replace('"', "").split())
    if not name:
        return address
    if any(c in name for c in ",;<>()@:"):
        name = f'"{name}"'
    return f"{name} <{address}>"


def prepare(
    document: Document | None,
    settings: Settings,
    connection: Connection | None = None,
    *,
    address_type: str = "EMAIL",
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    customer_code: str = "",
    contact_code: str = "",
    protect: bool | str | None = None,
    password: str = "",
    attach: bool = True,
    look_up: bool = True,
    language: str = "",
    lookups: Lookups | None = None,
    attachment: Attachment | None = None,
    template: str = "",
) -> Draft:
    """A draft for ``document`` (None: a blank mail). See the module docstring.

    ``to``/``cc``/``bcc`` given: no look-up (``customer_code``/``contact_code`` name the
    recipient's record for the templates). ``protect``/``password``: the user's answer
    when the password policy is "ask". ``language``: the templates' language when the
    document gives none (the GUI's interface language). ``look_up=False`` leaves the
    look-up to the caller (``fill_recipient`` on a worker thread). A failing look-up does
    not raise: ``lookup_error`` says why, and To stays empty. ``attachment``: the document's
    attachment made already (a batch converts in worker processes), used instead of converting.
    ``template``: the subject and body templates to use instead of the kind's (a watched-folder
    rule's choice); they also win over the subject and body the document itself carries.
    """
    kind = address_type.strip().upper()
    info = document.info if document is not None else _blank_info()
    draft = Draft(settings, connection, kind, list(to), list(cc), list(bcc))
    if document is not None:
        draft.document_key = document_key(document)
        draft.document_customer = info.customer
    own = lookups is None
    lookups = lookups or Lookups(settings, connection)
    try:
        if draft.to or draft.cc or draft.bcc:
            draft.customer_name = lookups.customer_name(customer_code or info.customer)
            draft.contact_name = lookups.contact_name(contact_code) if contact_code else ""
        elif document is not None and look_up:
            fill_recipient(draft, info, lookups)
        draft.directory, draft.directory_problem = lookups.source, lookups.problem
    finally:
        if own:
            lookups.close()
    fill_texts(draft, info, language, template)
    if document is not None and attach:
        if attachment is None:  # converting imports the PDF libraries: not in a batch whose workers convert
            from viewer.mail.attachments import document_attachment

            attachment = document_attachment(document, settings, kind, protect=protect, password=password)
        draft.attachments.append(attachment)
    return draft


def fill_recipient(draft: Draft, info: DocInfo, lookups: Lookups) -> None:
    """Rule L1 for ``info`` into ``draft`` (To, names, look-up note); safe on a worker thread."""
    try:
        found = lookups.lookup(info, draft.address_type)
    except (NoDirectory, SpoolviewError) as exc:
        draft.lookup_error = str(exc)
        draft.directory, draft.directory_problem = lookups.source, lookups.problem
        return
    draft.lookup = found
    draft.directory, draft.directory_problem = lookups.source, lookups.problem
    draft.customer_name = lookups.customer_name(found.customer_code or info.customer)
    if found.source == "contact":
        draft.contact_name = found.name
    if found.found and found.address:
        draft.to = [found.address if draft.address_type in FAX_TYPES else mailbox(found.name, found.address)]
    elif info.mail_to and draft.address_type.startswith("EMAIL"):
        draft.to = [info.mail_to]


def fill_texts(draft: Draft, info: DocInfo, language: str = "", template: str = "") -> None:
    """Subject and body from the templates (the document's own when it gives them, unless ``template``
    names the templates to use), and the alternatives."""
    from viewer.mail import templates

    fields = templates.fields_for(info, customer_name=draft.customer_name, contact_name=draft.contact_name)
    subject, body = templates.render(info.kind, info.language or language, fields, draft.settings, template)
    draft.subject = subject if template else info.mail_subject or subject
    draft.body = body if template else info.mail_body or body
    fill_alternatives(draft)


def fill_alternatives(draft: Draft) -> None:
    """The HTML and RTF alternatives of the plain body, when the settings allow them (never for a fax)."""
    from viewer.mail.bodies import text_to_html, text_to_rtf

    rich = draft.address_type not in FAX_TYPES
    draft.html = text_to_html(draft.body) if rich and draft.settings.advanced.allow_html else None
    draft.rtf = text_to_rtf(draft.body) if rich and draft.settings.advanced.allow_rtf else None


# -- guards ---------------------------------------------------------------------------------


def check(draft: Draft, *, lookups: Lookups | None = None, history: History | None = None) -> Guards:
    """The guards of ``draft``: earlier accepted sends of the document to its recipients, and
    recipients that belong to another customer than the document's (per the directory).
    ``history``: one kept open by the caller (a batch asks once per document), else opened here."""
    guards = Guards()
    bare = [_bare(a) for a in draft.recipients()]
    if draft.document_key and bare:
        book = history or History()
        try:
            guards.already_sent = book.already_sent(draft.document_key, bare)
        except SpoolviewError:
            pass  # a broken history must not stop a send (the outcome notes it)
        finally:
            if history is None:
                book.close()
    guards.mismatches = mismatches(draft, lookups=lookups)
    return guards


def mismatches(draft: Draft, *, lookups: Lookups | None = None) -> list[Mismatch]:
    """Recipients the directory gives to another customer than the document's (none when unknown)."""
    if not draft.document_customer or draft.address_type in FAX_TYPES:
        return []
    own = lookups is None
    lookups = lookups or Lookups(draft.settings, draft.connection)
    found: list[Mismatch] = []
    try:
        names: dict[str, str] = {}
        for address in dict.fromkeys(_bare(a).lower() for a in draft.recipients()):
            try:
                owners = lookups.owners(address)
            except SpoolviewError:
                continue  # no directory: nothing to compare with
            if not owners or draft.document_customer in owners:
                continue
            for code in (draft.document_customer, owners[0]):
                if code not in names:
                    names[code] = lookups.customer_name(code)
            found.append(Mismatch(address, draft.document_customer, names[draft.document_customer], owners[0], names[owners[0]]))
    finally:
        if own:
            lookups.close()
    return found


# -- sending --------------------------------------------------------------------------------


def compose_draft(draft: Draft, *, sender: str | None = None, reply_to: str | None = None) -> Composed:
    """The exact bytes ``draft`` becomes (S3 routing of every address, then S7 composition).

    ``sender``/``reply_to`` override the draft's From and the settings' Reply-To (the identity
    an application server lets its user send as: see ``server_identity``).
    """
    settings, kind = draft.settings, draft.address_type

    def routed(addresses: list[str]) -> list[str]:
        return [route_mailbox(settings, kind, a) for a in addresses if a.strip()]

    spec = MailSpec(
        to=routed(draft.to),
        cc=routed(draft.cc),
        bcc=routed(draft.bcc),
        subject=draft.subject,
        body=draft.body,
        html=draft.html,
        rtf=draft.rtf,
        attachments=list(draft.attachments),
        sender=sender or draft.sender,
        reply_to=reply_to,
        document_id=draft.document_key,
    )
    return compose(spec, settings)


def server_identity(draft: Draft, route: Route) -> tuple[str | None, str | None]:
    """The (From, Reply-To) to compose ``draft`` with for ``route``.

    The application server decides who its users send as (it answers 403 to any other From).
    Through it, a From the server does not allow is replaced by the server's own identity, and
    the user's address goes to Reply-To when it is theirs, so replies still reach them. Any
    other route, or a From the server allows, keeps the draft as it is.
    """
    if not isinstance(route, ServerRoute):
        return None, None
    wanted = draft.sender or draft.settings.from_identity()
    from email.utils import parseaddr  # the server route only

    address = parseaddr(wanted)[1].lower()
    try:
        me = route.connection.identities()
    except ConnectionProblem:
        return None, None  # the send itself will meet and report the same problem
    allowed = [str(a).lower() for a in me.get("identities") or []]
    if not allowed or address in allowed:
        return None, None
    own = str(me.get("email") or "").lower()
    reply_to = wanted if address and address == own else None
    draft.notes.append(
        f"sent as {allowed[0]}, the identity the application server allows"
        + (f"; replies go to {wanted}" if reply_to else f" ({address or 'no From'} is not one of yours there)")
    )
    return allowed[0], reply_to


def decide_route(draft: Draft, *, via_server: bool = False) -> Choice:
    """The route decision for ``draft`` (probes the server once when connected mode may be used)."""
    return choose(draft.settings, draft.connection, via_server=via_server)


def send(draft: Draft, *, force: bool = False, via_server: bool = False, outbox: Outbox | None = None) -> Outcome:
    """Send ``draft`` (see the module docstring). ``outbox``: one shared by a batch."""
    if not force:
        found = mismatches(draft)
        if found:
            raise CustomerMismatch(found)
    if outbox is not None:
        return _send_through(outbox, draft)
    with Outbox(draft.settings, decide_route(draft, via_server=via_server)) as box:
        return _send_through(box, draft)


def _send_through(box: Outbox, draft: Draft) -> Outcome:
    """Compose ``draft`` for the route ``box`` decided, then send it there."""
    sender, reply_to = server_identity(draft, box.choice.route)
    composed = compose_draft(draft, sender=sender, reply_to=reply_to)
    draft.notes.extend(composed.notes)
    return box.send(composed, subject=draft.subject, document=draft.document_key, address_type=draft.address_type)


def send_many(drafts: Iterable[Draft], *, force: bool = False, via_server: bool = False) -> Iterator[Progress]:
    """Send several drafts over one route decision and connection; yields one Progress per job, in order.

    A job that cannot become a message (CustomerMismatch, bad address...) is reported and
    the batch goes on. All drafts share the first one's settings and connection.
    """
    items = list(drafts)
    if not items:
        return
    first = items[0]
    with Outbox(first.settings, decide_route(first, via_server=via_server)) as box:
        for index, draft in enumerate(items):
            try:
                yield Progress(index, len(items), draft, outcome=send(draft, force=force, outbox=box))
            except SpoolviewError as exc:
                yield Progress(index, len(items), draft, error=exc)


# -- helpers --------------------------------------------------------------------------------


def _named(code: str, name: str) -> str:
    return f"{code} ({name})" if name else code


def _bare(address: str) -> str:
    if "@" not in address:
        return address.strip()
    try:
        return parse_mailbox(address)[1]
    except SpoolviewError:
        return address.strip()


def _blank_info() -> DocInfo:
    from formats.document import DocInfo

    return DocInfo()
