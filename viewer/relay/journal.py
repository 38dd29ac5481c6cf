"""The relay's Smtp.log: one line per delivery attempt and recipient (date, subject, from, to, outcome, queue id)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

__all__ = ["Journal"]


def _clean(value: str) -> str:
    return " ".join(value.replace("\t", " ").split())


class Journal:
    """Appends tab-separated lines; safe to share between delivery threads."""

    def __init__(self, path: Path | str, *, errors_only: bool = False) -> None:
        self.path = Path(path)
        self.errors_only = errors_only
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, *, subject: str, sender: str, recipient: str, outcome: str, reply: str, qid: str) -> None:
        """Write one line; ``outcome`` is SENT, DEFERRED, FAILED, EXPIRED, REPORT or BADMAIL."""
        if self.errors_only and outcome == "SENT":
            return
        stamp = time.strftime("%Y-%m-%d %H:%M:%S%z")
        line = "\t".join(
            [stamp, _clean(subject), _clean(sender) or "<>", _clean(recipient), f"{outcome} {_clean(reply)}".strip(), qid]
        )
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
