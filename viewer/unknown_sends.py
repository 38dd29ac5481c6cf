"""Sends whose outcome is unknown (the request may have reached the server): kept until the server says."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from viewer import paths

FILE = "unknown-sends.json"


@dataclass
class UnknownSend:
    """One send to ask the server about, by its idempotency key."""

    key: str
    url: str
    user: str
    document: str = ""
    recipients: list[str] = field(default_factory=list)
    at: float = 0.0


def _path() -> Path:
    return paths.data_dir() / FILE


def load() -> list[UnknownSend]:
    """Every remembered send (an unreadable file counts as none: it is rewritten on the next change)."""
    try:
        items = json.loads(_path().read_text(encoding="utf-8"))
        return [UnknownSend(**item) for item in items if isinstance(item, dict)]
    except (OSError, ValueError, TypeError):
        return []


def _save(items: list[UnknownSend]) -> None:
    path = _path()
    paths.ensure_private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump([asdict(i) for i in items], out)
    os.replace(tmp, path)


def remember(key: str, url: str, user: str, *, document: str = "", recipients: list[str] | None = None) -> None:
    """Keep ``key`` (once) so that a later ``spoolview connection --history`` asks the server."""
    items = [i for i in load() if i.key != key]
    items.append(UnknownSend(key, url, user, document, list(recipients or []), time.time()))
    _save(items)


def forget(key: str) -> None:
    items = load()
    kept = [i for i in items if i.key != key]
    if len(kept) != len(items):
        _save(kept)


def of(url: str, user: str) -> list[UnknownSend]:
    """The unknown sends made through ``url`` as ``user``, oldest first."""
    return sorted((i for i in load() if i.url == url and i.user == user), key=lambda i: i.at)


@dataclass
class Resolution:
    """What the server says of one unknown send.

    ``state``: ``unknown`` (still: the server does not answer or has not finished), ``absent``
    (the server never received it: it may be sent again), ``sent`` (every recipient accepted)
    or ``partial`` (some or all recipients refused). ``recipients`` pairs each address with
    its accepted flag and the server's reply; ``detail`` says why it is still unknown.
    """

    item: UnknownSend
    state: str
    recipients: list[tuple[str, bool, str]] = field(default_factory=list)
    detail: str = ""

    @property
    def known(self) -> bool:
        return self.state != "unknown"


class _Status(Protocol):
    """The part of viewer.connection.Connection this module asks (kept as a Protocol: no import cycle)."""

    def send_status(self, key: str) -> Any: ...


def resolve(connection: _Status, item: UnknownSend) -> Resolution:
    """Ask the server about ``item``; once the outcome is known it is forgotten here (the history has it)."""
    from viewer.connection import ConnectionProblem

    try:
        status = connection.send_status(item.key)
    except ConnectionProblem as exc:
        return Resolution(item, "unknown", detail=str(exc))
    if status.state == "absent":
        forget(item.key)
        return Resolution(item, "absent")
    if status.state != "done" or status.answer is None:
        return Resolution(item, "unknown", detail="the server has not finished this send")
    recipients = [(r.address, bool(r.accepted), r.reply) for r in status.answer.recipients]
    forget(item.key)
    return Resolution(item, "sent" if recipients and all(ok for _a, ok, _r in recipients) else "partial", recipients)
