"""The GUI batch without Tk: each document's row (L1 look-up), the run through the CLI's batch, the results and their CSV.

The dialog (``batch_dialog``) only shows what this module computes::

    rows = look_up(paths, services)            # worker thread: open each document, rule L1
    rows[1].recipient = "other@example.org"    # the user edits a row
    run = BatchRun(services.settings)          # the same Batch as `spoolview send FILE...`
    for event in run.run(rows, cancel):        # worker thread; cancel: a threading.Event
        ...                                    # Started(index, name), then Finished(index, DocResult)
    write_csv(path, results)                   # the columns of `spoolview report --csv`, file 0600

Sending goes through ``viewer.commands._batch.Batch.process`` and so through the one send
job (``viewer.mail.job``): the same conversion, look-up, already-sent guard, customer
guard, S7 delay, journal and history as the command line. Nothing here composes a message.
"""

from __future__ import annotations

import argparse
import csv
import io
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.errors import SpoolviewError
from viewer.gui.i18n import _

if TYPE_CHECKING:
    from viewer.commands._batch import Batch, Result
    from viewer.gui.mailui.services import MailServices
    from viewer.mail.history import HistoryEntry
    from viewer.mail.job import Guards
    from viewer.mail.outbox import Outcome
    from viewer.mail.routes.select import Decision
    from viewer.settings import Settings

__all__ = ["BatchRun", "DocResult", "Finished", "Row", "Started", "Waiting", "csv_text", "look_up", "write_csv"]

# What became of a document, as the result list says it (keys of the "mail" catalogues).
ACCEPTED, PARTLY, REFUSED, ALREADY, UNREADABLE, NO_RECIPIENT, NOT_SENT, CANCELLED = (
    "accepted", "partly", "refused", "already", "unreadable", "no_recipient", "not_sent", "cancelled")
OUTCOME_KEYS = {
    ACCEPTED: "mail.batch.outcome.accepted",
    PARTLY: "mail.batch.outcome.partly",
    REFUSED: "mail.batch.outcome.refused",
    ALREADY: "mail.batch.outcome.already",
    UNREADABLE: "mail.batch.outcome.unreadable",
    NO_RECIPIENT: "mail.batch.outcome.no_recipient",
    NOT_SENT: "mail.batch.outcome.not_sent",
    CANCELLED: "mail.batch.outcome.cancelled",
}
# The outcome column of the CSV for a document that never reached a route (the history's words otherwise).
CSV_WORDS = {ALREADY: "skipped (already sent)", UNREADABLE: "unreadable", NO_RECIPIENT: "no recipient",
             NOT_SENT: "not sent (error)", CANCELLED: "cancelled"}
CSV_COLUMNS = ("time", "document", "recipient", "route", "outcome", "reply", "message_id", "subject", "address_type", "file")


@dataclass
class Row:
    """One document of the list: what the look-up found, and the recipient the user keeps or types."""

    path: Path
    name: str  # "facture F2026-0107", or the file name when the document has no number
    kind: str = ""
    number: str = ""
    customer: str = ""  # "CLI001 (Client 1)"
    customer_code: str = ""  # the document's customer code (the guard compares the recipient's with it)
    found: str = ""  # the recipient rule L1 gave ('' when none)
    recipient: str = ""  # the recipient the document goes to (found, or typed by the user)
    note: str = ""  # why no recipient / why it cannot be read / what the look-up says (interface language)
    unreadable: bool = False

    @property
    def edited(self) -> bool:
        """True when the user changed the recipient the look-up gave."""
        return self.recipient.strip() != self.found.strip()


@dataclass
class DocResult:
    """What became of one document: the result list's line and the CSV's lines."""

    name: str
    recipient: str
    route: str  # the route actually used (the Outcome's words, as the history keeps them), '' when nothing went out
    outcome: str  # ACCEPTED, REFUSED...
    detail: str = ""  # the server's reply, or why not sent (its own words)
    time: datetime = field(default_factory=datetime.now)
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (recipient, outcome, reply) per recipient
    message_id: str = ""
    subject: str = ""
    file: str = ""
    decision: Decision | None = None  # the route decision the send followed (for the route in the interface language)

    @property
    def sent(self) -> bool:
        """True only when the route accepted every recipient of this document now."""
        return self.outcome == ACCEPTED

    def words(self) -> str:
        """The outcome in words (interface language), the reply or reason after it."""
        text = _(OUTCOME_KEYS[self.outcome])
        return _("mail.batch.outcome_detail", outcome=text, detail=self.detail) if self.detail else text


@dataclass(frozen=True)
class Started:
    """The run took document ``index`` in hand."""

    index: int
    name: str


@dataclass(frozen=True)
class Waiting:
    """The run waits ``seconds`` before the next send (the S7 delay between sends)."""

    index: int
    seconds: float


@dataclass(frozen=True)
class Finished:
    """Document ``index`` is done (or was never started: cancelled)."""

    index: int
    result: DocResult


# -- the rows ---------------------------------------------------------------------------------


def look_up(paths: Sequence[Path], services: MailServices, address_type: str = "EMAIL") -> list[Row]:
    """One row per document: open it and find its recipient by rule L1 (the send job's own look-up).

    Safe on a worker thread (the directory, or the server when connected; PyMuPDF takes its
    lock). A document that cannot be read gets a row saying why; nothing raises.
    """
    return [look_up_one(Path(p), services, address_type) for p in paths]


def look_up_one(path: Path, services: MailServices, address_type: str = "EMAIL") -> Row:
    from formats.document import DocumentError
    from viewer.docopen import open_document
    from viewer.gui.dialogs import user_message
    from viewer.mail import job

    row = Row(path, path.name)
    try:
        document = open_document(path, services.settings)
    except (DocumentError, SpoolviewError, OSError) as exc:
        row.unreadable, row.note = True, user_message(exc)
        return row
    try:
        info = document.info
        row.name, row.kind, row.number = job.document_key(document), info.kind, info.number
        try:
            found = services.fetch_recipient(info, address_type)
        except SpoolviewError as exc:
            row.note = _("mail.batch.lookup_failed", error=str(exc))
            return row
        row.customer_code = info.customer
        row.customer = _named(info.customer, found.customer_name) if info.customer else ""
        row.found = row.recipient = ", ".join(found.to)
        if found.lookup is not None:
            row.note = services.lookup_text(found.lookup, address_type, customer_name=found.customer_name)
        elif found.lookup_error:
            row.note = _("mail.batch.lookup_failed", error=found.lookup_error)
        if not found.to and not row.note:
            row.note = _("mail.batch.no_recipient")
    finally:
        document.close()
    return row


def recipient_problem(text: str, address_type: str = "EMAIL") -> str:
    """'' when ``text`` is a usable recipient list for a row, else what is wrong (interface language)."""
    from viewer.gui.mailui.model import split_addresses
    from viewer.mail.compose import parse_mailbox

    addresses = split_addresses(text)
    if not addresses:
        return _("mail.batch.edit.empty")
    if address_type.startswith("EMAIL"):
        for address in addresses:
            try:
                parse_mailbox(address)
            except SpoolviewError:
                return _("mail.batch.edit.bad", address=address)
    return ""


# -- the run ----------------------------------------------------------------------------------


class BatchRun:
    """Sends rows one by one through the command line's Batch (one route decision and Outbox for all)."""

    def __init__(self, settings: Settings, address_type: str = "EMAIL", *,
                 make_batch: Callable[[argparse.Namespace, Settings], Batch] | None = None) -> None:
        from viewer.commands._batch import Batch

        self.settings = settings
        self.address_type = address_type
        self._make = make_batch or Batch
        self.batch: Batch | None = None

    def args(self) -> argparse.Namespace:
        """The options of `spoolview send FILE...` with nothing given: the settings decide, as for the watcher."""
        return argparse.Namespace(
            address_type=self.address_type, to=[], cc=[], bcc=[], subject=None, body_file=None, protect=None,
            password_file=None, no_pdf=False, sender=None, encoding=None, dry_run=False, force=False,
            via_server=False,
        )

    def run(self, rows: Sequence[Row], cancel: threading.Event) -> Iterator[Started | Waiting | Finished]:
        """Send each row in order (worker thread); after ``cancel`` is set, the rest are reported not sent.

        The document in hand when ``cancel`` is set is finished (its outcome is the server's);
        the delay between sends is waited here, so a cancel during it sends nothing more.
        """
        from viewer.commands._batch import Item

        batch = self.batch = self._make(self.args(), self.settings)
        try:
            for index, row in enumerate(rows):
                if index and not cancel.is_set():
                    pause = self._pause(batch)
                    if pause > 0:
                        yield Waiting(index, pause)
                        cancel.wait(pause)
                if cancel.is_set():
                    yield Finished(index, DocResult(row.name, row.recipient, "", CANCELLED))
                    continue
                yield Started(index, row.name)
                to = tuple(_split(row.recipient)) if row.edited else ()  # unchanged: the batch looks it up itself
                try:
                    result = batch.process(Item(row.path, to=to))
                except Exception as exc:  # noqa: BLE001 - one document's failure is its outcome, the batch goes on
                    from viewer.gui.mailui.model import error_text

                    yield Finished(index, DocResult(row.name, row.recipient, "", NOT_SENT, error_text(exc)))
                    continue
                guards = self._guards(batch, result, row)
                yield Finished(index, doc_result(result, row, self.address_type, guards))
        finally:
            batch.close()

    def _guards(self, batch: Batch, result: Result, row: Row) -> Guards | None:
        """For a document the guards held back: the job's guards again, to say why in the interface language."""
        from viewer.commands import _batch as B
        from viewer.mail import job

        if result.outcome is not None or result.category not in (B.ALREADY, B.NOT_SENT):
            return None
        draft = job.Draft(self.settings, batch.connection, self.address_type, to=_split(row.recipient),
                          document_key=result.name, document_customer=row.customer_code)
        try:
            return job.check(draft, lookups=batch.lookups)
        except SpoolviewError:
            return None  # the batch's own words stay

    def _pause(self, batch: Batch) -> float:
        """Seconds left of the S7 delay since the last send of this batch (0 when none)."""
        box = batch.outbox
        if box is None or box.throttle.delay <= 0 or not box.throttle.last_stamp:
            return 0.0
        return max(0.0, box.throttle.last_stamp + box.throttle.delay - time.time())


def doc_result(result: Result, row: Row, address_type: str = "EMAIL", guards: Guards | None = None) -> DocResult:
    """The result list's line for what ``Batch.process`` did with ``row`` (``guards``: the job's guards
    for a document they held back, to say why in the interface language)."""
    from viewer.commands import _batch as B

    outcome = result.outcome
    if outcome is not None:
        return outcome_result(result.name, outcome, address_type)
    kind = {B.ALREADY: ALREADY, B.UNREADABLE: UNREADABLE, B.NO_RECIPIENT: NO_RECIPIENT}.get(result.category, NOT_SENT)
    # The batch's own words are the command line's (English, naming --force): said again in the interface language.
    detail = result.detail
    if row.note and (kind == UNREADABLE and row.unreadable or kind == NO_RECIPIENT and not row.recipient.strip()):
        detail = row.note  # what the list said before the run (a conversion failure has only the batch's words)
    elif kind == ALREADY and guards is not None and guards.already_sent:
        detail = already_text(guards.already_sent)
    elif kind == NOT_SENT and guards is not None and guards.mismatches:
        detail = " ".join(_("mail.warning.other_customer_line", address=m.recipient,
                            theirs=_named(m.recipient_customer, m.recipient_customer_name),
                            ours=_named(m.document_customer, m.document_customer_name)) for m in guards.mismatches)
    return DocResult(result.name, row.recipient, "", kind, detail)


def already_text(entries: Sequence[HistoryEntry]) -> str:
    """To whom and when the document went before (the newest send per recipient), in the interface language."""
    from viewer.gui.i18n import language

    latest: dict[str, HistoryEntry] = {}
    for entry in entries:  # newest first
        latest.setdefault(entry.recipient, entry)
    pattern = "%d/%m/%Y" if language() == "fr" else "%Y-%m-%d"
    return ", ".join(_("mail.batch.already_detail", recipient=e.recipient, date=e.time.strftime(pattern),
                       time=e.time.strftime("%H:%M")) for e in latest.values())


def outcome_result(name: str, outcome: Outcome, address_type: str = "EMAIL") -> DocResult:
    """A document that went to the route: accepted, partly accepted or refused, with the replies."""
    recipients = outcome.recipient_results()
    lines: list[tuple[str, str, str]] = []
    refused: list[str] = []
    for r in recipients:
        reply = r.reply if outcome.whole or not r.code or r.reply.startswith(str(r.code)) else f"{r.code} {r.reply}".strip()
        lines.append((r.address, "accepted" if r.accepted else "refused" if r.code else "failed", reply))
        if not r.accepted:
            refused.append(f"{r.address}: {reply}" if len(recipients) > 1 else reply)
    accepted = [r for r in recipients if r.accepted]
    kind = ACCEPTED if outcome.ok else PARTLY if accepted else REFUSED
    return DocResult(
        name, ", ".join(r.address for r in recipients), outcome.route_name, kind, "; ".join(refused),
        lines=lines, message_id=outcome.message_id, subject=outcome.subject, file=str(outcome.file or ""),
        decision=outcome.decision,
    )


# -- CSV --------------------------------------------------------------------------------------


def csv_text(results: Sequence[DocResult], address_type: str = "EMAIL") -> str:
    """The results as `spoolview report --csv` writes the history: one line per recipient.

    A document that never reached a route (already sent, unreadable, no recipient,
    cancelled) has one line whose outcome is its category and whose reply says why.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        when = r.time.isoformat(sep=" ", timespec="seconds")
        if r.lines:
            for recipient, outcome, reply in r.lines:
                writer.writerow([when, r.name, recipient, r.route, outcome, reply, r.message_id, r.subject,
                                 address_type, r.file])
        else:
            writer.writerow([when, r.name, r.recipient, r.route, CSV_WORDS.get(r.outcome, r.outcome), r.detail, "", "",
                             address_type, ""])
    return out.getvalue()


def write_csv(path: str | Path, results: Sequence[DocResult], address_type: str = "EMAIL") -> Path:
    """Write ``csv_text`` to ``path`` (UTF-8, readable by this user only: 0600). Raises OSError."""
    from viewer.fsutil import write_durable

    target = Path(path)
    write_durable(target, csv_text(results, address_type).encode("utf-8"), mode=0o600, strict=False)
    return target


def _named(code: str, name: str) -> str:
    return f"{code} ({name})" if name else code


def _split(text: str) -> list[str]:
    from viewer.gui.mailui.model import split_addresses

    return split_addresses(text)
