"""Batches for `spoolview send FILE FILE...` and the watcher: many documents, each to its own recipient, through the one send job."""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.errors import SpoolviewError

if TYPE_CHECKING:
    from formats.document import Document
    from viewer.mail.compose import Attachment
    from viewer.mail.history import History
    from viewer.mail.job import Draft
    from viewer.mail.outbox import Outbox, Outcome
    from viewer.settings import Settings
    from viewer.watchrules import Decision, Rules

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 3, 130

# What became of one document of a batch (the summary's words, in this order).
SENT, REFUSED, ALREADY, HELD, UNREADABLE, NO_RECIPIENT, NOT_SENT = (
    "sent",
    "refused",
    "skipped (already sent)",
    "held for review",  # a watched-folder rule said hold: nothing sent, on purpose
    "unreadable",
    "no recipient",
    "not sent (error)",
)
ORDER = (SENT, REFUSED, ALREADY, HELD, UNREADABLE, NO_RECIPIENT, NOT_SENT)
# Their words in viewer/locale/messages.*.json (batch.category.<id>, batch.count.<id>): the values above are
# identifiers (the GUI's batch and the watcher branch on them), never printed as they are.
WORD_IDS = {SENT: "sent", REFUSED: "refused", ALREADY: "already", HELD: "held", UNREADABLE: "unreadable",
            NO_RECIPIENT: "no_recipient", NOT_SENT: "not_sent"}
_GLOB_CHARS = "*?["


@dataclass(frozen=True)
class Item:
    """One document named on the command line (``problem``: why it cannot even be opened).

    ``to``: the recipients chosen for this document alone (the GUI batch's edited row);
    empty: ``--to``, else the L1 look-up.
    """

    path: Path
    problem: str = ""
    to: tuple[str, ...] = ()


def is_batch(files: Sequence[Path], from_list: Path | None) -> bool:
    """True unless exactly one existing-or-plain FILE is given (today's single send)."""
    if from_list is not None or len(files) != 1:
        return True
    word = str(files[0])
    return any(c in word for c in _GLOB_CHARS) and not files[0].exists()


def expand(files: Sequence[Path], from_list: Path | None, lang: str = "en") -> list[Item]:
    """The documents of a batch, in order: FILEs (globs expanded, sorted), then the list's lines
    (``lang``: the language of a pattern's problem)."""
    from viewer import messages

    words = [str(f) for f in files]
    if from_list is not None:
        try:
            text = from_list.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpoolviewError(f"cannot read the list {from_list} ({exc.strerror or exc}): check the path") from None
        except UnicodeDecodeError:
            raise SpoolviewError(f"the list {from_list} is not UTF-8 text: save it as UTF-8") from None
        base = from_list.parent
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.append(line if Path(line).is_absolute() else str(base / line))
    items: list[Item] = []
    seen: set[Path] = set()
    for word in words:
        if any(c in word for c in _GLOB_CHARS) and not Path(word).exists():
            found = sorted(glob.glob(word))
            if not found:
                items.append(Item(Path(word), messages.text(lang, "batch.no_match")))
            paths = [Path(f) for f in found]
        else:
            paths = [Path(word)]
        for path in paths:
            if path.resolve() not in seen:  # the same document named twice is sent once
                seen.add(path.resolve())
                items.append(Item(path))
    if not items:
        raise SpoolviewError("no document to send: give FILEs, a glob or --from-list")
    return items


@dataclass(frozen=True)
class Converted:
    """A document opened and converted to its attachment, or why not (``problem``: "category\tsentence").

    ``document`` keeps the path and info of the document, not its pages: it travels back
    from a worker process (``--jobs N``) to the one that looks up, checks and sends.
    """

    name: str
    document: Document | None = None
    attachment: Attachment | None = None
    problem: str = ""
    decision: Decision | None = None  # what the watched folder's rules chose for it (None: no rules)
    sent_before: bool = False  # not converted: the history has it accepted already (the guard decides; see Conversion)


@dataclass(frozen=True)
class Conversion:
    """Opening a document and making its attachment (PDF, protected): the costly part of a send,
    which ``--jobs N`` runs in worker processes. Picklable: it is handed to each worker once."""

    settings: Settings
    address_type: str = "EMAIL"
    encoding: str | None = None
    protect: bool | str | None = None
    password: str = field(default="", repr=False)
    rules: Rules | None = None  # the watched folder's: they choose hold, address type and protection per document
    # A document the history has accepted already (for any recipient) is opened but not converted: the
    # batch's guard then decides with its recipients (a re-run of a sent batch costs no conversion), and
    # converts it after all for a recipient who has not accepted it. False: --force (it is sent again).
    skip_sent: bool = False
    lang: str = "en"  # the language of the problems said

    def __call__(self, item: Item) -> Converted:
        from formats.document import Document, DocumentError
        from viewer.docopen import open_document
        from viewer.mail import job
        from viewer.mail.attachments import document_attachment
        from viewer.messages import said, text

        name = item.path.name
        if item.problem:
            return Converted(name, problem=f"{UNREADABLE}\t{item.problem}")
        try:
            doc = open_document(item.path, self.settings, encoding=self.encoding)
            try:
                name = job.document_key(doc)
                chosen = self.rules.choose(doc.info, item.path.name) if self.rules is not None else None
                if chosen is not None and chosen.hold:
                    return Converted(name, problem=f"{HELD}\t{text(self.lang, 'batch.held_by', rule=chosen.who(self.lang))}", decision=chosen)
                if self.skip_sent and _accepted_before(name):
                    return Converted(name, Document(doc.path, doc.source, doc.info, doc.page_count), decision=chosen,
                                     sent_before=True)
                attachment = document_attachment(doc, self.settings, (chosen and chosen.address_type) or self.address_type,
                                                 protect=(chosen and chosen.protection) or self.protect,
                                                 password=(chosen and chosen.password) or self.password)
                bare = Document(doc.path, doc.source, doc.info, doc.page_count)
            finally:
                doc.close()
        except OSError as exc:
            why = text(self.lang, "batch.cannot_read", path=item.path, reason=exc.strerror or exc)
            return Converted(name, problem=f"{UNREADABLE}\t{why}")
        except (DocumentError, SpoolviewError) as exc:
            return Converted(name, problem=f"{UNREADABLE}\t{said(exc, self.lang)}")
        return Converted(name, bare, attachment, decision=chosen)

    def warm_up(self) -> None:
        """Load what converting needs (the PDF libraries, the spools' fonts) now rather than on the
        first document: a watcher picks its first file up as fast as the others."""
        import importlib

        from formats import aes, fonts
        from formats.document import DocumentError

        for module in ("viewer.docopen", "viewer.mail.attachments", "formats.draw", "formats.pdfmeta",
                       "formats.pdfwrite", "formats.encrypt"):
            importlib.import_module(module)
        aes.backend()  # OpenSSL's AES found (ctypes) now, not on the first protected PDF
        try:
            for bold in (False, True):
                fonts.register("sans", bold)
        except DocumentError:
            pass  # no fonts: the first document says so, in its own words


_book: History | None = None  # this process's history, for Conversion (a worker process asks it per document)


def _accepted_before(key: str) -> bool:
    """Whether the history has ``key`` accepted by anyone (a history that cannot be read: no, convert)."""
    global _book
    from viewer import paths
    from viewer.mail.history import History

    if _book is None or _book.path != paths.data_dir() / "history.sqlite":  # opened once per process and user folder
        if _book is not None:
            _book.close()
        _book = History()
    try:
        return _book.accepted(key)
    except SpoolviewError:
        return False


def _crashed(item: Item, why: str, lang: str = "en") -> Converted:
    from viewer.messages import text

    return Converted(item.path.name, problem=f"{UNREADABLE}\t{text(lang, 'batch.crashed', why=why)}")


@dataclass(frozen=True)
class Result:
    """What became of one document: its category (SENT, REFUSED...), name, progress text and outcome
    (``detail``: why, when the document was not sent and has no outcome)."""

    category: str
    name: str
    text: str
    outcome: Outcome | None = None
    detail: str = ""
    rule: str = ""  # the watched folder's rule that chose its inputs, and what it chose ('' without rules)

    @property
    def temporary(self) -> bool:
        """A refusal worth retrying later: every refused recipient got a temporary answer."""
        if self.outcome is None or self.outcome.ok:
            return False
        if self.outcome.whole and self.outcome.error is not None:
            return self.outcome.error.kind == "temporary"
        refused = [r for r in self.outcome.recipient_results() if not r.accepted]
        return bool(refused) and all(r.temporary for r in refused)


class Batch:
    """Prepares, checks and sends each document in turn; one route decision and Outbox for all."""

    def __init__(self, args: argparse.Namespace, settings: Settings) -> None:
        from viewer.commands import mail
        from viewer.mail.history import History
        from viewer.mail.lookup import Lookups

        self.args = args
        self.settings = settings
        self.lang = mail.language(settings)  # fr or en: the lines printed, the watcher's .log
        self.connection = mail._connection(settings)
        self.password = mail._password(args)
        self.protect = mail._protection(settings, args, self.password)
        self.lookups = Lookups(settings, self.connection)
        self.history = History()  # one connection for the guard and the Outbox's records, the whole batch
        self.sender, warning = mail._sender(settings, args.sender)
        if warning:
            mail._warn(warning, self.lang)
        self.body: str | None = None
        if args.body_file:
            self.body = mail.read_body_file(args.body_file)
        self.conversion = Conversion(settings, args.address_type, args.encoding, self.protect, self.password,
                                     skip_sent=not args.force, lang=self.lang)
        self.jobs: int = vars(args).get("jobs") or 1  # the watcher's options have no --jobs
        self.outbox: Outbox | None = None
        self.route: str | None = None  # --dry-run: the route every document would take
        self.counts: Counter[str] = Counter()
        self.rules: Rules | None = None  # the watched folder's rules: they choose each document's inputs

    def use_rules(self, rules: Rules) -> None:
        """Send each document as ``rules`` decide (hold, address type, template, protection).

        A rule's protection is an explicit choice, like --protect: the default protection is
        resolved once here (a password it needs and lacks is said now, before any document)
        so that every document gets an explicit mode, its rule's or the default's.
        """
        from viewer.mail.attachments import protection_for

        self.rules = rules
        if rules.sets_protection:
            self.protect = protection_for(self.settings, self.protect, self.password).mode
            self.settings.pdf.password_policy = "ask"
        self.conversion = replace(self.conversion, protect=self.protect, rules=rules)  # it opens and converts

    def close(self) -> None:
        self.lookups.close()
        try:
            if self.outbox is not None:
                self.outbox.close()
                self.outbox = None
        finally:
            self.history.close()

    def _box(self, draft: Draft) -> Outbox:
        """The batch's Outbox, opened on the first send (the route is decided and said once)."""
        if self.outbox is None:
            from viewer.commands import mail
            from viewer.mail import job
            from viewer.mail.outbox import Outbox

            choice = job.decide_route(draft, via_server=self.args.via_server)
            mail._say_route(choice, self.lang)
            self.outbox = Outbox(self.settings, choice, history=self.history).__enter__()
        return self.outbox

    def draft(self, converted: Converted, item: Item) -> tuple[str, Draft | str]:
        """(name, the draft ready to send) or (name, why not: the category and a sentence);
        ``item.to``: the recipients chosen for this document (the GUI batch's edited row), else ``--to``."""
        from viewer.mail import job
        from viewer.messages import said, text

        name = converted.name
        if converted.document is None:
            return name, converted.problem
        try:
            chosen = converted.decision
            draft = job.prepare(converted.document, self.settings, self.connection,
                                address_type=(chosen and chosen.address_type) or self.args.address_type,
                                to=item.to or self.args.to, cc=self.args.cc, bcc=self.args.bcc, protect=self.protect,
                                password=self.password, lookups=self.lookups, attachment=converted.attachment,
                                attach=not converted.sent_before, template=chosen.template if chosen is not None else "")
        except SpoolviewError as exc:
            return name, f"{UNREADABLE}\t{said(exc, self.lang)}"
        if not draft.recipients():
            found = draft.lookup.message if draft.lookup is not None else ""
            return name, f"{NO_RECIPIENT}\t{found or draft.lookup_error or text(self.lang, 'batch.no_recipient')}"
        if self.args.subject:
            draft.subject = self.args.subject
        if self.body is not None:
            draft.body = self.body
            job.fill_alternatives(draft)
        draft.sender = self.sender
        guards = job.check(draft, lookups=self.lookups, history=self.history)
        if guards.mismatches and not self.args.force:
            return name, f"{NOT_SENT}\t{said(job.CustomerMismatch(guards.mismatches), self.lang)}"
        if guards.already_sent and not self.args.force:
            done = {e.recipient.lower() for e in guards.already_sent}
            keep = [a for a in draft.recipients() if _bare(a) not in done]
            if not keep:
                when = guards.already_sent[0]
                return name, f"{ALREADY}\t{text(self.lang, 'batch.already', recipient=when.recipient, time=f'{when.time:%Y-%m-%d %H:%M}')}"
            draft.to = [a for a in draft.to if a in keep]  # only those not accepted yet
            draft.cc = [a for a in draft.cc if a in keep]
            draft.bcc = [a for a in draft.bcc if a in keep]
        if converted.sent_before:  # someone has not accepted it yet after all: convert it now, here
            again = replace(self.conversion, skip_sent=False)(item)
            if again.attachment is None:
                return name, again.problem
            draft.attachments.append(again.attachment)
        return name, draft

    def process(self, item: Item, converted: Converted | None = None) -> Result:
        """Convert (unless done: ``converted``), prepare, check and send (or, with --dry-run, describe)
        one document; counted in the summary."""
        from viewer.mail import job
        from viewer.messages import route_text, said, text

        lang = self.lang
        converted = converted or self.conversion(item)
        name, ready = self.draft(converted, item)
        if isinstance(ready, str):
            category, why = ready.split("\t", 1)
            said_category = text(lang, f"batch.category.{WORD_IDS[category]}")
            result = Result(category, name, text(lang, "batch.problem", name=name, category=said_category, why=why), detail=why)
        elif self.args.dry_run:
            composed = job.compose_draft(ready)
            if self.route is None:  # decided once for the batch (a connected mode probes the server)
                self.route = job.decide_route(ready, via_server=self.args.via_server).text
            result = Result(SENT, name, text(lang, "batch.would_send", name=name, recipients=", ".join(composed.envelope.recipients),
                                             route=route_text(lang, self.route)))
        else:
            try:
                box = self._box(ready)
                outcome = job.send(ready, force=True, outbox=box)  # guards checked above
                box.history.flush()  # the history is the batch's memory: written per document, kill -9 or not
            except SpoolviewError as exc:
                said_category = text(lang, f"batch.category.{WORD_IDS[NOT_SENT]}")
                result = Result(NOT_SENT, name, text(lang, "batch.problem", name=name, category=said_category, why=said(exc, lang)),
                                detail=str(exc))
            else:
                result = Result(SENT if outcome.ok else REFUSED, name, f"{name} -> {line(outcome, lang)}", outcome)
        if converted.decision is not None:
            result = replace(result, rule=text(lang, "batch.rule", rule=converted.decision.who(lang),
                                                decision=converted.decision.describe(self.args.address_type, lang)))
        self.counts[result.category] += 1
        return result

    def run(self, items: list[Item]) -> None:
        """The whole batch, one progress line per document, sent in order; with ``--jobs N`` the
        conversions run ahead in N worker processes (the sends stay here, one at a time)."""
        from viewer.commands._workers import Ordered

        pool = Ordered(self.conversion, self.jobs, functools.partial(_crashed, lang=self.lang))
        with contextlib.closing(pool.map(items)) as converted:  # closed early: the workers are stopped
            for index, (item, done) in enumerate(converted, 1):
                print(f"[{index}/{len(items)}] {self.process(item, done).text}", flush=True)

    def summary(self) -> str:
        """``N documents: n sent, n refused...`` in the batch's language (sent always, the others when some)."""
        from viewer.messages import counted

        lang = self.lang
        parts = [counted(lang, "batch.count." + ("would" if c == SENT and self.args.dry_run else WORD_IDS[c]), self.counts[c])
                 for c in ORDER if c == SENT or self.counts[c]]
        return counted(lang, "batch.summary", sum(self.counts.values()), total=sum(self.counts.values()), parts=", ".join(parts))

    def status(self) -> int:
        """0: every document sent (now or before) or held by a rule; 3: some not sent; 1: none sent."""
        done = self.counts[SENT] + self.counts[ALREADY] + self.counts[HELD]
        total = sum(self.counts.values())
        if done == total:
            return EXIT_OK
        return EXIT_PARTIAL if done else EXIT_FAILED


def line(outcome: Outcome, lang: str = "en") -> str:
    """One line for a document: each recipient with the route's answer (the Outcome's own words, in ``lang``)."""
    from viewer.messages import text

    lines = outcome.summary_lines(duplicates=False, lang=lang)
    per_recipient = lines[: len(outcome.recipient_results())]
    return "; ".join(per_recipient) or text(lang, "batch.accepted" if outcome.ok else "batch.not_sent")


def _bare(address: str) -> str:
    from viewer.mail.compose import parse_mailbox

    try:
        return parse_mailbox(address)[1].lower() if "@" in address else address.strip().lower()
    except SpoolviewError:
        return address.strip().lower()


def cmd_batch(args: argparse.Namespace) -> int:
    from viewer.commands import mail
    from viewer.messages import text

    settings = mail._settings()
    items = expand(args.file, args.from_list, mail.language(settings))
    batch = Batch(args, settings)
    try:
        batch.run(items)
    except KeyboardInterrupt:
        print(text(batch.lang, "batch.interrupted", summary=batch.summary()), file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        batch.close()
    print(text(batch.lang, "batch.summary.dry", summary=batch.summary()) if args.dry_run else batch.summary())
    return batch.status()
