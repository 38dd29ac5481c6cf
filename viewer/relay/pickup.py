"""The pickup folder: complete files are checked and renamed into the queue (events + periodic scan)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from viewer.relay.message import MalformedMessage, Parsed, parse_message
from viewer.relay.queue import Queue

__all__ = ["PickupFolder", "is_temporary_name", "start_observer"]

log = logging.getLogger("viewer.relay.pickup")

BAD_FILE_GRACE = 5.0  # seconds an empty or malformed file may still be being written
ENVELOPE_ALLOWANCE = 256 * 1024  # room for x-sender/x-receiver lines above queue.max_message_size


def is_temporary_name(name: str) -> bool:
    """Names a writer uses while a file is not complete yet: never taken."""
    lower = name.lower()
    return name.startswith(".") or name.startswith("~") or lower.endswith((".tmp", ".part", "~", ".partial"))


def _too_big(size: int, limit: int) -> str:
    return f"the message is {size} bytes, over the limit of {limit} bytes (queue.max_message_size)"


class PickupFolder:
    """Moves complete messages from a pickup folder into the queue; bad ones into badmail."""

    def __init__(self, folder: Path | str, queue: Queue, *, max_size: int, settle: float = 0.0,
                 on_badmail: Callable[[str, str], None] | None = None) -> None:
        self.folder = Path(folder)
        self.settle = settle
        self.queue = queue
        self.max_size = max_size
        self.on_badmail = on_badmail
        self._stuck: set[str] = set()  # names that could not even be moved aside (logged once)
        self._lock = threading.Lock()

    def scan(self, limit: int | None = None) -> int:
        """Take complete files now (at most ``limit``); return how many went into the queue."""
        return len(self.take(limit)[0])

    def take(self, limit: int | None = None) -> tuple[list[Path], bool]:
        """Move up to ``limit`` complete files into the queue: (their queue paths, whether more wait)."""
        taken, more = self.take_parsed(limit)
        return [path for path, _ in taken], more

    def take_parsed(self, limit: int | None = None) -> tuple[list[tuple[Path, Parsed]], bool]:
        """Like ``take``, with each message as parsed here: delivery need not read and parse it again.

        The whole batch becomes durable together (``Queue.sync_files``: the files' fsyncs
        side by side, then one fsync of the incoming folder) before any of it is returned.
        """
        with self._lock:
            taken: list[tuple[Path, Parsed]] = []
            try:
                entries = sorted(os.scandir(self.folder), key=lambda e: e.name)
            except FileNotFoundError:
                log.error("pickup folder %r does not exist", str(self.folder))
                return [], False
            more = False
            for entry in entries:
                if is_temporary_name(entry.name) or entry.name in self._stuck:
                    continue
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue  # sub-folders and links are not messages
                except OSError:
                    continue
                if limit is not None and len(taken) >= limit:
                    more = True
                    break
                picked = self._take(Path(entry.path))
                if picked is not None:
                    taken.append(picked)
            if taken:
                self.queue.sync_files([path for path, _ in taken])
            return taken, more

    def _take(self, path: Path) -> tuple[Path, Parsed] | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None  # another relay process took it
        size = st.st_size
        age = time.time() - st.st_mtime
        if self.settle and age < self.settle:
            return None  # may still be written (a copy onto a share): a later scan takes it
        # A writer that creates the file in place instead of renaming it shows an empty or
        # half-written file first: only one left unchanged for a while goes to badmail.
        young = age < max(self.settle, BAD_FILE_GRACE)
        if size == 0:
            if not young:
                self._reject(path, "the file is empty")
            return None
        if size > self.max_size + ENVELOPE_ALLOWANCE:  # not even read
            self._reject(path, _too_big(size, self.max_size))
            return None
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._reject(path, f"the file cannot be read: {exc.strerror or exc}")
            return None
        try:
            parsed = parse_message(raw)
        except MalformedMessage as exc:
            if not young:
                self._reject(path, f"malformed message: {exc}")
            return None
        if len(parsed.content) > self.max_size:  # the message itself; x-sender/x-receiver lines do not count
            self._reject(path, _too_big(len(parsed.content), self.max_size))
            return None
        try:
            dest = self.queue.accept_file(path, sync=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.error("cannot move %r into the queue: %s", str(path), exc)
            self._stuck.add(path.name)
            return None
        log.info("picked up %r as %s", path.name, self.queue.qid(dest))
        return dest, parsed

    def _reject(self, path: Path, reason: str) -> None:
        try:
            dest = self.queue.to_badmail(path, f"picked up as {path.name} from {self.folder}\n{reason}", name=path.name)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.error("cannot move %r to badmail (%s): %s; leaving it in place", str(path), exc, reason)
            self._stuck.add(path.name)
            return None
        log.warning("%r moved to badmail as %r: %s", path.name, dest.name, reason)
        if self.on_badmail:
            self.on_badmail(path.name, reason)
        return None


def _quiet_stop(record: logging.LogRecord) -> bool:
    """Drop watchdog's harmless 'called when the thread is inactive' message at stop."""
    return "thread is inactive" not in record.getMessage()


def start_observer(folder: Path, wake: Callable[[], None]):
    """Watch ``folder`` with watchdog (inotify where it works); None when events are unavailable."""
    try:
        from watchdog.events import FileClosedEvent, FileCreatedEvent, FileMovedEvent, FileSystemEventHandler
        from watchdog.observers import Observer
    except ImportError:  # pragma: no cover - watchdog is a dependency
        return None

    class _Wake(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type in ("created", "moved", "closed"):
                wake()

    try:  # watchdog holds every rename for up to 0.5 s to pair its two halves; we only need a wake-up
        from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper

        InotifyMoveEventGrouper.delay = 0.0
    except ImportError:  # not Linux, or another watchdog layout: events still work, a little later
        pass
    logging.getLogger("watchdog.observers.inotify").addFilter(_quiet_stop)
    observer = Observer()
    try:
        # Only the kinds of event that can announce a complete file: watchdog then asks
        # inotify for nothing else (no IN_MODIFY per write of a file being copied in), which
        # costs the relay's other threads much less CPU during a large pickup.
        observer.schedule(_Wake(), str(folder), recursive=False,
                          event_filter=[FileCreatedEvent, FileMovedEvent, FileClosedEvent])
        observer.daemon = True
        observer.start()
    except OSError as exc:
        log.warning("no file events for %r (%s): scanning only", str(folder), exc)
        return None
    return observer
