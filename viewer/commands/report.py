"""`spoolview report`: what the send history says — each document, recipient, route, outcome and time."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime, time
from typing import TYPE_CHECKING

from viewer.errors import SpoolviewError

if TYPE_CHECKING:
    from viewer.mail.history import HistoryEntry

CSV_COLUMNS = ("time", "document", "recipient", "route", "outcome", "reply", "message_id", "subject", "address_type", "file")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="list the sends of the history: document, recipient, route, outcome, time",
        description="List each document sent (one line per recipient) from the send history, oldest first: "
        "after a batch, or for a day of the watched folder. Exit status 0, or 1 when the history cannot be read.",
    )
    p.add_argument("--since", metavar="DATE", help="from this date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, local time; "
                   "default: today; 'all': the whole history)")
    p.add_argument("--csv", action="store_true", help="write CSV (UTF-8, comma-separated, a header line) to standard output")
    p.set_defaults(func=cmd_report)


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    """The start of the report: None for 'all'; today's midnight by default."""
    if text is None:
        return datetime.combine((now or datetime.now()).date(), time())
    if text.strip().lower() == "all":
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise SpoolviewError(f"--since {text!r} is not a date: write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM (or 'all')") from None


def entries(since: datetime | None) -> list[HistoryEntry]:
    """The history's entries from ``since`` (None: all), oldest first."""
    from viewer.mail.history import History

    history = History()
    try:
        found = history.recent(0)  # 0: no limit
    finally:
        history.close()
    return [e for e in reversed(found) if since is None or e.time >= since]


def cmd_report(args: argparse.Namespace) -> int:
    since = parse_since(args.since)
    found = entries(since)
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for e in found:
            writer.writerow([e.time.isoformat(sep=" "), e.document, e.recipient, e.route, e.outcome, e.reply,
                             e.message_id, e.subject, e.address_type, e.file])
        return 0
    print_lines(found, since, _language())
    return 0


def _language() -> str:
    from viewer.cli import language

    return language()


def print_lines(found: list[HistoryEntry], since: datetime | None, lang: str) -> None:
    """The report for a person, in ``lang``: one line per recipient, then the count per outcome.
    The replies are quoted as the servers gave them; the CSV (``--csv``) keeps the stored values."""
    from viewer.mail.routes.pickup import QUEUED
    from viewer.messages import catalogue, counted, route_text, text

    words = catalogue(lang)
    for e in found:
        reply = text(lang, "send.queued") if e.reply == QUEUED else e.reply
        outcome = text(lang, f"report.outcome.{e.outcome}") if f"report.outcome.{e.outcome}" in words else e.outcome
        print(text(lang, "report.line", time=f"{e.time:%Y-%m-%d %H:%M:%S}", document=e.document, recipient=e.recipient,
                   outcome=outcome, route=route_text(lang, e.route), reply=f" ({reply})" if reply else ""))
    counts: dict[str, int] = {}
    for e in found:
        counts[e.outcome] = counts.get(e.outcome, 0) + 1
    what = ", ".join(counted(lang, f"report.count.{outcome}", n) if f"report.count.{outcome}.one" in words else f"{n} {outcome}"
                     for outcome, n in sorted(counts.items())) or text(lang, "report.none")
    start = text(lang, "report.all") if since is None else text(lang, "report.since", time=f"{since:%Y-%m-%d %H:%M}")
    print(counted(lang, "report.summary", len(found), start=start, what=what))
