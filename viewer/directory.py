"""The customer/contact directory (SQLAlchemy; a SQLite file by default): reading, writing, CSV import.

Its records and rule L1 live in viewer/directory_rules.py (re-exported here).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import BindParameter

from viewer import paths
from viewer.directory_rules import (
    TOP,
    Contact,
    Customer,
    DirectoryError,
    Entry,
    Lookup,
    add_ranked,
    fold,
    lookup,
    words,
)
from viewer.fsutil import private_file

if TYPE_CHECKING:
    from formats.document import DocInfo
    from viewer.settings import Settings

__all__ = [
    "Contact",
    "Customer",
    "Directory",
    "DirectoryError",
    "Entry",
    "ImportReport",
    "Lookup",
    "default_url",
    "fold",
    "lookup",
    "words",
    "open_directory",
    "safe_url",
]

ADDRESS_TYPES_HELP = "address type: EMAIL, EMAIL2, FAX or FAX2 (default EMAIL)"

metadata = MetaData()
customers = Table(
    "customers",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False, default=""),
    Column("email2", String(320), nullable=False, default=""),
    Column("fax", String(64), nullable=False, default=""),
    Column("fax2", String(64), nullable=False, default=""),
    # Folded copies (lower case, no accents) for indexed prefix search.
    Column("code_key", String(64), nullable=False, index=True),
    Column("name_key", String(200), nullable=False, index=True),
    Column("email_key", String(320), nullable=False, index=True),
)
customer_defaults = Table(
    "customer_defaults",
    metadata,
    Column("customer_code", String(64), ForeignKey("customers.code", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(64), primary_key=True),  # folded document kind: devis, facture, ...
    Column("address", String(320), nullable=False),
)
contacts = Table(
    "contacts",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("customer_code", String(64), ForeignKey("customers.code", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False, default=""),
    Column("fax", String(64), nullable=False, default=""),
    Column("code_key", String(64), nullable=False, index=True),
    Column("name_key", String(200), nullable=False, index=True),
    Column("email_key", String(320), nullable=False, index=True),
)
# Every word of every name, so "kowalski" finds "Brasserie Kowalski & Fils".
name_words = Table(
    "name_words",
    metadata,
    Column("word", String(200), nullable=False),
    Column("kind", String(8), nullable=False),  # customer | contact
    Column("code", String(64), nullable=False),
    Index("ix_name_words_kind_word", "kind", "word"),
    Index("ix_name_words_code", "kind", "code"),
)


@dataclass
class ImportReport:
    """What an import did, or the bad rows ("file:line: problem") when it did nothing."""

    customers: int = 0
    contacts: int = 0
    customers_new: int = 0
    contacts_new: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def default_url() -> str:
    """The SQLite file in the user data folder."""
    folder = paths.ensure_private_dir(paths.data_dir())
    return f"sqlite:///{folder / 'directory.sqlite'}"


def safe_url(url: str) -> str:
    """A database URL as it may be shown: without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - unparsable: show only the scheme
        return url.split(":", 1)[0] + ":..."


def _engine_options(url: str) -> dict[str, Any]:
    """An in-memory SQLite database is shared by every thread (tests, a server in-process)."""
    if url in ("sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://"):
        from sqlalchemy.pool import StaticPool

        return {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    return {}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets searches run while an import is writing (file databases only).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _private_sqlite_file(database: str | None, *, tighten: bool) -> None:
    """Create a new SQLite file 0600 before SQLite does (it follows the umask); tighten our default one."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        if tighten or not path.exists():
            private_file(path)
    except OSError:
        pass  # SQLite reports a folder it cannot write in with its own words below


class Directory:
    """The customer/contact directory. Returns plain dataclasses, never ORM rows."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        try:
            self.engine: Engine = create_engine(self.url, **_engine_options(self.url))
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise DirectoryError(
                f"directory database {safe_url(self.url)!r} cannot be used ({type(exc).__name__});"
                " check directory.database_url (for example sqlite:////path/directory.sqlite)"
            ) from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            _private_sqlite_file(self.engine.url.database, tighten=not url)
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            raise DirectoryError(
                f"directory database {safe_url(self.url)} cannot be opened ({type(exc).__name__}: {exc.orig if hasattr(exc, 'orig') else exc});"
                " check directory.database_url and that its folder is writable"
            ) from None

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[Any]:
        """A connection (a transaction when ``write``); database failures become DirectoryError."""
        try:
            with self.engine.begin() if write else self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            raise DirectoryError(
                f"directory database {safe_url(self.url)} failed ({type(reason).__name__}: {reason})"
                + ("; nothing was saved" if write else "")
                + "; check the database (directory.database_url) and try again"
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Directory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ----------------------------------------------------------------------

    def customer(self, code: str) -> Customer | None:
        with self._connection() as conn:
            row = conn.execute(select(customers).where(customers.c.code == code)).mappings().first()
            if row is None:
                return None
            defaults = conn.execute(
                select(customer_defaults.c.kind, customer_defaults.c.address)
                .where(customer_defaults.c.customer_code == code)
                .order_by(customer_defaults.c.kind)
            ).all()
        return _customer(row, {kind: address for kind, address in defaults})

    def contact(self, code: str) -> Contact | None:
        with self._connection() as conn:
            row = conn.execute(select(contacts).where(contacts.c.code == code)).mappings().first()
        return _contact(row) if row else None

    def contacts_of(self, customer_code: str) -> list[Contact]:
        with self._connection() as conn:
            rows = conn.execute(
                select(contacts).where(contacts.c.customer_code == customer_code).order_by(contacts.c.name_key)
            ).mappings()
            return [_contact(row) for row in rows]

    def customers(self, offset: int = 0, limit: int = 100) -> list[Customer]:
        """Customers ordered by code, without their per-kind defaults (see ``customer()``)."""
        with self._connection() as conn:
            rows = conn.execute(select(customers).order_by(customers.c.code).offset(offset).limit(limit)).mappings()
            return [_customer(row, {}) for row in rows]

    def count(self, kind: str = "customer") -> int:
        """Number of customers (or contacts with ``kind="contact"``)."""
        table = {"customer": customers, "contact": contacts}[kind]
        with self._connection() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def search(self, text: str, limit: int = 20) -> list[Entry]:
        """Customers and contacts whose code, name, a word of the name or e-mail starts with ``text``."""
        key = fold(text)
        if not key or limit <= 0:
            return []
        found: dict[tuple[str, str], tuple[tuple[int, int, str], Entry]] = {}
        with self._connection() as conn:
            for row in conn.execute(_search_statement(), {"key": key, "high": key + TOP, "lim": limit}):
                add_ranked(found, row[0], row[1:], key)
        ranked = sorted(found.values(), key=lambda item: item[0])
        return [entry for _rank, entry in ranked[:limit]]

    # --- lookup L1 -----------------------------------------------------------------------

    def lookup(self, info: DocInfo, address_type: str = "EMAIL") -> Lookup:
        """Rule L1 (viewer/directory_rules.lookup) against this directory."""
        return lookup(self, info, address_type)

    # --- writing -------------------------------------------------------------------------

    def save_customer(self, customer: Customer) -> None:
        """Create or replace one customer (and its per-kind defaults); its contacts stay."""
        with self._connection(write=True) as conn:
            _upsert(conn, customers, "customer", [_customer_row(customer)])
            _replace_defaults(conn, [customer])

    def save_contact(self, contact: Contact) -> None:
        """Create or replace one contact; its customer must exist."""
        if self.customer(contact.customer_code) is None:
            raise DirectoryError(f"customer {contact.customer_code} does not exist; add it before its contacts")
        with self._connection(write=True) as conn:
            _upsert(conn, contacts, "contact", [_contact_row(contact)])

    def delete_customer(self, code: str) -> bool:
        """Remove a customer with its contacts and defaults; False when it did not exist."""
        with self._connection(write=True) as conn:
            contact_codes = [c for (c,) in conn.execute(select(contacts.c.code).where(contacts.c.customer_code == code))]
            conn.execute(delete(name_words).where(and_(name_words.c.kind == "contact", name_words.c.code.in_(contact_codes))))
            conn.execute(delete(name_words).where(and_(name_words.c.kind == "customer", name_words.c.code == code)))
            conn.execute(delete(contacts).where(contacts.c.customer_code == code))
            conn.execute(delete(customer_defaults).where(customer_defaults.c.customer_code == code))
            return conn.execute(delete(customers).where(customers.c.code == code)).rowcount > 0

    def import_csv(self, customers_csv: Path, contacts_csv: Path | None = None, replace: bool = False) -> ImportReport:
        """Validate every row of both files, then import all of them in one transaction, or
        nothing when any row is bad (``report.errors`` then lists "file:line: problem")."""
        parsed_customers, errors = read_customers_csv(Path(customers_csv))
        parsed_contacts: list[Contact] = []
        if contacts_csv is not None:
            known = {c.code for c in parsed_customers}
            exists = None if replace else self._has_customer
            parsed_contacts, contact_errors = read_contacts_csv(Path(contacts_csv), known, exists)
            errors += contact_errors
        if errors:
            return ImportReport(errors=errors)
        report = ImportReport(customers=len(parsed_customers), contacts=len(parsed_contacts))
        with self._connection(write=True) as conn:
            if replace:
                for table in (name_words, contacts, customer_defaults, customers):
                    conn.execute(delete(table))
            report.customers_new = _upsert(conn, customers, "customer", [_customer_row(c) for c in parsed_customers])
            _replace_defaults(conn, parsed_customers)
            report.contacts_new = _upsert(conn, contacts, "contact", [_contact_row(c) for c in parsed_contacts])
        return report

    def _has_customer(self, code: str) -> bool:
        with self._connection() as conn:
            return conn.execute(select(customers.c.code).where(customers.c.code == code)).first() is not None


def open_directory(settings: Settings | None = None) -> Directory:
    """The directory the settings point at (default: the SQLite file in the data folder)."""
    url = settings.directory.database_url if settings is not None else ""
    return Directory(url or None)


# --- helpers -----------------------------------------------------------------------------


_SEARCH: Any = None


def _search_statement() -> Any:
    """One UNION ALL of indexed prefix ranges (code, name, e-mail, name words) over both
    tables, built once so SQLAlchemy compiles it once; parameters key, high and lim."""
    global _SEARCH
    if _SEARCH is not None:
        return _SEARCH
    key: BindParameter[str] = bindparam("key")
    high: BindParameter[str] = bindparam("high")
    lim: BindParameter[int] = bindparam("lim")
    parts = []
    for kind, table in (("customer", customers), ("contact", contacts)):
        owner = table.c.code if kind == "customer" else table.c.customer_code
        cols = [literal(kind).label("kind"), table.c.code, table.c.name, table.c.email, table.c.code_key,
                table.c.name_key, owner.label("customer_code")]
        for column in (table.c.code_key, table.c.name_key, table.c.email_key):
            ranged = select(*cols).where(column >= key, column < high).order_by(column).limit(lim)
            parts.append(select(ranged.subquery()))
        word_codes = (
            select(name_words.c.code)
            .where(name_words.c.kind == kind, name_words.c.word >= key, name_words.c.word < high)
            .order_by(name_words.c.word)
            .limit(lim)
        )
        parts.append(select(*cols).where(table.c.code.in_(word_codes)))
    _SEARCH = union_all(*parts)
    return _SEARCH


def _customer(row: Any, defaults: dict[str, str]) -> Customer:
    return Customer(row["code"], row["name"], row["email"], row["email2"], row["fax"], row["fax2"], defaults)


def _contact(row: Any) -> Contact:
    return Contact(row["code"], row["customer_code"], row["name"], row["email"], row["fax"])


def _keys(code: str, name: str, email: str) -> dict[str, str]:
    return {"code_key": fold(code), "name_key": fold(name), "email_key": fold(email)}


def _customer_row(c: Customer) -> dict[str, str]:
    return {"code": c.code, "name": c.name, "email": c.email, "email2": c.email2, "fax": c.fax, "fax2": c.fax2,
            **_keys(c.code, c.name, c.email)}


def _contact_row(c: Contact) -> dict[str, str]:
    return {"code": c.code, "customer_code": c.customer_code, "name": c.name, "email": c.email, "fax": c.fax,
            **_keys(c.code, c.name, c.email)}


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert(conn: Any, table: Table, kind: str, rows: list[dict[str, str]]) -> int:
    """Insert new rows, update existing ones (portable: no dialect-specific upsert); returns
    the number of new rows. Also refreshes the name words of every row."""
    if not rows:
        return 0
    existing: set[str] = set()
    for chunk in _chunks([r["code"] for r in rows]):
        existing.update(c for (c,) in conn.execute(select(table.c.code).where(table.c.code.in_(chunk))))
    new = [r for r in rows if r["code"] not in existing]
    old = [r for r in rows if r["code"] in existing]
    if new:
        conn.execute(insert(table), new)
    if old:
        values: dict[str, BindParameter[Any]] = {k: bindparam(f"v_{k}") for k in rows[0] if k != "code"}
        statement = update(table).where(table.c.code == bindparam("v_code")).values(**values)
        conn.execute(statement, [{f"v_{k}": v for k, v in r.items()} for r in old])
        for chunk in _chunks(sorted(existing)):
            conn.execute(delete(name_words).where(and_(name_words.c.kind == kind, name_words.c.code.in_(chunk))))
    word_rows = [{"word": w, "kind": kind, "code": r["code"]} for r in rows for w in words(r["name"])]
    if word_rows:
        conn.execute(insert(name_words), word_rows)
    return len(new)


def _replace_defaults(conn: Any, items: list[Customer]) -> None:
    for chunk in _chunks([c.code for c in items]):
        conn.execute(delete(customer_defaults).where(customer_defaults.c.customer_code.in_(chunk)))
    rows = [
        {"customer_code": c.code, "kind": fold(kind), "address": address}
        for c in items
        for kind, address in c.defaults.items()
        if address
    ]
    if rows:
        conn.execute(insert(customer_defaults), rows)


# --- CSV files -----------------------------------------------------------------------------

CUSTOMER_HEADERS = ("code", "name", "email", "email2", "fax", "fax2")  # + default_<kind>
CONTACT_HEADERS = ("code", "customer", "name", "email", "fax")
HEADER_ALIASES = {"customer_code": "customer", "nom": "name", "e-mail": "email", "mail": "email"}
MAX_ERRORS = 200
_EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[\w-]+(\.[\w-]+)+$")
_FAX_RE = re.compile(r"^[0-9+()./ -]+$")
_CODE_RE = re.compile(r"^[^\s\x00-\x1f]{1,64}$")


def valid_email(address: str) -> bool:
    """A plain address check: one @, no spaces or brackets, a dotted domain."""
    local = address.split("@", 1)[0]
    return bool(_EMAIL_RE.match(address)) and not local.startswith(".") and not local.endswith(".") and ".." not in address


def valid_fax(number: str) -> bool:
    return bool(_FAX_RE.match(number)) and sum(c.isdigit() for c in number) >= 3


def _rows(path: Path, required: tuple[str, ...], allowed: Callable[[str], bool]) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[str]]:
    """Header, rows (line number, column -> stripped value) and errors of a CSV file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [], [f"{path}: cannot be read ({exc.strerror or exc})"]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [], [f"{path}:{line}: not UTF-8 text; save the file as CSV UTF-8"]
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        return [], [], [f"{path}: the file is empty; the first line must name the columns"]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[str] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            line = reader.line_num
            if not header:
                header = [HEADER_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in cells]
                for name in header:
                    if not allowed(name):
                        errors.append(f"{path}:{line}: unknown column {name!r}; expected: {', '.join(required)}")
                dupes = sorted({n for n in header if header.count(n) > 1})
                if dupes:
                    errors.append(f"{path}:{line}: column {dupes[0]!r} appears twice")
                missing = [n for n in required if n not in header]
                if missing:
                    errors.append(f"{path}:{line}: missing column(s) {', '.join(missing)} (separator {delimiter!r} was detected)")
                if errors:
                    return header, [], errors
                continue
            if len(cells) != len(header):
                errors.append(f"{path}:{line}: {len(cells)} fields, expected {len(header)}; check the separators and quotes")
                continue
            rows.append((line, {name: value.strip() for name, value in zip(header, cells, strict=True)}))
    except csv.Error as exc:
        errors.append(f"{path}:{reader.line_num}: unreadable CSV ({exc})")
    return header, rows, errors


def _check_common(path: Path, line: int, row: dict[str, str], seen: dict[str, int], what: str) -> list[str]:
    errors = []
    code = row["code"]
    if not code:
        errors.append(f"{path}:{line}: the {what} code is empty")
    elif not _CODE_RE.match(code):
        errors.append(f"{path}:{line}: {what} code {code!r} must be 1 to 64 characters without spaces")
    elif code in seen:
        errors.append(f"{path}:{line}: {what} code {code} is already on line {seen[code]}")
    else:
        seen[code] = line
    if not row["name"]:
        errors.append(f"{path}:{line}: {what} {code}: the name is empty")
    elif len(row["name"]) > 200:
        errors.append(f"{path}:{line}: {what} {code}: the name is longer than 200 characters")
    for name, value in row.items():
        if not value:
            continue
        if (name.startswith("email") or name.startswith("default_")) and not valid_email(value):
            errors.append(f"{path}:{line}: {what} {code}: {name} {value!r} is not an e-mail address")
        elif name.startswith("fax") and not valid_fax(value):
            errors.append(f"{path}:{line}: {what} {code}: {name} {value!r} is not a fax number")
    return errors


def _line_number(error: str) -> int:
    match = re.search(r":(\d+): ", error)
    return int(match.group(1)) if match else 0


def _limit(errors: list[str]) -> list[str]:
    """Errors in line order (stable), at most MAX_ERRORS of them."""
    errors = sorted(errors, key=_line_number)
    if len(errors) <= MAX_ERRORS:
        return errors
    return errors[:MAX_ERRORS] + [f"... and {len(errors) - MAX_ERRORS} more problem(s)"]


def read_customers_csv(path: Path) -> tuple[list[Customer], list[str]]:
    """Customers of a CSV file (columns code, name, email, email2, fax, fax2, default_<kind>)."""
    _header, rows, errors = _rows(path, ("code", "name"), lambda n: n in CUSTOMER_HEADERS or (n.startswith("default_") and len(n) > 8))
    seen: dict[str, int] = {}
    result = []
    for line, row in rows:
        errors += _check_common(path, line, row, seen, "customer")
        defaults = {n[len("default_"):]: v for n, v in row.items() if n.startswith("default_") and v}
        result.append(Customer(row["code"], row["name"], row.get("email", ""), row.get("email2", ""),
                               row.get("fax", ""), row.get("fax2", ""), defaults))
    return result, _limit(errors)


def read_contacts_csv(path: Path, known: set[str], exists: Callable[[str], bool] | None = None) -> tuple[list[Contact], list[str]]:
    """Contacts of a CSV file (columns code, customer, name, email, fax); the customer must be
    in ``known`` (the customers file) or, when ``exists`` is given, already in the directory."""
    _header, rows, errors = _rows(path, ("code", "customer", "name"), lambda n: n in CONTACT_HEADERS)
    seen: dict[str, int] = {}
    result = []
    for line, row in rows:
        errors += _check_common(path, line, row, seen, "contact")
        customer = row["customer"]
        if not customer:
            errors.append(f"{path}:{line}: contact {row['code']}: the customer code is empty")
        elif customer not in known and not (exists and exists(customer)):
            errors.append(f"{path}:{line}: contact {row['code']}: unknown customer {customer}")
        result.append(Contact(row["code"], customer, row["name"], row.get("email", ""), row.get("fax", "")))
    return result, _limit(errors)
