"""CLI commands `send`, `test-mail` and `trace`: the mail road from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.errors import SpoolviewError
from viewer.settings import ADDRESS_TYPES, Settings

if TYPE_CHECKING:
    from types import ModuleType

    from viewer.connection import Connection
    from viewer.mail.job import Draft
    from viewer.mail.outbox import Outcome
    from viewer.mail.routes.select import Choice

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "send",
        help="send a document by e-mail through the configured route",
        description="Convert FILE to PDF (per the settings), find its recipient (the directory, unless --to), "
        "compose the mail and send it. Exit status: 0 when every recipient was accepted, 1 when the "
        "message was not sent, 3 when some recipients were refused. Several FILEs (or globs, or --from-list) "
        "make a batch: each document goes to its own recipient; exit status 0 when every document was sent "
        "(or had been already), 3 when some were not, 1 when none was.",
    )
    p.add_argument("file", type=Path, nargs="*", metavar="FILE", help="document(s) to send; a quoted glob (\"out/*.spv\") is expanded")
    p.add_argument("--from-list", type=Path, metavar="LIST", help="batch: a text file naming one document per line ('#' comments)")
    _recipients(p, required=False)
    p.add_argument("--type", dest="address_type", type=str.upper, choices=ADDRESS_TYPES, default="EMAIL", help="address type (default EMAIL)")
    p.add_argument("--subject", help="subject (default: from the document or the templates)")
    p.add_argument("--body-file", type=Path, help="UTF-8 text file holding the body")
    p.add_argument("--protect", choices=("none", "no-modify", "password"), help="PDF protection (default: the settings)")
    p.add_argument("--password-file", type=Path, help="file whose first line is the PDF password ('-': standard input)")
    p.add_argument("--no-pdf", action="store_true", help="attach the spool file itself, not a PDF")
    p.add_argument("--from", dest="sender", help="sender (default: the From identity of the settings)")
    p.add_argument("--encoding", help="encoding of a text spool (default: detected)")
    p.add_argument("--dry-run", action="store_true", help="build the message and say where it would go; send nothing")
    p.add_argument("--force", action="store_true", help="send even when the recipient belongs to another customer than the "
                   "document's, and do not warn when the document already went to that recipient")
    p.add_argument("--via-server", action="store_true", help="send through the connected application server (error when not connected)")
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N", help="batch: convert the documents in N worker processes "
                   "(default 1: no worker); they are still sent one at a time, in order")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("test-mail", help="send a test mail through the configured route (Tools > test mail)")
    p.add_argument("--to", action="append", required=True, metavar="ADDR", help="recipient (repeatable)")
    p.add_argument("--type", dest="address_type", type=str.upper, choices=ADDRESS_TYPES, default="EMAIL")
    p.add_argument("--subject", default="spoolview test mail")
    p.add_argument("--body", default="This is a test mail sent by spoolview.\n")
    p.add_argument("--attach", type=Path, action="append", default=[], metavar="FILE", help="attach a file (repeatable)")
    p.add_argument("--from", dest="sender", help="sender (default: the From identity of the settings)")
    p.set_defaults(func=cmd_test_mail)

    p = sub.add_parser("trace", help="debug trace: on, off, show, files")
    p.add_argument("action", choices=("on", "off", "show", "files"))
    p.add_argument("--last", type=int, default=0, metavar="N", help="show: only the last N entries")
    p.set_defaults(func=cmd_trace)


def _jobs(text: str) -> int:
    """``--jobs N``: a whole number from 1 to 64."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of worker processes: give a whole number such as 2") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{value} worker processes: give a number from 1 to 64 (at most the number of cores is useful)")
    return value


def _recipients(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument("--to", action="append", default=[], metavar="ADDR", help="recipient (repeatable); default: the directory lookup")
    p.add_argument("--cc", action="append", default=[], metavar="ADDR")
    p.add_argument("--bcc", action="append", default=[], metavar="ADDR")


# -- shared steps -----------------------------------------------------------------------


def _settings() -> Settings:
    from viewer import settings as S

    return S.load()


def _connection(settings: Settings) -> Connection | None:
    """The connection saved by ``spoolview connect`` (directory look-ups and connected-mode sends)."""
    from viewer.connection import current

    return current(settings)


def read_body_file(path: Path) -> str:
    """The text of ``--body-file`` (UTF-8), or a SpoolviewError saying what to do."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpoolviewError(f"cannot read the body file {path} ({exc.strerror or exc}): check the path") from None
    except UnicodeDecodeError:
        raise SpoolviewError(f"the body file {path} is not UTF-8 text: save it as UTF-8") from None


def language(settings: Settings) -> str:
    """fr or en for the lines a command prints: printing.language of ``settings``, else the locale's."""
    from viewer.messages import cli_language

    return cli_language(settings.printing.language)


def _sender(settings: Settings, given: str | None) -> tuple[str | None, str]:
    """The sender to use and a warning when the settings have none (fresh user)."""
    from viewer.messages import text

    if given:
        return given, ""
    if settings.from_identity().strip():
        return None, ""  # compose takes it from the settings
    import getpass
    import socket

    fallback = f"{getpass.getuser()}@{socket.getfqdn() or 'localhost'}"
    key = "functions.from_identity" if settings.functions.send_direct else "service.from_identity"
    return fallback, text(language(settings), "send.warn.no_from", sender=fallback, key=key)


def _report(outcome: Outcome, lang: str, *, duplicates: bool = True) -> int:
    from viewer.messages import route_text, text

    print(text(lang, "send.route", route=route_text(lang, outcome.route_name)))
    for line in outcome.summary_lines(duplicates=duplicates, lang=lang):
        print(line)
    if outcome.ok:
        return EXIT_OK
    if outcome.result is not None and outcome.result.accepted:
        return EXIT_PARTIAL
    return EXIT_FAILED


def _warn(detail: str, lang: str = "en") -> None:
    from viewer.messages import text

    print(text(lang, "cli.warning", detail=detail), file=sys.stderr)


def _say_route(choice: Choice, lang: str = "en") -> None:
    """Warn when the send could have gone through the server but goes locally (S5)."""
    if choice.decision.fallback:
        _warn(choice.decision.label if choice.decision.label != "local" else choice.decision.reason, lang)


def _send(draft: Draft, *, via_server: bool, dry_run: bool = False, duplicates: bool = True) -> int:
    """Decide the route once, say it, then send (or describe, with ``dry_run``)."""
    from viewer.mail import job
    from viewer.mail.outbox import Outbox
    from viewer.messages import route_text, text

    lang = language(draft.settings)
    choice = job.decide_route(draft, via_server=via_server)
    _say_route(choice, lang)
    if dry_run:
        composed = job.compose_draft(draft)
        print(text(lang, "send.dry_run"))
        print(text(lang, "send.route", route=route_text(lang, choice.text)))
        print(text(lang, "send.dry.from", sender=composed.envelope.sender))
        print(text(lang, "send.dry.to", recipients=", ".join(composed.envelope.recipients)))
        print(text(lang, "send.dry.subject", subject=draft.subject))
        for attachment in draft.attachments:
            print(text(lang, "send.dry.attachment", name=attachment.filename, size=len(attachment.data), total=len(composed.raw)))
        return EXIT_OK
    with Outbox(draft.settings, choice) as outbox:
        outcome = job.send(draft, force=True, outbox=outbox)  # the guards were checked by the caller
    for note in draft.notes:
        _warn(note, lang)
    return _report(outcome, lang, duplicates=duplicates)


# -- send ---------------------------------------------------------------------------------


def _protection(settings: Settings, args: argparse.Namespace, password: str) -> bool | str | None:
    """The protection for this send: --protect wins over the policy; a password file means yes."""
    if args.protect:  # an explicit choice wins over the policy, for this send only
        settings.pdf.protection, settings.pdf.password_policy = args.protect, "ask"
    if args.protect == "password" and not password:
        raise SpoolviewError("--protect password needs --password-file")
    protect: bool | str | None = args.protect
    if protect is None and settings.pdf.password_policy == "ask":
        protect = bool(password)  # no one to ask on a command line: a password file means yes
    if args.no_pdf:
        from viewer.mail.attachments import SWITCHES

        setattr(settings.pdf, SWITCHES[args.address_type], False)
    return protect


def _password(args: argparse.Namespace) -> str:
    if not args.password_file:
        return ""
    from viewer.commands.documents import read_password

    return read_password(args.password_file) or ""


def cmd_send(args: argparse.Namespace) -> int:
    # One FILE without a pattern character is a single send: the batch module is not even imported.
    single = args.from_list is None and len(args.file) == 1 and not any(c in str(args.file[0]) for c in "*?[")
    if not single and _batch().is_batch(args.file, args.from_list):
        return _batch().cmd_batch(args)
    args.file = args.file[0]
    return _send_one(args)


def _batch() -> ModuleType:
    """The batch send (imported for a pattern, several files or a list; one plain FILE is sent here)."""
    from viewer.commands import _batch as batch

    return batch


def _send_one(args: argparse.Namespace) -> int:
    from viewer.docopen import open_document
    from viewer.mail import job
    from viewer.mail.lookup import LOCAL_FALLBACK
    from viewer.mail.outbox import entry_text
    from viewer.messages import text

    settings = _settings()
    lang = language(settings)
    doc = open_document(args.file, settings, encoding=args.encoding)  # limits, PostScript, [extract] rules
    password = _password(args)
    protect = _protection(settings, args, password)
    draft = job.prepare(doc, settings, _connection(settings), address_type=args.address_type,
                        to=args.to, cc=args.cc, bcc=args.bcc, protect=protect, password=password)
    if draft.lookup is not None and draft.directory == LOCAL_FALLBACK:
        _warn(text(lang, "send.warn.local_directory", problem=draft.directory_problem), lang)
    if not draft.recipients():
        found = draft.lookup.message if draft.lookup is not None else ""
        raise SpoolviewError(f"{found or draft.lookup_error or 'no recipient found in the directory'} (give one with --to)")
    if draft.lookup is not None and draft.lookup.found and draft.lookup.message:
        _warn(draft.lookup.message, lang)  # e.g. the contact has no address of that type: the customer's is used
    if args.subject:
        draft.subject = args.subject
    if args.body_file:
        draft.body = read_body_file(args.body_file)
        job.fill_alternatives(draft)
    draft.sender, warning = _sender(settings, args.sender)
    if warning:
        _warn(warning, lang)
    guards = job.check(draft)
    if guards.mismatches and not args.force:
        raise job.CustomerMismatch(guards.mismatches)
    if guards.already_sent and not args.force:
        for entry in guards.already_sent:
            _warn(text(lang, "send.warn.already", entry=entry_text(entry, lang)), lang)
    return _send(draft, via_server=args.via_server, dry_run=args.dry_run, duplicates=False)  # warned above (or --force)


# -- test-mail ----------------------------------------------------------------------------


def cmd_test_mail(args: argparse.Namespace) -> int:
    from viewer.mail import job
    from viewer.mail.compose import Attachment

    settings = _settings()
    draft = job.prepare(None, settings, _connection(settings), address_type=args.address_type, to=args.to)
    draft.subject, draft.body = args.subject, args.body
    draft.html = draft.rtf = None  # the test utility sends a plain mail
    for path in args.attach:
        try:
            draft.attachments.append(Attachment(path.name, path.read_bytes(), "application/octet-stream"))
        except OSError as exc:
            raise SpoolviewError(f"cannot read the attachment {path}: {exc.strerror}") from None
    draft.sender, warning = _sender(settings, args.sender)
    if warning:
        _warn(warning, language(settings))
    return _send(draft, via_server=False)


# -- trace --------------------------------------------------------------------------------


def cmd_trace(args: argparse.Namespace) -> int:
    from viewer import settings as S
    from viewer.mail import trace

    settings = S.load()
    folder = settings.debug.trace_folder
    if args.action in ("on", "off"):
        settings.debug.trace = args.action == "on"
        path = S.save(settings)
        print(f"debug trace {args.action}: files go to {folder} (settings {path})")
        return EXIT_OK
    if args.action == "files":
        found = trace.files(folder)
        for path in found:
            print(path)
        if not found:
            print(f"no trace file in {folder}", file=sys.stderr)
        return EXIT_OK
    entries = trace.load(folder)
    if args.last > 0:
        entries = entries[-args.last :]
    for entry in entries:
        print(entry.format())
    if not entries:
        state = "on" if settings.debug.trace else "off (spoolview trace on)"
        where = "is empty" if Path(folder).expanduser().is_dir() else "does not exist yet"
        print(f"the trace in {folder} {where}; the trace is {state}", file=sys.stderr)
    return EXIT_OK
