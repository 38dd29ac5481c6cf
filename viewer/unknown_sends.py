"""Sends whose outcome is unknown (the request may have reached the server): kept until the server says."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

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
