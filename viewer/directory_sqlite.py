"""Read-only questions to a SQLite directory file through the standard sqlite3 module.

The send path asks the directory two or three questions (the customer's name, who owns a
recipient's address, rule L1); answering them through SQLAlchemy cost ~170 ms of imports
per `spoolview send`. ``open_reader`` answers from the file with sqlite3 when the
directory is a SQLite file that exists with its tables, and falls back to the SQLAlchemy
directory otherwise (another database, a file still to create), so every error and every
side effect of opening stays the directory's own. Same records, same ranking, same L1
(viewer/directory_rules.py); tests/viewer/test_directory_sqlite.py checks the answers
against the SQLAlchemy directory.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from viewer import paths
from viewer.directory_rules import (
    TOP,
    Contact,
    Customer,
    DirectoryError,
    Entry,
    Lookup,
    Reader,
    add_ranked,
    fold,
    lookup,
)

if TYPE_CHECKING:
    from formats.document import DocInfo
    from viewer.settings import Settings

__all__ = ["SqliteReader", "open_reader", "sqlite_file"]

TABLES = {"customers", "customer_defaults", "contacts", "name_words"}
_SQLITE_URL = re.compile(r"sqlite(\+pysqlite)?:///(?P<path>[^?%]+)")
_COLUMNS = "code, name, email, code_key, name_key"


def _search_sql() -> str:
    """The SQLAlchemy directory's search (viewer/directory._search_statement) written out:
    one UNION ALL of indexed prefix ranges over both tables; parameters key, high, lim."""
    parts = []
    for kind, table, owner in (("customer", "customers", "code"), ("contact", "contacts", "customer_code")):
        cols = f"'{kind}' AS kind, {_COLUMNS}, {owner} AS customer_code"
        for column in ("code_key", "name_key", "email_key"):
            parts.append(f"SELECT * FROM (SELECT {cols} FROM {table} WHERE {column} >= :key AND {column} < :high"
                         f" ORDER BY {column} LIMIT :lim)")
        parts.append(f"SELECT {cols} FROM {table} WHERE code IN (SELECT code FROM name_words WHERE kind = '{kind}'"
                     " AND word >= :key AND word < :high ORDER BY word LIMIT :lim)")
    return " UNION ALL ".join(parts)


SEARCH_SQL = _search_sql()


def sqlite_file(settings: Settings | None) -> Path | None:
    """The SQLite file the settings' directory URL names (the default file when unset); None for another database."""
    url = settings.directory.database_url if settings is not None else ""
    if not url:
        return paths.data_dir() / "directory.sqlite"
    match = _SQLITE_URL.fullmatch(url)
    if match is None or match["path"] == ":memory:" or match["path"].startswith("file:"):
        return None
    return Path(match["path"])


def open_reader(settings: Settings | None) -> Reader:
    """The sqlite3 reader when the directory is an existing SQLite file with its tables, else the SQLAlchemy directory."""
    path = sqlite_file(settings)
    if path is not None and path.is_file():
        reader = SqliteReader(path)
        if reader.has_tables():
            return reader
        reader.close()
    from viewer.directory import open_directory

    return open_directory(settings)


class SqliteReader:
    """Read-only answers from one SQLite directory file.

    One connection, opened on the first question and kept until ``close()`` (questions from
    several threads take turns), and each customer and contact read once until then: a batch
    asks about the same customer several times per document (L1, its name, the guard), and a
    connection per question cost more than the question. Whoever opens a reader closes it
    (``Lookups.close``, or ``Lookups.forget`` to see the directory's changes).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._uri = f"{self.path.resolve().as_uri()}?mode=ro"
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._customers: dict[str, Customer | None] = {}
        self._contacts: dict[str, Contact | None] = {}

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                try:
                    self._conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
                except sqlite3.Error as exc:
                    raise self._error(exc) from None
                self._conn.row_factory = sqlite3.Row
            try:
                yield self._conn
            except sqlite3.Error as exc:
                self.close()  # the next question opens the file again
                raise self._error(exc) from None

    def _error(self, exc: sqlite3.Error) -> DirectoryError:
        return DirectoryError(f"directory database sqlite:///{self.path} failed ({type(exc).__name__}: {exc});"
                              " check the database (directory.database_url) and try again")

    def has_tables(self) -> bool:
        """Whether the file holds the directory's tables (else the SQLAlchemy directory creates them)."""
        try:
            with self._connection() as conn:
                names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except DirectoryError:
            return False
        return TABLES <= names

    def close(self) -> None:
        """Close the connection and forget what was read (a later question opens the file again)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._customers.clear()
            self._contacts.clear()

    def __enter__(self) -> SqliteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def customer(self, code: str) -> Customer | None:
        if code in self._customers:
            return self._customers[code]
        with self._connection() as conn:
            row = conn.execute("SELECT code, name, email, email2, fax, fax2 FROM customers WHERE code = ?", (code,)).fetchone()
            found = None
            if row is not None:
                defaults = conn.execute("SELECT kind, address FROM customer_defaults WHERE customer_code = ? ORDER BY kind",
                                        (code,)).fetchall()
                found = Customer(row["code"], row["name"], row["email"], row["email2"], row["fax"], row["fax2"],
                                 {kind: address for kind, address in defaults})
            self._customers[code] = found
        return found

    def contact(self, code: str) -> Contact | None:
        if code in self._contacts:
            return self._contacts[code]
        with self._connection() as conn:
            row = conn.execute("SELECT code, customer_code, name, email, fax FROM contacts WHERE code = ?", (code,)).fetchone()
            self._contacts[code] = found = Contact(*row) if row is not None else None
        return found

    def contacts_of(self, customer_code: str) -> list[Contact]:
        with self._connection() as conn:
            rows = conn.execute("SELECT code, customer_code, name, email, fax FROM contacts WHERE customer_code = ?"
                                " ORDER BY name_key", (customer_code,)).fetchall()
        return [Contact(*row) for row in rows]

    def search(self, text: str, limit: int = 20) -> list[Entry]:
        """Customers and contacts whose code, name, a word of the name or e-mail starts with ``text``."""
        key = fold(text)
        if not key or limit <= 0:
            return []
        found: dict[tuple[str, str], tuple[tuple[int, int, str], Entry]] = {}
        with self._connection() as conn:
            for row in conn.execute(SEARCH_SQL, {"key": key, "high": key + TOP, "lim": limit}):
                add_ranked(found, row[0], tuple(row[1:]), key)
        ranked = sorted(found.values(), key=lambda item: item[0])
        return [entry for _rank, entry in ranked[:limit]]

    def owners(self, address: str) -> list[str]:
        """The codes of the customers whose record or one of whose contacts has exactly this e-mail
        address (what ``Lookups.owners`` finds through ``search``, in one indexed question)."""
        bare = address.strip().lower()
        with self._connection() as conn:
            rows = conn.execute("SELECT code, email FROM customers WHERE email_key = :key UNION ALL "
                                "SELECT customer_code, email FROM contacts WHERE email_key = :key", {"key": fold(bare)}).fetchall()
        return sorted({code for code, email in rows if email.strip().lower() == bare})

    def lookup(self, info: DocInfo, address_type: str = "EMAIL") -> Lookup:
        """Rule L1 (viewer/directory_rules.lookup) against this file."""
        return lookup(self, info, address_type)
