"""Send history (SQLite in the user data folder): who got which document, when, with what outcome."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from viewer import paths
from viewer.errors import SpoolviewError
from viewer.fsutil import private_file

__all__ = ["History", "HistoryEntry", "ACCEPTED", "REFUSED", "FAILED"]

ACCEPTED, REFUSED, FAILED = "accepted", "refused", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sends (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    document TEXT NOT NULL,
    recipient TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reply TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    route TEXT NOT NULL DEFAULT '',
    address_type TEXT NOT NULL DEFAULT '',
    file TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sends_document ON sends (document, recipient);
"""
_BATCH_ROWS = 200
_COLUMNS = "time, document, recipient, outcome, reply, message_id, subject, route, address_type, file"


@dataclass(frozen=True)
class HistoryEntry:
    """One recipient of one send."""

    time: datetime
    document: str
    recipient: str
    outcome: str  # accepted | refused | failed
    reply: str = ""
    message_id: str = ""
    subject: str = ""
    route: str = ""
    address_type: str = ""
    file: str = ""

    def describe(self) -> str:
        return f"{self.document} went to {self.recipient} on {self.time:%Y-%m-%d %H:%M} ({self.route}, {self.message_id or 'no Message-ID'})"


class History:
    """The history database (``data_dir()/history.sqlite`` by default); safe across processes."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.data_dir() / "history.sqlite"
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._pending: list[tuple[object, ...]] | None = None  # rows held during a batch (see hold())

    def _connect(self) -> sqlite3.Connection:
        """The open connection (one per History, kept: a batch pays the opening once)."""
        if self._db is not None:
            return self._db
        try:
            paths.ensure_private_dir(self.path.parent)
            private_file(self.path)  # 0600 before SQLite creates it (its -wal and -shm files follow its mode)
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: a commit survives a crash of the program without an fsync each
                # time; only a power cut may lose the last lines of history, never the database.
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
            except sqlite3.Error:
                db.close()
                raise
        except (OSError, sqlite3.Error) as exc:
            raise SpoolviewError(f"cannot open the send history {self.path} ({exc}): check that folder, or move the file away") from None
        self._db = db
        return db

    def close(self) -> None:
        self.release()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def record(
        self,
        document: str,
        results: Iterable[tuple[str, str, str]],
        *,
        message_id: str = "",
        subject: str = "",
        route: str = "",
        address_type: str = "",
        file: str = "",
        when: datetime | None = None,
    ) -> None:
        """Store one line per ``(recipient, outcome, reply)``."""
        stamp = (when or datetime.now()).isoformat(timespec="seconds")
        rows: list[tuple[object, ...]] = [(stamp, document, r.strip().lower(), outcome, reply, message_id, subject, route, address_type, file) for r, outcome, reply in results]
        if not rows:
            return
        if self._pending is not None:
            self._pending.extend(rows)
            if len(self._pending) < _BATCH_ROWS:
                return
            rows, self._pending = self._pending, []
        self._write(rows)

    def _write(self, rows: list[tuple[object, ...]]) -> None:
        try:
            with self._lock:
                db = self._connect()
                with db:
                    db.executemany(f"INSERT INTO sends ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        except sqlite3.Error as exc:
            raise SpoolviewError(f"cannot write the send history {self.path} ({exc})") from None

    def hold(self) -> None:
        """Batch mode: keep rows in memory and write them by groups (a batch of sends)."""
        if self._pending is None:
            self._pending = []

    def flush(self) -> None:
        """Write the rows held so far (batch mode goes on)."""
        if self._pending:
            rows, self._pending = self._pending, []
            self._write(rows)

    def release(self) -> None:
        """Write what is held and leave batch mode."""
        try:
            self.flush()
        finally:
            self._pending = None

    def _select(self, where: str, args: tuple[object, ...], limit: int | None = None) -> list[HistoryEntry]:
        self.flush()  # what a batch holds counts too
        sql = f"SELECT {_COLUMNS} FROM sends WHERE {where} ORDER BY time DESC, id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        try:
            with self._lock:
                rows = self._connect().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise SpoolviewError(f"cannot read the send history {self.path} ({exc})") from None
        return [HistoryEntry(datetime.fromisoformat(r[0]), *r[1:]) for r in rows]

    def already_sent(self, document: str, recipients: Iterable[str]) -> list[HistoryEntry]:
        """Earlier accepted sends of ``document`` to any of ``recipients`` (newest first)."""
        wanted = sorted({r.strip().lower() for r in recipients if r.strip()})
        if not document or not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        return self._select(f"document = ? AND outcome = ? AND recipient IN ({marks})", (document, ACCEPTED, *wanted))

    def accepted(self, document: str) -> bool:
        """Whether any recipient has accepted ``document`` (one indexed question: a batch asks it before
        converting a document, the guard then asks ``already_sent`` with the recipients)."""
        if not document:
            return False
        self.flush()
        try:
            with self._lock:
                row = self._connect().execute("SELECT 1 FROM sends WHERE document = ? AND outcome = ? LIMIT 1",
                                              (document, ACCEPTED)).fetchone()
        except sqlite3.Error as exc:
            raise SpoolviewError(f"cannot read the send history {self.path} ({exc})") from None
        return row is not None

    def recent(self, limit: int = 50) -> list[HistoryEntry]:
        return self._select("1", (), limit)
