"""Directory look-ups for the send job: the server's when connected, the local one when the server does not answer.

``Lookups(settings, connection)`` answers ``lookup`` (rule L1), ``search``, ``customer``,
``contact``, ``contacts_of`` and ``owners`` (which customers an address belongs to). When
connected, it asks the application server; when the server stops answering it turns to
the local directory for good and says so in ``source`` (``local after server failure``)
and ``problem`` so every window can show it. When no directory answers at all, the
NoDirectory error says so plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from viewer.directory_rules import DirectoryError
from viewer.errors import SpoolviewError
from viewer.settings import Settings

if TYPE_CHECKING:
    from formats.document import DocInfo
    from viewer.connection import Connection
    from viewer.directory_rules import Contact, Customer, Entry, Lookup, Reader

__all__ = ["LOCAL", "LOCAL_FALLBACK", "SERVER", "Lookups", "NoDirectory"]

SERVER, LOCAL, LOCAL_FALLBACK = "server", "local", "local-fallback"
T = TypeVar("T")


class NoDirectory(SpoolviewError):
    """Neither the application server nor the local directory answers."""


class Lookups:
    """Where directory questions go, with the local directory as the server's fallback."""

    def __init__(self, settings: Settings, connection: Connection | None = None, *, directory: Reader | None = None) -> None:
        """``directory``: the local directory to use (kept open by its owner), else the settings' one."""
        self.settings = settings
        self.connection = connection if connection is not None and connection.is_connected else None
        self.source = SERVER if self.connection is not None else LOCAL
        self.problem = ""  # why the server was left, in English
        self._local: Reader | None = directory
        self._own_local = directory is None

    def close(self) -> None:
        if self._local is not None and self._own_local:
            self._local.close()
        self._local = None if self._own_local else self._local

    def __enter__(self) -> Lookups:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def fell_back(self) -> bool:
        return self.source == LOCAL_FALLBACK

    def _directory(self) -> Reader:
        if self._local is None:
            # An existing SQLite file is read with sqlite3: the send path never imports SQLAlchemy.
            from viewer.directory_sqlite import open_reader

            self._local = open_reader(self.settings)
        return self._local

    def _ask(self, on_server: Callable[[Connection], T], locally: Callable[[Reader], T]) -> T:
        from viewer.connection import CertificateProblem, ServerUnavailable

        if self.connection is not None and self.source == SERVER:
            try:
                return on_server(self.connection)
            except (ServerUnavailable, CertificateProblem) as exc:
                self.source, self.problem = LOCAL_FALLBACK, str(exc)
        try:
            return locally(self._directory())
        except (DirectoryError, OSError) as exc:
            if self.source == LOCAL_FALLBACK:
                raise NoDirectory(f"no directory answers: {self.problem}, and the local directory fails ({exc})") from None
            raise NoDirectory(f"the local directory does not answer ({exc})") from None

    def lookup(self, info: DocInfo, address_type: str = "EMAIL") -> Lookup:
        """The recipient of ``info`` by rule L1."""
        found: Lookup = self._ask(lambda c: c.lookup(info, address_type), lambda d: d.lookup(info, address_type))
        return found

    def search(self, text: str, limit: int = 20) -> list[Entry]:
        if not text.strip():
            return []
        return self._ask(lambda c: c.search(text, limit=limit), lambda d: d.search(text, limit=limit))

    def customer(self, code: str) -> Customer | None:
        if not code:
            return None
        return self._ask(lambda c: c.customer(code), lambda d: d.customer(code))

    def contact(self, code: str) -> Contact | None:
        if not code:
            return None
        return self._ask(lambda c: c.contact(code), lambda d: d.contact(code))

    def contacts_of(self, code: str) -> list[Contact]:
        return self._ask(lambda c: c.contacts_of(code), lambda d: d.contacts_of(code))

    def owners(self, address: str) -> list[str]:
        """The codes of the customers whose record or contact has exactly this e-mail address."""
        from viewer.directory_sqlite import SqliteReader

        bare = address.strip().lower()
        if "@" not in bare:
            return []

        def searched(entries: list[Entry]) -> list[str]:
            return sorted({e.code if e.kind == "customer" else e.customer_code for e in entries if e.email.strip().lower() == bare})

        return self._ask(lambda c: searched(c.search(bare, limit=50)),
                         lambda d: d.owners(bare) if isinstance(d, SqliteReader) else searched(d.search(bare, limit=50)))

    def forget(self) -> None:
        """Let the next question read the directory afresh (a long-running watcher sees its changes):
        the local directory this object opened is closed, with what it remembered."""
        if self._local is not None and self._own_local:
            self._local.close()
            self._local = None

    def customer_name(self, code: str) -> str:
        """The customer's name ('' when unknown or when the directory fails)."""
        try:
            record = self.customer(code)
        except SpoolviewError:
            return ""
        return record.name if record is not None else ""

    def contact_name(self, code: str) -> str:
        try:
            record = self.contact(code)
        except SpoolviewError:
            return ""
        return record.name if record is not None else ""
