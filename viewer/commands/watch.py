"""`spoolview watch FOLDER`: send each document an ERP drops into a folder, then file it in done/ or failed/."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.errors import SpoolviewError
from viewer.settings import ADDRESS_TYPES

if TYPE_CHECKING:
    from viewer.commands._batch import Batch, Result

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3
WORK = ".spoolview-work"  # claimed files: FOLDER/.spoolview-work/<pid>/<name> (the name kept: it keys the history)
_SKIP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".log")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help="send each document dropped into a folder, then move it to done/ or failed/",
        description="Watch FOLDER (inotify, or a scan every --interval seconds on shares) and send each complete "
        "document (renamed into place, or unchanged for --settle seconds) through the send job, to its own "
        "recipient. A sent document goes to --done, one that cannot be sent to --failed with a .log beside it "
        "saying why; a temporarily refused one stays and is retried with backoff. Several watchers may share "
        "one folder: each file is claimed by an atomic rename and sent once. --once: process what is there and "
        "exit (0 all sent, 3 some not, 1 none).",
    )
    p.add_argument("folder", type=Path, metavar="FOLDER")
    p.add_argument("--once", action="store_true", help="process the complete files there now, then exit")
    p.add_argument("--done", type=Path, metavar="DIR", help="where sent documents go (default FOLDER/done)")
    p.add_argument("--failed", type=Path, metavar="DIR", help="where documents that were not sent go, with a .log (default FOLDER/failed)")
    p.add_argument("--settle", type=float, default=2.0, metavar="SECONDS", help="a file unchanged this long is complete (default 2)")
    p.add_argument("--interval", type=float, default=5.0, metavar="SECONDS", help="scan interval when inotify is not available (default 5)")
    p.add_argument("--type", dest="address_type", type=str.upper, choices=ADDRESS_TYPES, default="EMAIL", help="address type (default EMAIL)")
    p.add_argument("--protect", choices=("none", "no-modify", "password"), help="PDF protection (default: the settings)")
    p.add_argument("--password-file", type=Path, help="file whose first line is the PDF password")
    p.add_argument("--from", dest="sender", help="sender (default: the From identity of the settings)")
    p.add_argument("--via-server", action="store_true", help="send through the connected application server")
    p.set_defaults(func=cmd_watch)


@dataclass
class Retry:
    """A document whose send was temporarily refused: when to try again."""

    attempts: int = 0
    at: float = 0.0


@dataclass
class Watcher:
    """One watcher process on ``folder``; ``batch`` sends, this class claims, files and logs."""

    folder: Path
    done: Path
    failed: Path
    batch: Batch
    settle: float = 2.0
    retries: dict[str, Retry] = field(default_factory=dict)
    renamed: set[str] = field(default_factory=set)  # renamed into the folder (inotify said so): complete at once
    backoff: tuple[float, ...] = (30.0, 60.0, 300.0, 900.0, 3600.0)
    stop: threading.Event = field(default_factory=threading.Event)  # set by SIGTERM: finish the document in hand

    @property
    def work(self) -> Path:
        return self.folder / WORK

    @property
    def mine(self) -> Path:
        return self.work / str(os.getpid())

    def prepare(self) -> None:
        for folder in (self.folder, self.done, self.failed, self.work, self.mine):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SpoolviewError(f"cannot create the folder {folder} ({exc.strerror or exc}): check its path and rights") from None
        self.reclaim()

    def reclaim(self) -> None:
        """Files claimed by a watcher that died (kill -9, power cut) go back into the folder."""
        for owner in self.work.iterdir():
            if not owner.name.isdigit() or _alive(int(owner.name)):
                continue
            for path in owner.iterdir():
                try:
                    os.rename(path, self.folder / path.name)
                except OSError:
                    continue  # another watcher took it back first
            try:
                owner.rmdir()
            except OSError:
                pass

    def complete(self, now: float | None = None) -> list[Path]:
        """The documents of the folder that are complete (unchanged for ``settle`` seconds), oldest first."""
        now = time.time() if now is None else now
        found: list[tuple[float, str, Path]] = []
        try:
            entries = list(os.scandir(self.folder))
        except OSError as exc:
            raise SpoolviewError(f"cannot read the folder {self.folder} ({exc.strerror or exc})") from None
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~")) or name.lower().endswith(_SKIP_SUFFIXES):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                mtime = entry.stat().st_mtime
            except OSError:
                continue
            retry = self.retries.get(name)
            if (now - mtime >= self.settle or name in self.renamed) and (retry is None or now >= retry.at):
                self.renamed.discard(name)
                found.append((mtime, name, Path(entry.path)))
        return [p for _, _, p in sorted(found)]

    def claim(self, path: Path) -> Path | None:
        """Take ``path`` for this process by an atomic rename; None when another watcher took it."""
        claimed = self.mine / path.name
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None
        return claimed

    def handle(self, path: Path) -> Result | None:
        """Claim, send, then file ``path``; None when another watcher had it."""
        from viewer.commands._batch import ALREADY, SENT, Item

        claimed = self.claim(path)
        if claimed is None:
            return None
        try:
            result = self.batch.process(Item(claimed))
        except BaseException:
            os.rename(claimed, path)  # interrupted: the document stays to be sent
            raise
        name = path.name
        if result.category in (SENT, ALREADY):
            self.retries.pop(name, None)
            _move(claimed, self.done, name)
        elif result.temporary:
            retry = self.retries.setdefault(name, Retry())
            delay = self.backoff[min(retry.attempts, len(self.backoff) - 1)]
            retry.attempts += 1
            retry.at = time.time() + delay
            os.rename(claimed, path)
            result = _with_text(result, f"{result.text} — stays in {self.folder}, retried in {delay:.0f} s")
        else:
            self.retries.pop(name, None)
            target = _move(claimed, self.failed, name)
            _write_log(target, result)
        return result

    def scan(self) -> list[Result]:
        results = []
        for path in self.complete():
            if self.stop.is_set():
                break
            result = self.handle(path)
            if result is not None:
                print(f"{datetime.now():%Y-%m-%d %H:%M:%S} {result.text}", flush=True)
                results.append(result)
        return results


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``... when taken (nothing is overwritten)."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while target.exists() or target.with_name(target.name + ".log").exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def _move(claimed: Path, folder: Path, name: str) -> Path:
    target = _free(folder, name)
    try:
        os.rename(claimed, target)
    except OSError:  # another file system: copy then remove
        import shutil

        shutil.move(str(claimed), str(target))
    return target


def _write_log(target: Path, result: Result) -> None:
    """``failed/NAME.log``: why the document was not sent, in words."""
    lines = [
        f"{target.name} was not sent ({result.category}), {datetime.now():%Y-%m-%d %H:%M:%S}.",
        "",
        result.text,
    ]
    if result.outcome is not None:
        lines += ["", *result.outcome.summary_lines(duplicates=False)]
    lines += ["", "Correct the cause, then move the file back into the watched folder to send it again "
              "(recipients that already accepted it are not sent it twice)."]
    target.with_name(target.name + ".log").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _with_text(result: Result, text: str) -> Result:
    from dataclasses import replace

    return replace(result, text=text)


def _batch_args(args: argparse.Namespace) -> argparse.Namespace:
    """The batch options the watcher's documents are sent with."""
    return argparse.Namespace(
        address_type=args.address_type, to=[], cc=[], bcc=[], subject=None, body_file=None, protect=args.protect,
        password_file=args.password_file, no_pdf=False, sender=args.sender, encoding=None, dry_run=False,
        force=False, via_server=args.via_server,
    )


def _wake_on_changes(folder: Path, wake: threading.Event, renamed: set[str] | None = None) -> object | None:
    """A watchdog observer setting ``wake`` on any change in ``folder`` and adding to ``renamed`` the
    names a file was renamed to there (written under a temporary name: complete, no settle time to
    wait); None when unavailable (scan only)."""
    try:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer
    except ImportError:
        return None

    class Wake(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if renamed is not None and event.event_type == "moved" and not event.is_directory:
                target = Path(os.fsdecode(event.dest_path))
                if target.parent == folder:
                    renamed.add(target.name)
            wake.set()

    observer = Observer()
    try:
        observer.schedule(Wake(), str(folder), recursive=False)
        observer.start()
    except OSError:
        return None
    return observer


def cmd_watch(args: argparse.Namespace) -> int:
    from viewer.commands import mail
    from viewer.commands._batch import SENT, Batch

    folder = args.folder
    if not folder.is_dir():
        raise SpoolviewError(f"the folder {folder} does not exist: create it or check the path")
    batch = Batch(_batch_args(args), mail._settings())
    watcher = Watcher(folder, args.done or folder / "done", args.failed or folder / "failed", batch, settle=args.settle)
    try:
        watcher.prepare()
        if args.once:
            results = watcher.scan()
            print(batch.summary() if results else f"nothing to send in {folder}")
            sent = sum(1 for r in results if r.category == SENT)
            if batch.status() == EXIT_OK:
                return EXIT_OK
            return EXIT_PARTIAL if sent else EXIT_FAILED
        return _loop(watcher, args.interval)
    finally:
        batch.close()
        try:
            watcher.mine.rmdir()
        except OSError:
            pass  # not empty (interrupted mid-claim: reclaimed by the next watcher) or never made


def _loop(watcher: Watcher, interval: float) -> int:
    stop = watcher.stop
    wake = threading.Event()

    def on_term(signum: int, frame: object) -> None:
        stop.set()
        wake.set()

    signal.signal(signal.SIGTERM, on_term)
    observer = _wake_on_changes(watcher.folder, wake, watcher.renamed)
    how = "inotify" if observer is not None else f"a scan every {interval:g} s"
    print(f"watching {watcher.folder} ({how}); sent documents go to {watcher.done}, the others to {watcher.failed}", file=sys.stderr, flush=True)
    try:
        while not stop.is_set():
            wake.clear()
            watcher.scan()
            # wake on a change, but also after the settle time (a file still being written) and every interval
            wake.wait(timeout=min(interval, max(watcher.settle, 0.2)) if observer is not None else interval)
    finally:
        if observer is not None:
            observer.stop()  # type: ignore[attr-defined]  # watchdog's Observer, typed as object above
    return EXIT_OK
