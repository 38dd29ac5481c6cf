"""`spoolview watch FOLDER`: send each document an ERP drops into a folder, then file it in done/ or failed/."""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from formats.meta import sidecar_path
from viewer.commands.mail import _jobs
from viewer.errors import SpoolviewError
from viewer.procutil import pid_alive
from viewer.settings import ADDRESS_TYPES, Watch

if TYPE_CHECKING:
    from viewer.commands._batch import Batch, Converted, Item, Result
    from viewer.commands._workers import Ordered
    from viewer.settings import Settings
    from viewer.watchrules import Rules

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_PARTIAL = 0, 1, 2, 3  # 2: a configuration that cannot work (not restarted)
WORK = ".spoolview-work"  # claimed files: FOLDER/.spoolview-work/<pid>/<name> (the name kept: it keys the history)
_SKIP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".log")
UNIT_NAME = "spoolview-watch.service"  # installed under this name; shipped in viewer/data/:
UNITS = {"system": UNIT_NAME, "user": "spoolview-watch-user.service"}
UNIT_EXEC = "/opt/spoolview/.venv/bin/spoolview"  # the ExecStart program of the shipped unit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help="send each document dropped into a folder, then move it to done/ or failed/",
        usage="spoolview watch [FOLDER] [--once] [--rules FILE] [options]\n"
              "       spoolview watch --check-rules FILE [DOC|FOLDER ...]\n"
              "       spoolview watch --unit [system|user]",
        description="Watch FOLDER (inotify, or a scan every --interval seconds on shares) and send each complete "
        "document (renamed into place, or unchanged for --settle seconds) through the send job, to its own "
        "recipient. A sent document goes to --done, one that cannot be sent to --failed with a .log beside it "
        "saying why, one a rule holds to --hold with a .log naming the rule; a temporarily refused one stays and "
        "is retried with backoff. Several watchers may share one folder: each file is claimed by an atomic rename "
        "and sent once. --once: process what is there and exit (0 all sent or held, 3 some not, 1 none). Without "
        "FOLDER, the [watch] section of the settings gives the folder, the folders, the rules and the times "
        "(the options given still win). A configuration that cannot work (rules file, [watch]) exits with 2.",
    )
    p.add_argument("paths", type=Path, nargs="*", metavar="FOLDER",
                   help="the watched folder (default: watch.folder of the settings); with --check-rules: documents")
    p.add_argument("--once", action="store_true", help="process the complete files there now, then exit")
    p.add_argument("--done", type=Path, metavar="DIR", help="where sent documents go (default FOLDER/done)")
    p.add_argument("--failed", type=Path, metavar="DIR", help="where documents that were not sent go, with a .log (default FOLDER/failed)")
    p.add_argument("--hold", type=Path, metavar="DIR", help="where documents a rule holds for review go, with a .log (default FOLDER/hold)")
    p.add_argument("--rules", type=Path, metavar="FILE", help="rules (TOML): per kind, customer and file name, send or hold, "
                   "address type, template, protection (docs/batch.md)")
    p.add_argument("--check-rules", type=Path, metavar="FILE", help="check the rules file, print which rule each DOC "
                   "(or each document of a FOLDER) matches, and exit (0 fine, 2 errors in the file)")
    p.add_argument("--unit", nargs="?", const="system", choices=tuple(UNITS), help="print the systemd unit shipped with "
                   "spoolview for this command (ExecStart set to this spoolview) and exit: system (a service, default) or "
                   "user (a desktop session: systemctl --user)")
    p.add_argument("--settle", type=float, metavar="SECONDS", help="a file unchanged this long is complete (default 2)")
    p.add_argument("--interval", type=float, metavar="SECONDS", help="scan interval when inotify is not available (default 5)")
    p.add_argument("--jobs", type=_jobs, metavar="N", help="convert in N worker processes, a few files ahead of the sends "
                   "(still one at a time, in order); default 1 (watch.jobs)")
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
    hold: Path | None = None  # documents a rule holds (None: FOLDER/hold); made only when there are rules
    holds: bool = False  # rules are in force: a document may be held
    retries: dict[str, Retry] = field(default_factory=dict)
    renamed: set[str] = field(default_factory=set)  # renamed into the folder (inotify said so): complete at once
    backoff: tuple[float, ...] = (30.0, 60.0, 300.0, 900.0, 3600.0)
    stop: threading.Event = field(default_factory=threading.Event)  # set by SIGTERM: finish the document in hand
    # The conversions (``--jobs N``: N worker processes kept while the watcher runs, a few claimed files
    # ahead of the sends, which stay here, one at a time, in order); None: converted here, one at a time.
    pool: Ordered[Item, Converted] | None = None

    @property
    def work(self) -> Path:
        return self.folder / WORK

    @property
    def mine(self) -> Path:
        return self.work / str(os.getpid())

    @property
    def held(self) -> Path:
        return self.hold or self.folder / "hold"

    def prepare(self) -> None:
        for folder in (self.folder, self.done, self.failed, *([self.held] if self.holds else []), self.work, self.mine):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SpoolviewError(f"cannot create the folder {folder} ({exc.strerror or exc}): check its path and rights") from None
        self.reclaim()

    def reclaim(self) -> None:
        """Files claimed by a watcher that died (kill -9, power cut) go back into the folder."""
        for owner in self.work.iterdir():
            if not owner.name.isdigit() or pid_alive(int(owner.name)):
                continue
            for path in sorted(owner.iterdir(), key=lambda p: not _is_sidecar(p.name)):  # a sidecar before its document
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
            if name.startswith((".", "~")) or name.lower().endswith(_SKIP_SUFFIXES) or _is_sidecar(name):
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
        _rename_quietly(sidecar_path(path), sidecar_path(claimed))  # its DocInfo goes with it (text spools, print jobs)
        return claimed

    def handle(self, path: Path) -> Result | None:
        """Claim, send, then file ``path``; None when another watcher had it."""
        from viewer.commands._batch import Item

        claimed = self.claim(path)
        if claimed is None:
            return None
        try:
            result = self.batch.process(Item(claimed))
        except BaseException:
            _put_back(claimed, path)  # interrupted: the document stays to be sent
            raise
        return self.file(claimed, path, result)

    def file(self, claimed: Path, path: Path, result: Result) -> Result:
        """Move the claimed file where its ``result`` says (done, failed with a .log, hold, or back for a retry)."""
        from viewer.commands._batch import ALREADY, HELD, SENT, WORD_IDS
        from viewer.messages import text

        lang = self.batch.lang  # the .log and the line printed
        name = path.name
        if result.category in (SENT, ALREADY):
            self.retries.pop(name, None)
            _move(claimed, self.done, name)
        elif result.temporary:
            retry = self.retries.setdefault(name, Retry())
            delay = self.backoff[min(retry.attempts, len(self.backoff) - 1)]
            retry.attempts += 1
            retry.at = time.time() + delay
            _put_back(claimed, path)
            result = _with_text(result, text(lang, "watch.retry", text=result.text, folder=self.folder, delay=f"{delay:.0f}"))
        elif result.category == HELD:
            self.retries.pop(name, None)
            target = _move(claimed, self.held, name)
            _write_log(target, result, text(lang, "watch.log.held", name=target.name, time=f"{datetime.now():%Y-%m-%d %H:%M:%S}"),
                       text(lang, "watch.log.held.advice", target=target), lang)
        else:
            self.retries.pop(name, None)
            target = _move(claimed, self.failed, name)
            category = text(lang, f"batch.category.{WORD_IDS[result.category]}")
            _write_log(target, result, text(lang, "watch.log.failed", name=target.name, category=category,
                                            time=f"{datetime.now():%Y-%m-%d %H:%M:%S}"),
                       text(lang, "watch.log.failed.advice"), lang)
        return result

    def scan(self) -> list[Result]:
        """Claim, convert, send and file each complete document, in order; with a pool, the conversions
        of the next few claimed files run ahead in its workers while this process sends."""
        import contextlib

        from viewer.commands._batch import Item, _crashed
        from viewer.commands._workers import Ordered

        results: list[Result] = []
        claimed: dict[Path, Path] = {}  # claimed here and not filed yet -> its place in the folder

        def claims() -> Iterator[Item]:
            for path in self.complete():
                if self.stop.is_set():
                    return
                taken = self.claim(path)
                if taken is not None:  # else another watcher has it
                    claimed[taken] = path
                    yield Item(taken)

        pool = self.pool or Ordered(self.batch.conversion, 1, functools.partial(_crashed, lang=self.batch.lang))
        try:
            with contextlib.closing(pool.map(claims())) as converted:
                for item, done in converted:
                    result = self.batch.process(item, done)
                    result = self.file(item.path, claimed.pop(item.path), result)
                    print(f"{datetime.now():%Y-%m-%d %H:%M:%S} {result.text}", flush=True)
                    results.append(result)
                    if self.stop.is_set():
                        break  # SIGTERM: the document in hand is done; the others go back
        finally:
            for taken, path in claimed.items():  # claimed but not sent (stopped, interrupted): back for later
                try:
                    _put_back(taken, path)
                except OSError:
                    pass  # left in this watcher's work folder: the next watcher to start puts it back
            self.batch.lookups.forget()  # the next scan reads the directory afresh
        return results


def _free(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``... when taken (nothing is overwritten)."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while target.exists() or target.with_name(target.name + ".log").exists() or sidecar_path(target).exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def _is_sidecar(name: str) -> bool:
    """``NAME.meta.json``: the DocInfo of the document NAME.* beside it, never a document itself."""
    return name.lower().endswith(".meta.json")


def _rename_quietly(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
    except FileNotFoundError:
        pass  # no sidecar


def _put_back(claimed: Path, path: Path) -> None:
    """Back into the watched folder: the sidecar first, so that the document is never seen without it."""
    _rename_quietly(sidecar_path(claimed), sidecar_path(path))
    os.rename(claimed, path)


def _move(claimed: Path, folder: Path, name: str) -> Path:
    import shutil

    target = _free(folder, name)
    for source, dest in ((sidecar_path(claimed), sidecar_path(target)), (claimed, target)):
        if source.exists():
            try:
                os.rename(source, dest)
            except OSError:  # another file system: copy then remove
                shutil.move(str(source), str(dest))
    return target


def _write_log(target: Path, result: Result, first: str, advice: str, lang: str = "en") -> None:
    """``failed/NAME.log`` or ``hold/NAME.log``: what became of the document and why, in words (``lang``);
    a server's reply is quoted as received."""
    from viewer.commands._batch import HELD
    from viewer.messages import text

    lines = [first, "", result.text]
    if result.rule and result.category != HELD:  # a held document's text names its rule already
        lines += ["", text(lang, "watch.log.rule", rule=result.rule)]
    if result.outcome is not None:
        lines += ["", *result.outcome.summary_lines(duplicates=False, lang=lang)]
    lines += ["", advice]
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


@dataclass(frozen=True)
class Plan:
    """Where and how this watcher runs: the command line, else the [watch] section of the settings."""

    folder: Path
    done: Path
    failed: Path
    hold: Path
    rules: Path | None
    settle: float
    interval: float
    jobs: int = 1  # worker processes converting (--jobs, watch.jobs)


class ConfigError(SpoolviewError):
    """The watcher cannot start with this configuration (exit status 2: restarting will not help)."""


def plan(args: argparse.Namespace, settings: Settings) -> Plan:
    """The folders, rules and times: FOLDER and options as given; without FOLDER, [watch] fills in."""
    if len(args.paths) > 1:
        raise ConfigError(f"one FOLDER only (got {len(args.paths)}); run one watcher per folder")
    if args.paths:
        folder: Path = args.paths[0]
        watch = Watch()  # a FOLDER on the command line: the [watch] section is not used
    else:
        watch = settings.watch
        where = f"in {settings.path}" if settings.path else "in the settings"
        if not watch.folder.strip():
            raise ConfigError(f"no folder to watch: give FOLDER, or set watch.folder {where} "
                              "(spoolview settings set watch.folder /srv/erp/out) and watch.enabled = true")
        if not watch.enabled:
            raise ConfigError(f"the watched folder {watch.folder} is switched off {where} (watch.enabled = false): "
                              "run `spoolview settings set watch.enabled true`, or give FOLDER")
        folder = Path(watch.folder).expanduser()

    def chosen(option: Path | None, setting: str, default: str) -> Path:
        if option is not None:
            return option
        return Path(setting).expanduser() if setting.strip() else folder / default

    rules = args.rules or (Path(watch.rules).expanduser() if watch.rules.strip() else None)
    settle = args.settle if args.settle is not None else watch.settle
    interval = args.interval if args.interval is not None else watch.interval
    if settle < 0:
        raise ConfigError(f"--settle {settle:g}: the settle time cannot be negative")
    if interval < 0.1:
        raise ConfigError(f"--interval {interval:g}: the scan interval must be at least 0.1 second")
    jobs = args.jobs if args.jobs is not None else watch.jobs
    if not 1 <= jobs <= 64:
        raise ConfigError(f"watch.jobs = {jobs}: give a number of worker processes from 1 to 64")
    return Plan(folder, chosen(args.done, watch.done, "done"), chosen(args.failed, watch.failed, "failed"),
                chosen(args.hold, watch.hold, "hold"), rules, settle, interval, jobs)


def cmd_watch(args: argparse.Namespace) -> int:
    from viewer import settings as S
    from viewer import watchrules

    try:
        if args.unit:
            print(unit_text(args.unit), end="")
            return EXIT_OK
        settings = S.load()
        if args.check_rules is not None:
            return check_rules(args, settings)
        where = plan(args, settings)
        if not where.folder.is_dir():
            raise SpoolviewError(f"the folder {where.folder} does not exist: create it or check the path")
        password = ""
        if args.password_file is not None:
            from viewer.commands.documents import read_password

            password = read_password(args.password_file) or ""
        rules = watchrules.load(where.rules, settings, password=password) if where.rules is not None else None
    except (ConfigError, S.SettingsError, watchrules.RulesError) as exc:
        from viewer.cli import language
        from viewer.messages import said, text

        lang = language()
        print(text(lang, "cli.error", detail=said(exc, lang)), file=sys.stderr)
        return EXIT_CONFIG
    return _run(args, settings, where, rules)


def _run(args: argparse.Namespace, settings: Settings, where: Plan, rules: Rules | None) -> int:
    from viewer.commands._batch import SENT, Batch, _crashed
    from viewer.commands._workers import Ordered
    from viewer.messages import text

    batch = Batch(_batch_args(args), settings)
    watcher = Watcher(where.folder, where.done, where.failed, batch, settle=where.settle, hold=where.hold,
                      holds=rules is not None)
    try:
        if rules is not None:
            batch.use_rules(rules)  # before the workers are made: they get the conversion with its rules
        if where.jobs > 1:
            watcher.pool = Ordered(batch.conversion, where.jobs, functools.partial(_crashed, lang=batch.lang), keep=True,
                                  warm=batch.conversion.warm_up)
        watcher.prepare()
        if args.once:
            results = watcher.scan()
            print(batch.summary() if results else text(batch.lang, "watch.nothing", folder=where.folder))
            sent = sum(1 for r in results if r.category == SENT)
            if batch.status() == EXIT_OK:
                return EXIT_OK
            return EXIT_PARTIAL if sent else EXIT_FAILED
        return _loop(watcher, where.interval)
    finally:
        if watcher.pool is not None:
            watcher.pool.close()
        batch.close()
        try:
            watcher.mine.rmdir()
        except OSError:
            pass  # not empty (interrupted mid-claim: reclaimed by the next watcher) or never made


def check_rules(args: argparse.Namespace, settings: Settings) -> int:
    """`--check-rules FILE [DOC...]`: the file's problems (exit 2), else the rule each document matches."""
    from viewer import watchrules
    from viewer.cli import language
    from viewer.commands._batch import expand
    from viewer.docopen import open_document
    from viewer.messages import counted, describe, text

    lang = language()
    password = "(given to the watcher)" if args.password_file is not None else ""
    rules = watchrules.load(args.check_rules, settings, password=password)
    print(counted(lang, "watch.check.ok", len(rules.rules), file=args.check_rules))
    documents: list[Path] = []
    for path in args.paths:
        if path.is_dir():
            documents += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                                and not _is_sidecar(p.name) and not p.name.lower().endswith(_SKIP_SUFFIXES))
        else:
            documents += [item.path for item in expand([path], None)]
    status = EXIT_OK
    for path in documents:
        try:
            info = open_document(path, settings).info
        except Exception as exc:  # noqa: BLE001 - DocumentError, SpoolviewError, OSError: said for this document, the others go on
            reason = describe(exc, lang, file_name_only=True, named=path) if lang != "en" else str(exc)
            print(text(lang, "watch.check.unreadable", name=path.name, reason=reason))
            status = EXIT_FAILED
            continue
        about = [f"{info.kind} {info.number}".strip()] + ([text(lang, "watch.check.customer", customer=info.customer)]
                                                          if info.customer else [])
        decision = rules.choose(info, path.name)
        print(text(lang, "watch.check.line", name=path.name, about=", ".join(a for a in about if a) or text(lang, "watch.check.no_info"),
                   rule=decision.who(lang), decision=decision.describe(args.address_type, lang)))
    return status


def unit_text(kind: str = "system") -> str:
    """A shipped systemd unit (viewer/data/, ``kind`` system or user), ExecStart naming this spoolview."""
    from importlib.resources import files

    text = (files("viewer") / "data" / UNITS[kind]).read_text(encoding="utf-8")
    here = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "spoolview" else None
    if here is not None and here.is_file():
        text = text.replace(UNIT_EXEC, str(here))
    return text


def _loop(watcher: Watcher, interval: float) -> int:
    from viewer.messages import counted, text

    stop = watcher.stop
    wake = threading.Event()

    def on_term(signum: int, frame: object) -> None:
        stop.set()
        wake.set()

    signal.signal(signal.SIGTERM, on_term)
    if watcher.pool is not None:
        watcher.pool.start()  # the workers load the PDF libraries and fonts now, not on the first file
    else:
        watcher.batch.conversion.warm_up()
    observer = _wake_on_changes(watcher.folder, wake, watcher.renamed)
    lang = watcher.batch.lang
    how = "inotify" if observer is not None else text(lang, "watch.how.scan", interval=f"{interval:g}")
    rules = watcher.batch.rules
    held = counted(lang, "watch.start.held", len(rules.rules), source=rules.source, hold=watcher.held) if rules is not None else ""
    print(text(lang, "watch.start", folder=watcher.folder, how=how, done=watcher.done, failed=watcher.failed, held=held)
          + (text(lang, "watch.start.workers", jobs=watcher.pool.jobs) if watcher.pool is not None else ""),
          file=sys.stderr, flush=True)
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
