"""What a send leaves behind (S6): Smtp.log lines, the sent copy, and NAME.eml + NAME.log on error."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.mail.routes.base import RouteError
from viewer.mail.routes.pickup import atomic_write
from viewer.records import record

if TYPE_CHECKING:
    from viewer.settings import MailCopies

__all__ = ["Journal", "LogLine", "LOG_NAME", "read_log"]

LOG_NAME = "Smtp.log"
OK, ERROR = "OK", "ERROR"


def _field(text: str) -> str:
    return " ".join(str(text).split())  # no tab or line break inside a column


@record(frozen=True)
class LogLine:
    """One line of Smtp.log: one recipient of one message."""

    time: datetime
    subject: str
    sender: str
    recipient: str
    status: str  # OK | ERROR
    reply: str
    file: str

    def render(self) -> str:
        cols = [f"{self.time:%Y-%m-%d %H:%M:%S}", self.subject, self.sender, self.recipient, f"{self.status} {self.reply}".strip(), self.file]
        return "\t".join(_field(c) for c in cols) + "\n"


def read_log(path: str | Path) -> list[LogLine]:
    """The lines of an Smtp.log (for the GUI and tests); malformed lines are skipped."""
    lines: list[LogLine] = []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return lines
    for row in text.splitlines():
        cols = row.split("\t")
        if len(cols) != 6:
            continue
        status, _, reply = cols[4].partition(" ")
        try:
            when = datetime.strptime(cols[0], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
        lines.append(LogLine(when, cols[1], cols[2], cols[3], status, reply, cols[5]))
    return lines


class Journal:
    """Writes into the folders of ``settings.copies``. Failures here never undo a send:
    each method returns a note (str) describing a problem, or "" when all went well."""

    def __init__(self, copies: MailCopies) -> None:
        self.copies = copies
        self._fd: int | None = None  # Smtp.log kept open during a batch (see hold())
        self._batch = False

    def hold(self) -> None:
        """Batch mode: keep Smtp.log open once written (each line is still written at once)."""
        self._batch = True

    def release(self) -> None:
        self._batch = False
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    @staticmethod
    def _open(path: Path) -> int:
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except FileNotFoundError:  # first line: create the folder
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    @property
    def log_path(self) -> Path:
        return Path(self.copies.log_folder).expanduser() / LOG_NAME

    def log(self, lines: list[LogLine]) -> str:
        if self.copies.log_errors_only:
            lines = [line for line in lines if line.status != OK]
        if not lines:
            return ""
        data = "".join(line.render() for line in lines).encode("utf-8")
        path = self.log_path
        try:
            if self._fd is not None:
                os.write(self._fd, data)  # one write with O_APPEND: lines of two processes never mix
                return ""
            fd = self._open(path)
            if self._batch:
                self._fd = fd
                os.write(fd, data)
                return ""
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as exc:
            return f"could not write {path} ({exc.strerror or exc})"
        return ""

    def keep_sent(self, raw: bytes, name: str) -> tuple[Path | None, str]:
        folder = self.copies.sent_folder
        if not str(folder).strip():
            return None, ""
        try:
            return atomic_write(Path(folder).expanduser(), raw, Path(name).suffix, name=name, what="folder of sent mails", fsync=False), ""
        except RouteError as exc:
            return None, f"the copy was not kept: {exc}"

    def keep_error(self, raw: bytes, name: str, text: str) -> tuple[Path | None, str]:
        """NAME.eml (the message) and NAME.log (the error text) in the error folder."""
        setting = self.copies.error_folder
        if not str(setting).strip():
            return None, "no error folder is set: the message was not kept"
        folder = Path(setting).expanduser()
        try:
            path = atomic_write(folder, raw, Path(name).suffix, name=name, what="error folder")
            atomic_write(folder, text.encode("utf-8"), ".log", name=path.stem + ".log", what="error folder")
        except RouteError as exc:
            return None, f"the message could not be kept in the error folder: {exc}"
        return path, ""
