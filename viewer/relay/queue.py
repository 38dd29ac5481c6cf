"""The relay's durable queue: a state machine of folders, changed only by renames (like Postfix).

Layout under the queue folder::

    incoming/<id>.eml           ready to be tried now
    deferred/<id>.eml           waiting; the file's mtime is the time of the next attempt
    active/<owner>/<id>.eml     claimed by one relay process (claim = atomic rename)
    meta/<id>.json              envelope and attempt history, once a message was tried
    sent/<id>.eml               delivered, waiting to be deleted in bulk (``purge_sent``)
    owners/<owner>.alive        heartbeat of a running relay process (mtime)
    tmp/                        files being written (renamed into incoming once fsynced)
    badmail/<name> + <name>.log messages that cannot be sent, with the reason

A message file is written once and never modified. A step counts once it is fsynced.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viewer.fsutil import fsync_dir as _fsync_dir
from viewer.fsutil import private_dir, write_durable
from viewer.procutil import pid_alive

__all__ = ["Queue", "QueueStatus", "fsync_dir", "write_durable", "message_id_time"]

STATES = ("incoming", "deferred", "active")
SUFFIX = ".eml"


def fsync_dir(path: Path) -> None:
    """Make a rename or a new name in ``path`` durable; a queue must know when it cannot."""
    _fsync_dir(path, strict=True)


def _fsync_file(path: Path, *, strict: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        if strict:
            raise
        return  # already delivered
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private(path: Path) -> None:
    """A writer's 0644 file moved into the queue or badmail: private like everything else there."""
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass  # another account's file (we may move it, not change it): its folder is 0700 anyway


def new_id() -> str:
    """A queue id sortable by arrival time: 13 hex digits of milliseconds + 12 random."""
    return f"{int(time.time() * 1000):013x}{secrets.token_hex(6)}"


def message_id_time(qid: str) -> float | None:
    """The arrival time encoded in a queue id (None for a foreign name)."""
    try:
        return int(qid[:13], 16) / 1000.0
    except ValueError:
        return None


def _start_time(pid: int | str) -> str:
    """The kernel's start time of a process (tells a reused pid apart); "" where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


@dataclass
class QueueStatus:
    """Counts per state, the oldest message and the next retry (epoch seconds)."""

    incoming: int = 0
    active: int = 0
    deferred: int = 0
    badmail: int = 0
    oldest: float | None = None
    next_retry: float | None = None
    owners: int = 0


class Queue:
    """One relay process's handle on the shared queue folders."""

    def __init__(self, root: Path | str, *, badmail: Path | str | None = None, lease: float = 120.0, owner: str | None = None) -> None:
        self.root = Path(root)
        self.badmail = Path(badmail) if badmail else self.root / "badmail"
        self.lease = lease
        self.host = socket.gethostname().replace("_", "-")
        self.owner = owner or f"{self.host}_{os.getpid()}_{secrets.token_hex(3)}"
        self.incoming = self.root / "incoming"
        self.deferred = self.root / "deferred"
        self.active_root = self.root / "active"
        self.active = self.active_root / self.owner
        self.meta_dir = self.root / "meta"
        self.owners = self.root / "owners"
        self.tmp = self.root / "tmp"
        self.sent = self.root / "sent"
        self._flushers: ThreadPoolExecutor | None = None  # fsyncs side by side (store_batch)

    # -- setup ---------------------------------------------------------------------------
    def ensure(self) -> Queue:
        for d in (self.root, self.incoming, self.deferred, self.active_root, self.meta_dir, self.owners, self.tmp,
                  self.sent, self.badmail):
            private_dir(d)  # mail and recipients: this user only, whatever the umask
        return self

    def register(self) -> None:
        """Start this process's heartbeat, then its active folder."""
        self.ensure()
        self.heartbeat()
        private_dir(self.active)

    def heartbeat(self) -> None:
        beat = self.owners / f"{self.owner}.alive"
        if beat.exists():
            beat.touch()
        else:  # holds our start time so a peer on this host can tell a reused pid apart
            beat.write_text(_start_time("self"))

    def unregister(self) -> None:
        """After a clean stop: hand back anything still claimed, remove the heartbeat."""
        for path in self._files(self.active):
            self.release(path)
        try:
            self.active.rmdir()
        except OSError:
            pass
        (self.owners / f"{self.owner}.alive").unlink(missing_ok=True)

    # -- entering the queue ---------------------------------------------------------------
    def accept_file(self, src: Path, qid: str | None = None, *, sync: bool = True) -> Path:
        """Move a complete pickup file into incoming (rename; copy across file systems).

        With ``sync=False`` the caller makes it durable later with ``sync_files`` (one
        journal commit for a batch). Raises FileNotFoundError when another process took it first.
        """
        qid = qid or new_id()
        dest = self.incoming / f"{qid}{SUFFIX}"
        try:
            os.rename(src, dest)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            write_durable(dest, src.read_bytes(), self.tmp)
            src.unlink(missing_ok=True)
            return dest
        _private(dest)
        if sync:
            self.sync_files([dest])
        return dest

    def sync_files(self, paths: list[Path]) -> None:
        """fsync accepted files (the writer may not have flushed them), then the incoming folder.

        The fsyncs of a batch run side by side, so the file system commits them together.
        """
        if len(paths) > 1:
            with ThreadPoolExecutor(max_workers=min(8, len(paths)), thread_name_prefix="relay-fsync") as pool:
                list(pool.map(_fsync_file, paths))
        else:
            for path in paths:
                _fsync_file(path)
        fsync_dir(self.incoming)

    def sync_incoming(self) -> None:
        fsync_dir(self.incoming)

    def store(self, data: bytes) -> str:
        """Write a new message (pickup format) durably into incoming; return its queue id."""
        qid = new_id()
        write_durable(self.incoming / f"{qid}{SUFFIX}", data, self.tmp)
        return qid

    def store_batch(self, datas: list[bytes]) -> list[str]:
        """Write several new messages durably into incoming at once; return their queue ids.

        Each is written under tmp/, the files are fsynced side by side (the file system
        commits them together), renamed into incoming, and incoming is fsynced once: two
        disk flushes for the group instead of two per message. On an error nothing of the
        group is left in tmp/ and the OSError is raised (the caller answers 451 for all);
        messages already renamed are complete and fsynced, so at worst sent once more.
        """
        written: list[tuple[str, Path]] = []
        fds: list[int] = []  # kept open until fsynced: no second open by name per file
        try:
            for data in datas:
                qid = new_id()
                tmp = self.tmp / f"{qid}{SUFFIX}"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                fds.append(fd)
                written.append((qid, tmp))
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            self._fsync_all(fds)
            while fds:
                os.close(fds.pop())
            for qid, tmp in written:
                os.rename(tmp, self.incoming / f"{qid}{SUFFIX}")
            fsync_dir(self.incoming)
        except BaseException:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            for _, tmp in written:
                tmp.unlink(missing_ok=True)
            raise
        return [qid for qid, _ in written]

    def _fsync_all(self, fds: list[int]) -> None:
        """fsync open files side by side (the file system commits them in one go), one alone inline."""
        if len(fds) < 2:
            for fd in fds:
                os.fsync(fd)
            return
        if self._flushers is None:
            self._flushers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="relay-fsync")
        list(self._flushers.map(os.fsync, fds))

    # -- claiming ------------------------------------------------------------------------
    @staticmethod
    def _files(folder: Path) -> Iterator[Path]:
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
                        yield Path(entry.path)
        except FileNotFoundError:
            return

    def due(self, now: float | None = None, limit: int | None = None) -> list[Path]:
        """Messages that may be tried now: incoming (oldest first), then deferred whose time came."""
        return self.scan(now, limit)[0]

    def scan(self, now: float | None = None, limit: int | None = None) -> tuple[list[Path], float | None]:
        """One pass over incoming and deferred: (messages due now, time of the next deferred one)."""
        now = time.time() if now is None else now
        ready = sorted(self._files(self.incoming), key=lambda p: p.name)
        waiting = []
        later: float | None = None
        for path in self._files(self.deferred):
            try:
                when = path.stat().st_mtime
            except FileNotFoundError:
                continue
            if when <= now:
                waiting.append((when, path))
            elif later is None or when < later:
                later = when
        waiting.sort()
        ready += [p for _, p in waiting]
        return (ready[:limit] if limit is not None else ready), later

    def next_due(self) -> float | None:
        """When the earliest deferred message becomes due (epoch seconds), if any."""
        times = []
        for path in self._files(self.deferred):
            try:
                times.append(path.stat().st_mtime)
            except FileNotFoundError:
                continue
        return min(times) if times else None

    def claim(self, path: Path) -> Path | None:
        """Take a message for delivery by an atomic rename; None when another process won."""
        dest = self.active / path.name
        try:
            os.rename(path, dest)
        except FileNotFoundError:
            return None
        return dest

    # -- after an attempt ----------------------------------------------------------------
    @staticmethod
    def qid(path: Path) -> str:
        return path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.name

    def meta_path(self, qid: str) -> Path:
        return self.meta_dir / f"{qid}.json"

    def load_meta(self, qid: str) -> dict[str, Any] | None:
        """The attempt history of a message, or None if it was never tried (or it is unreadable)."""
        try:
            return json.loads(self.meta_path(qid).read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None

    def save_meta(self, qid: str, meta: dict[str, Any]) -> None:
        write_durable(self.meta_path(qid), json.dumps(meta, indent=1).encode("utf-8"), self.tmp)

    def done(self, path: Path, *, meta: bool = True) -> None:
        """The message reached every recipient (or was reported): remove it and its history.

        The file is renamed into sent/ rather than deleted: a rename only changes two folder
        entries, while deleting a file also frees its blocks, which made the delivery thread
        wait for the disk once per message. ``purge_sent`` deletes them in bulk from another
        thread. Neither is fsynced: after a crash the message is in sent/ (never sent again)
        or back in active/ (sent once more: at most a duplicate, never a loss), as when it
        was deleted here. ``meta=False``: the message was never deferred, it has no history.
        """
        try:
            os.rename(path, self.sent / path.name)
        except OSError:  # sent/ missing or not writable (or the file already gone): delete it here
            path.unlink(missing_ok=True)
        if meta:
            self.meta_path(self.qid(path)).unlink(missing_ok=True)

    def purge_sent(self) -> int:
        """Delete the delivered messages waiting in sent/; return how many."""
        count = 0
        for path in self._files(self.sent):
            try:
                path.unlink()
                count += 1
            except FileNotFoundError:  # another relay process purged it
                pass
        return count

    def defer(self, path: Path, meta: dict[str, Any], when: float) -> Path:
        """Save the history, then move the message to deferred with its next attempt time."""
        self.save_meta(self.qid(path), meta)
        os.utime(path, (when, when))
        dest = self.deferred / path.name
        os.rename(path, dest)
        fsync_dir(self.deferred)
        return dest

    def release(self, path: Path) -> None:
        """Hand a claimed message back untried (clean stop): back to incoming or deferred."""
        meta = self.load_meta(self.qid(path))
        target = self.deferred if meta else self.incoming
        try:
            if meta:
                now = time.time()
                os.utime(path, (now, now))
            os.rename(path, target / path.name)
        except FileNotFoundError:
            return
        fsync_dir(target)

    def to_badmail(self, path: Path, reason: str, *, name: str | None = None, keep: bool = False) -> Path:
        """Put a message aside with a ``.log`` saying why; ``keep`` leaves the original in place (copy)."""
        base = name or path.name
        stem, dot, ext = base.rpartition(".")
        if not dot or "/" in ext:
            stem, ext = base, "eml"
        dest = self.badmail / f"{stem}.{ext}"
        n = 1
        while dest.exists() or (self.badmail / f"{dest.stem}.log").exists():
            dest = self.badmail / f"{stem}-{n}.{ext}"
            n += 1
        log = self.badmail / f"{dest.stem}.log"
        stamp = time.strftime("%Y-%m-%d %H:%M:%S %z")
        write_durable(log, f"{stamp}\n{reason.rstrip()}\n".encode(), self.tmp)
        if keep:
            write_durable(dest, path.read_bytes(), self.tmp)
        else:
            try:
                os.rename(path, dest)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                shutil.copyfile(path, dest)
                path.unlink()
            _private(dest)
            fsync_dir(self.badmail)
            if path.name.endswith(SUFFIX):
                self.meta_path(self.qid(path)).unlink(missing_ok=True)
        return dest

    # -- crash recovery and administration -------------------------------------------------
    def _owner_stale(self, owner: str, now: float) -> bool:
        beat = self.owners / f"{owner}.alive"
        try:
            age = now - beat.stat().st_mtime
        except FileNotFoundError:
            return True
        parts = owner.rsplit("_", 2)
        if len(parts) == 3 and parts[0] == self.host and parts[1].isdigit():
            # Same host: the process table is the truth; the lease only covers other hosts.
            pid = int(parts[1])
            if not pid_alive(pid):
                return True
            try:
                recorded = beat.read_text().strip()
            except OSError:
                recorded = ""
            current = _start_time(pid)
            if recorded and current:
                return recorded != current  # the pid now belongs to another process
        return age > self.lease

    def recover(self, now: float | None = None) -> int:
        """Hand back messages claimed by relay processes that died; return how many."""
        now = time.time() if now is None else now
        count = 0
        try:
            owners = [d for d in self.active_root.iterdir() if d.is_dir() and d.name != self.owner]
        except FileNotFoundError:
            return 0
        for folder in owners:
            if not self._owner_stale(folder.name, now):
                continue
            for path in list(self._files(folder)):
                self.release(path)
                count += 1
            try:
                folder.rmdir()
            except OSError:
                pass
            (self.owners / f"{folder.name}.alive").unlink(missing_ok=True)
        self.purge_sent()  # delivered by a process that died before deleting them
        # Leftovers of interrupted writes.
        for tmp in self.tmp.glob("*"):
            try:
                if now - tmp.stat().st_mtime > self.lease:
                    tmp.unlink()
            except FileNotFoundError:
                pass
        return count

    def flush(self) -> int:
        """Make every deferred message due now; return how many."""
        now = time.time()
        count = 0
        for path in self._files(self.deferred):
            try:
                os.utime(path, (now, now))
                count += 1
            except FileNotFoundError:
                pass
        return count

    def status(self) -> QueueStatus:
        st = QueueStatus()
        times: list[float] = []
        for path in self._files(self.incoming):
            st.incoming += 1
            t = message_id_time(self.qid(path))
            if t:
                times.append(t)
        retries = []
        for path in self._files(self.deferred):
            st.deferred += 1
            t = message_id_time(self.qid(path))
            if t:
                times.append(t)
            try:
                retries.append(path.stat().st_mtime)
            except FileNotFoundError:
                pass
        if self.active_root.exists():
            for folder in self.active_root.iterdir():
                if folder.is_dir():
                    for path in self._files(folder):
                        st.active += 1
                        t = message_id_time(self.qid(path))
                        if t:
                            times.append(t)
        if self.badmail.exists():
            st.badmail = sum(1 for p in self.badmail.iterdir() if p.is_file() and p.suffix != ".log" and not p.name.startswith("."))
        if self.owners.exists():  # a process killed without a clean stop leaves its file: not counted
            now = time.time()
            st.owners = sum(1 for beat in self.owners.glob("*.alive") if not self._owner_stale(beat.stem, now))
        st.oldest = min(times) if times else None
        st.next_retry = min(retries) if retries else None
        return st
