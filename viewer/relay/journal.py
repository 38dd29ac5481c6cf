"""The relay's Smtp.log: viewer.mail's journal format, one line per attempt and recipient."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path

from viewer.fsutil import private_dir
from viewer.mail.journal import ERROR, OK, LogLine
from viewer.mail.journal import Journal as MailJournal
from viewer.settings import MailCopies

__all__ = ["Journal"]

log = logging.getLogger("viewer.relay.journal")


class _AtPath(MailJournal):
    """viewer.mail's journal writing to a given file (the relay's log folder and name)."""

    def __init__(self, path: Path, errors_only: bool) -> None:
        super().__init__(MailCopies(log_folder=str(path.parent), log_errors_only=errors_only))
        self._path = path

    @property
    def log_path(self) -> Path:
        return self._path


class Journal:
    """Lines readable by ``viewer.mail.journal.read_log``: date, subject, from, to, status + reply, queue id.

    The status is OK for an accepted recipient, else ERROR followed by what happened
    (DEFERRED, FAILED, EXPIRED, BADMAIL) and the server's reply.
    """

    # The file stays open between lines (an open and a close per delivered message cost the
    # delivery threads more than the write) and is reopened every REOPEN seconds, so a log
    # rotated by renaming it gets a new file within that time.
    REOPEN = 2.0

    def __init__(self, path: Path | str, *, errors_only: bool = False) -> None:
        self.path = Path(path)
        private_dir(self.path.parent)
        self._journal = _AtPath(self.path, errors_only)
        self._journal.hold()
        self._lock = threading.Lock()  # the delivery threads share the open file
        self._opened = time.monotonic()

    def record(self, *, subject: str, sender: str, recipient: str, outcome: str, reply: str, qid: str) -> None:
        """Write one line; ``outcome`` is SENT, DEFERRED, FAILED, EXPIRED, REPORT, DELAY-NOTICE or BADMAIL."""
        ok = outcome in ("SENT", "REPORT", "DELAY-NOTICE")
        text = reply if outcome == "SENT" else f"{outcome} {reply}".strip()
        line = LogLine(datetime.now(), subject, sender or "<>", recipient or "-", OK if ok else ERROR, text, qid)
        with self._lock:
            now = time.monotonic()
            if now - self._opened > self.REOPEN:
                self._journal.release()
                self._journal.hold()
                self._opened = now
            note = self._journal.log([line])
        if note:
            log.error("journal: %s", note)

    def close(self) -> None:
        """Close the file (the next line opens it again)."""
        with self._lock:
            self._journal.release()
            self._journal.hold()
