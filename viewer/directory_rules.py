"""The directory's records, search keys and ranking, and rule L1, without a database engine.

Shared by the SQLAlchemy directory (viewer/directory.py) and the light sqlite3 reader of
the send path (viewer/directory_sqlite.py), so both answer with the same records, rank
search results the same way and apply L1 in one place.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import TYPE_CHECKING, Any, Protocol

from viewer.errors import SpoolviewError
from viewer.records import record

if TYPE_CHECKING:
    from formats.document import DocInfo

__all__ = [
    "CONTACT_COLUMNS",
    "CUSTOMER_COLUMNS",
    "TOP",
    "Contact",
    "Customer",
    "DirectoryError",
    "Entry",
    "Lookup",
    "Reader",
    "add_ranked",
    "fold",
    "lookup",
    "words",
]

# Address type (S3) -> column of the customer record, and of the contact record.
CUSTOMER_COLUMNS = {"EMAIL": "email", "EMAIL2": "email2", "FAX": "fax", "FAX2": "fax2"}
CONTACT_COLUMNS = {"EMAIL": "email", "FAX": "fax"}
TOP = "\U0010ffff"  # sorts after every character: [key, key + TOP) is a prefix range


class DirectoryError(SpoolviewError):
    """The directory cannot be opened or queried; says which database and what to do."""


@record
class Customer:
    """A customer of the directory (a docstring spares @record dataclasses' inspect.signature and tokenize)."""

    code: str
    name: str
    email: str = ""
    email2: str = ""
    fax: str = ""
    fax2: str = ""
    defaults: dict[str, str] = field(default_factory=dict)  # document kind -> e-mail address


@record
class Contact:
    """A contact person of a customer, with the addresses of each type."""

    code: str
    customer_code: str
    name: str
    email: str = ""
    fax: str = ""


@record
class Entry:
    """One search result, for address completion and the records window."""

    kind: str  # customer | contact
    code: str
    name: str
    email: str
    customer_code: str


@record
class Lookup:
    """Outcome of L1: the address to use, where it came from, or why there is none."""

    address: str = ""
    name: str = ""
    source: str = "none"  # contact | default | main | none
    customer_code: str = ""
    contact_code: str = ""
    message: str = ""  # shown to the user: why there is no address, or a fallback note
    found: bool = False
    address_type: str = "EMAIL"
    msgid: str = ""  # the catalogue key of ``message`` (viewer/locale: directory.lookup.*), '' for none
    params: dict[str, str] = field(default_factory=dict)  # its fields; "note" is the key of the note it starts with


class Reader(Protocol):
    """What the send job asks a directory (the SQLAlchemy one or the sqlite3 reader)."""

    def customer(self, code: str) -> Customer | None: ...
    def contact(self, code: str) -> Contact | None: ...
    def contacts_of(self, customer_code: str) -> list[Contact]: ...
    def search(self, text: str, limit: int = 20) -> list[Entry]: ...
    def lookup(self, info: DocInfo, address_type: str = "EMAIL") -> Lookup: ...
    def close(self) -> None: ...
    def __enter__(self) -> Reader: ...
    def __exit__(self, *exc: object) -> None: ...


_LETTERS = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ı": "i", "ħ": "h", "Ħ": "h"})
# Patterns compiled on first use (re's cache): a send whose names are plain ASCII compiles neither.
_COMBINING = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
_WORD = r"[^\W_]+"


def fold(text: str) -> str:
    """Search key: lower case, accents removed, spaces collapsed ("Élodie  M" -> "elodie m")."""
    if not text.isascii():
        import unicodedata

        text = re.sub(_COMBINING, "", unicodedata.normalize("NFKD", text.translate(_LETTERS)))
    return " ".join(text.casefold().split())


def words(text: str) -> set[str]:
    """The folded words of a name, for word-prefix search."""
    return set(re.findall(_WORD, fold(text)))


def add_ranked(found: dict[tuple[str, str], tuple[tuple[int, int, str], Entry]], kind: str, row: Any, key: str) -> None:
    """One search row (code, name, email, code_key, name_key, customer_code) into ``found``, ranked:
    exact code first, customers before contacts; by code for a code prefix, else by name."""
    code, name, email, code_key, name_key, customer_code = row
    if (kind, code) in found:
        return
    rank = (0 if code_key == key else 1, 0 if kind == "customer" else 1, code_key if code_key.startswith(key) else name_key)
    found[(kind, code)] = (rank, Entry(kind, code, name, email, customer_code))


def lookup(directory: Reader, info: DocInfo, address_type: str = "EMAIL") -> Lookup:
    """Rule L1: the address for the document: its contact's, else the customer's default for
    the document kind (e-mail only), else the customer's main address of that type."""
    address_type = address_type.upper()
    if address_type not in CUSTOMER_COLUMNS:
        raise DirectoryError(f"unknown address type {address_type!r}; use one of: {', '.join(CUSTOMER_COLUMNS)}",
                             msgid="directory.lookup.unknown_type",
                             params={"type": address_type, "types": ", ".join(CUSTOMER_COLUMNS)})
    what = "fax number" if address_type.startswith("FAX") else "e-mail address"
    if address_type.endswith("2"):
        what = f"second {what}"
    result = Lookup(customer_code=info.customer, contact_code=info.contact, address_type=address_type)
    note = ""
    params = {"note": ""}
    contact = directory.contact(info.contact) if info.contact else None
    if info.contact and contact is None:
        note = f"Contact {info.contact} is not in the directory"
        params = {"note": "directory.lookup.note.contact_unknown", "contact": info.contact}
    if contact is not None and info.customer and contact.customer_code != info.customer:
        # Never send one customer's document to another customer's contact.
        result.message = (
            f"Contact {contact.code} ({contact.name}) belongs to customer {contact.customer_code}, not to"
            f" {info.customer} named by the document: check the document or type the {what}."
        )
        result.msgid, result.params = "directory.lookup.other_customer", {
            "contact": contact.code, "contact_name": contact.name, "owner": contact.customer_code, "customer": info.customer}
        return result
    if contact is not None:
        result.customer_code = result.customer_code or contact.customer_code
        column = CONTACT_COLUMNS.get(address_type)
        address = _contact_address(contact, column)
        if address:
            return _found(result, address, contact.name, "contact")
        note = f"Contact {contact.code} ({contact.name}) has no {what}"
        params = {"note": "directory.lookup.note.contact_no_address", "contact": contact.code, "contact_name": contact.name}
    if not result.customer_code:
        start = f"{note} and the document" if note else "The document"
        result.message = f"{start} names no customer: type the {what}."
        result.msgid, result.params = "directory.lookup.no_customer_note" if note else "directory.lookup.no_customer", params
        return result
    customer = directory.customer(result.customer_code)
    if customer is None:
        result.message = (
            f"Customer {result.customer_code} is not in the directory: type the {what}"
            " or import the directory (spoolview directory import)."
        )
        result.msgid, result.params = "directory.lookup.unknown_customer", {"customer": result.customer_code}
        return result
    result.name = customer.name
    if address_type == "EMAIL" and info.kind:
        address = customer.defaults.get(fold(info.kind), "")
        if address:
            return _found(result, address, customer.name, "default", note, params)
    address = _customer_address(customer, CUSTOMER_COLUMNS[address_type])
    if address:
        return _found(result, address, customer.name, "main", note, params)
    result.message = f"Customer {customer.code} ({customer.name}) has no {what}: type one or add it to the directory."
    result.msgid, result.params = "directory.lookup.no_address", {**params, "customer": customer.code, "name": customer.name}
    if note:
        result.message = (
            f"{note} and customer {customer.code} ({customer.name}) has none either:"
            " type one or add it to the directory."
        )
        result.msgid = "directory.lookup.no_address_note"
    return result


def _contact_address(contact: Contact, column: str | None) -> str:
    return {"email": contact.email, "fax": contact.fax}.get(column or "", "")


def _customer_address(customer: Customer, column: str) -> str:
    return {"email": customer.email, "email2": customer.email2, "fax": customer.fax, "fax2": customer.fax2}[column]


def _found(result: Lookup, address: str, name: str, source: str, note: str = "", params: dict[str, str] | None = None) -> Lookup:
    message = f"{note}: the customer's address is used." if note else ""
    if note:
        result.msgid, result.params = "directory.lookup.customer_used", params or {}
    result.address, result.name, result.source, result.found, result.message = address, name, source, True, message
    return result
