"""Delay between two sends (S7), held across every process of the user through a locked file."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from viewer import paths
from viewer.errors import SpoolviewError

__all__ = ["Throttle"]

LOCK_NAME = "send.lock"
STAMP_NAME = "last-send"


class Throttle:
    """``wait()`` blocks until ``delay`` seconds have passed since the last send of any process.

    The last send time lives in ``<folder>/last-send``; ``<folder>/send.lock`` (flock) makes
    read-wait-write one step, so two programs sending at once are spaced too (the reference
    only spaced sends of one program).
    """

    def __init__(
        self,
        delay: float,
        folder: str | Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.delay = max(0.0, float(delay or 0))
        self.folder = Path(folder) if folder is not None else paths.data_dir()
        self.clock, self.sleep = clock, sleep
        self.last_stamp = 0.0  # when our last turn began (as recorded for the other processes)

    def wait(self) -> float:
        """Wait for our turn and record it; returns the seconds waited."""
        if self.delay <= 0:
            return 0.0
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise SpoolviewError(f"cannot use {self.folder} to space the sends ({exc.strerror}): check that folder's permissions") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last = self._last()
            now = self.clock()
            # Bounded: a clock set back, or a stamp from the future, never blocks longer than delay.
            pause = min(self.delay, max(0.0, last + self.delay - now))
            if pause:
                self.sleep(pause)
            self.last_stamp = self.clock()
            self._stamp(self.last_stamp)
            return pause
        finally:
            os.close(fd)  # releases the lock

    def _last(self) -> float:
        try:
            return float((self.folder / STAMP_NAME).read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return 0.0

    def _stamp(self, when: float) -> None:
        path = self.folder / STAMP_NAME
        tmp = path.with_name(f".{STAMP_NAME}.{os.getpid()}")
        try:
            tmp.write_text(repr(when), encoding="ascii")
            os.replace(tmp, path)
        except OSError:
            pass  # the next send simply does not wait
