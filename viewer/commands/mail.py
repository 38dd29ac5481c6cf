"""CLI commands `send`, `test-mail` and `trace`: the mail road from the command line."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from pathlib import Path
from typing import Any

from viewer.errors import SpoolviewError
from viewer.settings import ADDRESS_TYPES

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "send",
        help="send a document by e-mail through the configured route",
        description="Convert FILE to PDF (per the settings), find its recipient (the directory, unless --to), "
        "compose the mail and send it. Exit status: 0 when every recipient was accepted, 1 when the "
        "message was not sent, 3 when some recipients were refused.",
    )
    p.add_argument("file", type=Path)
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
    p.add_argument("--force", action="store_true", help="do not warn when the document already went to that recipient")
    p.add_argument("--via-server", action="store_true", help="send through the connected application server (error when not connected)")
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


def _recipients(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument("--to", action="append", default=[], metavar="ADDR", help="recipient (repeatable); default: the directory lookup")
    p.add_argument("--cc", action="append", default=[], metavar="ADDR")
    p.add_argument("--bcc", action="append", default=[], metavar="ADDR")


# -- shared steps -----------------------------------------------------------------------


def _settings():
    from viewer import settings as S

    return S.load()


def _route_addresses(settings: Any, address_type: str, addresses: list[str]) -> list[str]:
    """Apply the S3 routing template of the address type to each address (display names kept)."""
    from viewer.mail.routing import route_mailbox

    return [route_mailbox(settings, address_type, text) for text in addresses]


def _sender(settings: Any, given: str | None) -> tuple[str | None, str]:
    """The sender to use and a warning when the settings have none (fresh user)."""
    if given:
        return given, ""
    if settings.from_identity().strip():
        return None, ""  # compose takes it from the settings
    fallback = f"{getpass.getuser()}@{socket.getfqdn() or 'localhost'}"
    key = "functions.from_identity" if settings.functions.send_direct else "service.from_identity"
    return fallback, f"no From identity is set: sending as {fallback} (set {key}, or use --from)"


def _outbox(settings: Any, *, via_server: bool = False):
    """The outbox on the route in force; ``via_server`` insists on the application server."""
    from viewer import connection as conn_mod
    from viewer.mail.outbox import Outbox
    from viewer.mail.routes.server import ServerRoute, server_connection, wants_server

    if via_server:
        connection = conn_mod.current(settings)
        if connection is None or not connection.is_connected:
            raise SpoolviewError("--via-server: not connected to an application server: run `spoolview connect PROFILE` first")
        return Outbox(settings, route=ServerRoute(connection, settings=settings), connection=connection)
    connection = None
    if wants_server(settings):
        # Connected and answering: through the server; else the send happens locally (S5).
        connection, reason = server_connection(settings)
        if connection is None:
            _warn(reason)
    return Outbox(settings, connection=connection)


def _compose(spec: Any, settings: Any) -> Any:
    """The composed message; what composition had to change (e.g. UTF-8 fallback) is said."""
    from viewer.mail.compose import compose

    composed = compose(spec, settings)
    for note in composed.notes:
        _warn(note)
    return composed


def _report(outbox: Any, outcome: Any, *, duplicates: bool = True) -> int:
    print(f"route: {outcome.route_name}")
    for line in outcome.summary_lines(duplicates=duplicates):
        print(line)
    if outcome.ok:
        return EXIT_OK
    if outcome.result is not None and outcome.result.accepted:
        return EXIT_PARTIAL
    return EXIT_FAILED


def _warn(text: str) -> None:
    print(f"spoolview: warning: {text}", file=sys.stderr)


# -- send ---------------------------------------------------------------------------------


def _lookup(settings: Any, info: Any, address_type: str) -> tuple[list[str], str, str]:
    """Recipient by rule L1 from the directory: (addresses, customer name, contact name)."""
    from viewer.connection import directory_for

    directory = directory_for(settings)  # the server's when connected, else the local one
    try:
        found = directory.lookup(info, address_type)
    finally:
        closer = getattr(directory, "close", None)
        if callable(closer):
            closer()
    if found.found and found.address:
        if found.message:  # e.g. the contact has no address of that type: the customer's is used
            _warn(found.message)
        display = found.name.replace('"', "").strip()
        contact = found.name if found.source == "contact" else ""
        customer = "" if found.source == "contact" else found.name
        return [f'"{display}" <{found.address}>' if display else found.address], customer, contact
    if getattr(info, "mail_to", "") and address_type.startswith("EMAIL"):
        return [info.mail_to], "", ""
    raise SpoolviewError(f"{found.message or 'no recipient found in the directory'} (give one with --to)")


def _attachment(doc: Any, settings: Any, args: argparse.Namespace, password: str):
    """The document as an attachment: PDF (protected per settings or --protect) or the spool itself."""
    from viewer.mail.attachments import document_attachment

    if args.protect:  # an explicit choice wins over the policy, for this send only
        settings.pdf.protection, settings.pdf.password_policy = args.protect, "ask"
    if args.protect == "password" and not password:
        raise SpoolviewError("--protect password needs --password-file")
    protect: bool | str | None = args.protect
    if protect is None and settings.pdf.password_policy == "ask":
        protect = bool(password)  # no one to ask on a command line: a password file means yes
    if args.no_pdf:
        switch = {"EMAIL": "convert_mail", "EMAIL2": "convert_mail", "FAX": "convert_fax", "FAX2": "convert_fax2"}[args.address_type]
        setattr(settings.pdf, switch, False)
    return document_attachment(doc, settings, args.address_type, protect=protect, password=password)


def _password(args: argparse.Namespace) -> str:
    if not args.password_file:
        return ""
    from viewer.commands.documents import read_password

    return read_password(args.password_file) or ""


def cmd_send(args: argparse.Namespace) -> int:
    from viewer.docopen import open_document
    from viewer.mail.compose import MailSpec
    from viewer.mail.templates import for_document

    settings = _settings()
    doc = open_document(args.file, settings, encoding=args.encoding)
    info = doc.info
    customer = contact = ""
    to = list(args.to)
    if not (to or args.cc or args.bcc):
        to, customer, contact = _lookup(settings, info, args.address_type)
    to = _route_addresses(settings, args.address_type, to)
    cc = _route_addresses(settings, args.address_type, args.cc)
    bcc = _route_addresses(settings, args.address_type, args.bcc)
    subject, body = for_document(info, settings, customer_name=customer, contact_name=contact)
    if args.subject:
        subject = args.subject
    if args.body_file:
        try:
            body = args.body_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpoolviewError(f"cannot read the body file {args.body_file} ({exc.strerror or exc}): check the path") from None
        except UnicodeDecodeError:
            raise SpoolviewError(f"the body file {args.body_file} is not UTF-8 text: save it as UTF-8") from None
    attachment = _attachment(doc, settings, args, _password(args))
    sender, warning = _sender(settings, args.sender)
    if warning:
        _warn(warning)
    document = " ".join(part for part in (info.kind, info.number) if part) or Path(args.file).resolve().name
    spec = MailSpec(to=to, subject=subject, body=body, cc=cc, bcc=bcc, attachments=[attachment], sender=sender, document_id=document)
    composed = _compose(spec, settings)
    outbox = _outbox(settings, via_server=args.via_server)
    previous = outbox.already_sent(document, composed.envelope.recipients)
    if previous and not args.force:
        for entry in previous:
            _warn(f"already sent: {entry.describe()} — sending again (use --force to silence this)")
    if args.dry_run:
        from viewer.mail.routes.select import describe

        print("dry run: nothing sent")
        print(f"route: {describe(outbox.route)}")
        print(f"from: {composed.envelope.sender}")
        print(f"to: {', '.join(composed.envelope.recipients)}")
        print(f"subject: {subject}")
        print(f"attachment: {attachment.filename} ({len(attachment.data)} bytes); message {len(composed.raw)} bytes")
        return EXIT_OK
    with outbox:
        outcome = outbox.send(composed, subject=subject, document=document, address_type=args.address_type)
    return _report(outbox, outcome, duplicates=False)  # warned above (or --force)


# -- test-mail ----------------------------------------------------------------------------


def cmd_test_mail(args: argparse.Namespace) -> int:
    from viewer.mail.compose import Attachment, MailSpec

    settings = _settings()
    to = _route_addresses(settings, args.address_type, args.to)
    attachments = []
    for path in args.attach:
        try:
            attachments.append(Attachment(path.name, path.read_bytes(), "application/octet-stream"))
        except OSError as exc:
            raise SpoolviewError(f"cannot read the attachment {path}: {exc.strerror}") from None
    sender, warning = _sender(settings, args.sender)
    if warning:
        _warn(warning)
    composed = _compose(MailSpec(to=to, subject=args.subject, body=args.body, attachments=attachments, sender=sender), settings)
    outbox = _outbox(settings)
    with outbox:
        outcome = outbox.send(composed, subject=args.subject, address_type=args.address_type)
    return _report(outbox, outcome)


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
