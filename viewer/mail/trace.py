"""Debug trace (S8): JSON-lines files per day and process, passwords redacted; read back by load()."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Tracer", "TraceEntry", "load", "files", "redact", "secret_forms", "settings_summary", "settings_secrets"]

SUFFIX = ".trace.jsonl"
REDACTED = "***"
_MECHANISMS = r"(?:PLAIN|LOGIN|CRAM-MD5|XOAUTH2|OAUTHBEARER)"
# An AUTH command's argument is hidden; a server's list of mechanisms ("250-AUTH LOGIN PLAIN") is not.
_AUTH_LINE = re.compile(rf"(?i)(AUTH\s+{_MECHANISMS})\s+(?!{_MECHANISMS}\b)\S+")
_SECRET_KEY = re.compile(r"(?i)pass(word)?|secret|token")


def secret_forms(password: str, users: Iterable[str] = ()) -> list[str]:
    """Every form of ``password`` that may reach a trace: plain, base64, AUTH PLAIN blobs."""
    if not password:
        return []

    def b64(text: str) -> str:
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    forms = {password, b64(password), b64(f"\0\0{password}")}
    for user in users:
        forms.update({b64(f"\0{user}\0{password}"), b64(f"{user}\0{user}\0{password}")})
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret replaced by ``***`` and AUTH arguments hidden."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _AUTH_LINE.sub(lambda m: f"{m.group(1)} <redacted>", text)


def settings_secrets(settings: Any, extra: Iterable[str] = ()) -> list[str]:
    """The secret forms of every password the settings hold (all environments) plus ``extra``."""
    users = [env.smtp_user for env in settings.environments.values() if env.smtp_user]
    found: list[str] = []
    stored = [v for env in settings.environments.values() for v in (env.smtp_password, env.oauth_client_secret, env.client_secret())]
    for value in [*stored, *extra]:
        found.extend(secret_forms(value, users))
    return sorted(set(found), key=len, reverse=True)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if _SECRET_KEY.search(str(k)) and v else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def settings_summary(settings: Any) -> dict[str, Any]:
    """The settings that decide a send, without any password (for the trace)."""
    data = {
        name: dataclasses.asdict(getattr(settings, name))
        for name in ("routing", "service", "functions", "copies", "advanced", "debug")
    }
    data["active_environment"] = settings.active_environment
    data["smtp_user"] = settings.environment.smtp_user
    scrubbed: dict[str, Any] = _scrub(data)
    return scrubbed


@dataclass(frozen=True)
class TraceEntry:
    """One line of a trace file."""

    time: datetime
    pid: int
    kind: str  # settings | route | smtp | pickup | outcome | note
    text: str
    file: Path | None = None

    def format(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f" [{self.pid}] {self.kind}: {self.text}"


class Tracer:
    """Appends redacted entries to ``<folder>/spoolview-YYYYMMDD-PID.trace.jsonl``."""

    def __init__(self, folder: str | Path, *, secrets: Iterable[str] = ()) -> None:
        self.folder = Path(folder)
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.failed = ""  # why the trace could not be written, if it could not

    def add_secrets(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({*self.secrets, *(s for s in secrets if s)}, key=len, reverse=True)

    @property
    def path(self) -> Path:
        return self.folder / f"spoolview-{datetime.now():%Y%m%d}-{os.getpid()}{SUFFIX}"

    def write(self, kind: str, text: str) -> None:
        """Add one entry; a trace that cannot be written never stops a send."""
        entry = {"time": datetime.now().isoformat(timespec="microseconds"), "pid": os.getpid(), "kind": kind, "text": redact(text, self.secrets)}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            self.failed = f"cannot write the trace in {self.folder}: {exc.strerror or exc}"

    def sink(self, kind: str) -> Callable[[str], None]:
        """A one-argument writer for routes (``trace=tracer.sink("smtp")``)."""
        return lambda text: self.write(kind, text)

    __call__ = write


def files(folder: str | Path) -> list[Path]:
    """The trace files in ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file()), key=lambda p: (p.stat().st_mtime, p.name))


def load(folder: str | Path, *, paths: Iterable[Path] | None = None) -> list[TraceEntry]:
    """"Load debug files": every entry of the trace files in ``folder`` (or ``paths``), by time.

    Lines that cannot be read (a truncated last line, a foreign file) are skipped.
    """
    entries: list[TraceEntry] = []
    for path in paths if paths is not None else files(folder):
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            try:
                data = json.loads(line)
                entries.append(TraceEntry(datetime.fromisoformat(data["time"]), int(data["pid"]), str(data["kind"]), str(data["text"]), Path(path)))
            except (ValueError, KeyError, TypeError):
                continue
    entries.sort(key=lambda e: e.time)
    return entries
