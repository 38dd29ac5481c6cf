"""The relay's log lines: control characters escaped (no forged lines) and repeated lines rate-limited."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

__all__ = ["SafeFormatter", "RepeatFilter", "escape"]

_UNSAFE = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def escape(text: str) -> str:
    """``text`` on one line: each control character (newline, CR, form feed...) as ``\\xNN``."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


class SafeFormatter(logging.Formatter):
    """A formatter whose message part can never start a new line.

    File names, client commands and server replies are quoted where they are logged;
    this is the net under all of them (aiosmtpd's own lines too). A traceback, added by
    the formatter after the message, keeps its lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape(record.message)
        return super().formatMessage(record)


class RepeatFilter(logging.Filter):
    """Lets at most ``burst`` WARNING-or-worse lines of one kind through per ``window`` seconds.

    A kind is the logger, the level and the message before its arguments are filled in,
    so a full disk or ``EMFILE`` repeated by every scan gives a few lines a minute, not
    thousands. The first line let through after a quiet spell says how many were dropped.
    INFO lines (one per message) are never dropped.
    """

    def __init__(self, burst: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst = burst
        self.window = window
        self.clock = clock
        self._seen: dict[tuple[str, int, str], list[float | int]] = {}  # kind -> [window start, passed, dropped]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        state = self._seen.get(key)
        if state is None or now - state[0] >= self.window:
            dropped = int(state[2]) if state else 0
            self._seen[key] = [now, 1, 0]
            if len(self._seen) > 1024:  # kinds seen long ago
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window}
            if dropped:
                record.msg = f"{record.msg} ({dropped} more like this in the last {self.window:.0f} s not logged)"
            return True
        if state[1] < self.burst:
            state[1] += 1
            return True
        state[2] += 1
        return False
