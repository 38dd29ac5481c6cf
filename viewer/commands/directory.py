"""`spoolview directory import|list|show|lookup`: the customer/contact directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from viewer import settings as S
from viewer.directory import ADDRESS_TYPES_HELP, Directory, open_directory
from viewer.directory_rules import Lookup
from viewer.errors import SpoolviewError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("directory", help="import, list and show customers and contacts")
    sub = parser.add_subparsers(dest="directory_command", metavar="ACTION", required=True)

    p = sub.add_parser("import", help="import customers (and contacts) from CSV files; all rows or none")
    p.add_argument("customers", type=Path, help="CSV of customers: code;name;email;email2;fax;fax2;default_<kind>")
    p.add_argument("contacts", type=Path, nargs="?", help="CSV of contacts: code;customer;name;email;fax")
    p.add_argument("--replace", action="store_true", help="empty the directory first")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("list", help="list customers, or customers and contacts matching a prefix")
    p.add_argument("--search", "-s", metavar="TEXT", help="code, name, word of the name or e-mail prefix")
    p.add_argument("--limit", "-n", type=int, default=100, help="at most this many lines (default 100)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show one customer (with its contacts) or one contact")
    p.add_argument("code")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("lookup", help="which address a document for this customer/contact goes to (L1)")
    p.add_argument("customer", nargs="?", default="", help="customer code")
    p.add_argument("--contact", default="", help="contact code of the document")
    p.add_argument("--kind", default="", help="document kind: devis, facture, ...")
    p.add_argument("--type", default="EMAIL", help=ADDRESS_TYPES_HELP)
    p.set_defaults(func=cmd_lookup)


def _open() -> Directory:
    return open_directory(S.load())


def _language() -> str:
    """fr or en, as every command: the interface language setting, else the locale's."""
    from viewer.cli import language

    return language()


def cmd_import(args: argparse.Namespace) -> int:
    from viewer.messages import counted, text

    lang = _language()
    with _open() as directory:
        report = directory.import_csv(args.customers, args.contacts, replace=args.replace)
        if not report.ok:
            for error in report.errors:
                print(error, file=sys.stderr)
            print(text(lang, "cli.error", detail=text(lang, "directory.import.nothing")), file=sys.stderr)
            return 1
        print(text(
            lang, "directory.import.done",
            customers=counted(lang, "directory.count.customers", report.customers), customers_new=report.customers_new,
            contacts=counted(lang, "directory.count.contacts", report.contacts), contacts_new=report.contacts_new,
            total_customers=counted(lang, "directory.count.customers", directory.count()),
            total_contacts=counted(lang, "directory.count.contacts", directory.count("contact")),
        ))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from viewer.messages import counted, text

    lang = _language()
    with _open() as directory:
        if args.search:
            entries = directory.search(args.search, limit=args.limit)
            for e in entries:
                owner = f"  [{e.customer_code}]" if e.kind == "contact" else ""
                print(f"{text(lang, f'directory.kind.{e.kind}'):<8}  {e.code:<12}  {e.name:<40}  {e.email}{owner}")
            if not entries:
                print(text(lang, "directory.list.no_match", search=args.search), file=sys.stderr)
            return 0
        items = directory.customers(limit=args.limit)
        for c in items:
            print(f"{c.code:<12}  {c.name:<40}  {c.email}")
        total = directory.count()
        if not items:
            print(text(lang, "directory.list.empty"), file=sys.stderr)
        elif total > len(items):
            print(counted(lang, "directory.list.more", total - len(items)), file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from viewer.messages import text

    lang = _language()
    kind = {k: text(lang, f"directory.kind.{k}") for k in ("customer", "contact")}
    with _open() as directory:
        customer = directory.customer(args.code)
        if customer is not None:
            print(f"{kind['customer']}  {customer.code}  {customer.name}")
            for label in ("email", "email2", "fax", "fax2"):
                print(text(lang, "directory.show.field", label=label, value=getattr(customer, label) or "-"))
            for document_kind, address in sorted(customer.defaults.items()):
                print(text(lang, "directory.show.default", kind=document_kind, address=address))
            for each in directory.contacts_of(customer.code):
                print(f"  {kind['contact']}  {each.code}  {each.name}  {each.email or '-'}  {each.fax}".rstrip())
            return 0
        contact = directory.contact(args.code)
        if contact is None:
            raise SpoolviewError(
                f"no customer or contact {args.code} in the directory; find codes with `spoolview directory list --search TEXT`",
                msgid="directory.show.unknown", params={"code": args.code},
            )
        owner = directory.customer(contact.customer_code)
        print(f"{kind['contact']}  {contact.code}  {contact.name}")
        print(f"  {kind['customer']:<8} {contact.customer_code}  {owner.name if owner else ''}".rstrip())
        print(text(lang, "directory.show.field", label="email", value=contact.email or "-"))
        print(text(lang, "directory.show.field", label="fax", value=contact.fax or "-"))
    return 0


def cmd_lookup(args: argparse.Namespace) -> int:
    from formats.document import DocInfo
    from viewer.messages import text

    with _open() as directory:
        result = directory.lookup(DocInfo(kind=args.kind, customer=args.customer, contact=args.contact), args.type)
    lang = _language()
    if not result.found:
        raise SpoolviewError(result.message, msgid=result.msgid, params=_lookup_fields(lang, result))
    print(text(lang, "directory.lookup.found", address=result.address,
               source=text(lang, f"directory.source.{result.source}"), name=result.name))
    if result.message:
        print(text(lang, result.msgid, **_lookup_fields(lang, result)) if result.msgid else result.message, file=sys.stderr)
    return 0


def _lookup_fields(lang: str, result: Lookup) -> dict[str, object]:
    """The fields of the look-up's message in ``lang``: the kind of address asked for and the note it starts with."""
    from viewer.messages import text

    kind = result.address_type.lower()
    fields: dict[str, object] = {**result.params, "the_what": text(lang, f"directory.what.{kind}.the"),
                                 "no_what": text(lang, f"directory.what.{kind}.no")}
    if result.params.get("note"):
        fields["note"] = text(lang, result.params["note"], **fields)
    return fields
