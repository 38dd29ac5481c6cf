"""The relay service: pickup + listener feed the queue, a pool delivers; clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from viewer.fsutil import private_dir, private_file
from viewer.relay.acceptor import ListenerPool
from viewer.relay.config import ConfigError, RelayConfig, listener_processes
from viewer.relay.delivery import Deliverer, DeliveryPool, RouteFactory, smarthost_route
from viewer.relay.journal import Journal
from viewer.relay.listener import Listener
from viewer.relay.logtext import RepeatFilter, SafeFormatter
from viewer.relay.message import Parsed
from viewer.relay.pickup import PickupFolder, start_observer
from viewer.relay.queue import Queue, QueueStatus

__all__ = ["RelayService", "open_queue", "setup_logging"]

log = logging.getLogger("viewer.relay")


def open_queue(config: RelayConfig, *, create: bool = True) -> Queue:
    """The queue described by ``config``: folders created, or (``create=False``) required to exist."""
    queue = Queue(config.queue_dir, badmail=config.badmail_dir, lease=config.queue.lease_seconds)
    if not create:
        if not config.queue_dir.is_dir():
            raise ConfigError(f"queue folder {config.queue_dir} does not exist: the relay has not run yet, "
                              f"or queue.folder in {config.path or 'relay.toml'} is wrong")
        return queue
    with _folder("queue.folder / queue.badmail_folder", config):
        queue.ensure()
    return queue


@contextmanager
def _folder(key: str, config: RelayConfig) -> Iterator[None]:
    """An OSError creating a configured folder becomes one line naming the setting."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or "?"
        raise ConfigError(f"cannot create the folder {where} ({exc.strerror or exc}): create it yourself "
                          f"or change {key} in {config.path or 'relay.toml'}") from None


def setup_logging(config: RelayConfig, *, stderr: bool = True) -> None:
    """Log the service to stderr and to ``relay.log`` in the log folder."""
    logger = logging.getLogger("viewer.relay")
    logger.setLevel(getattr(logging, config.log.level.upper(), logging.INFO))
    # aiosmtpd's own warnings (bogus commands, aborted AUTH) belong in the same log; its
    # INFO lines (one per command) would drown the relay's.
    smtpd_logger = logging.getLogger("mail.log")
    smtpd_logger.setLevel(max(logging.WARNING, logger.level))
    # asyncio's own errors (an accept() failing with EMFILE) are the listener's too.
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.setLevel(max(logging.WARNING, logger.level))
    loggers = (logger, smtpd_logger, asyncio_logger)
    fmt = SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    repeats = RepeatFilter()
    for lg in loggers:
        lg.propagate = False
        for h in list(lg.handlers):
            if getattr(h, "_spoolview_relay", False):
                lg.removeHandler(h)
                h.close()
    with _folder("log.folder" if config.log.folder else "queue.folder (the log folder is inside it)", config):
        private_dir(config.log_dir)
        path = config.log_dir / config.log.service_log
        private_file(path)
        handlers: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8")]
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(repeats)
        h._spoolview_relay = True  # type: ignore[attr-defined]  # marks our handler on a stdlib object
        for lg in loggers:
            lg.addHandler(h)


class RelayService:
    """One relay process. ``start()``/``stop()`` for embedding, ``run()`` for the foreground command."""

    def __init__(self, config: RelayConfig, route_factory: RouteFactory | None = None) -> None:
        self.config = config
        self.queue = Queue(config.queue_dir, badmail=config.badmail_dir, lease=config.queue.lease_seconds)
        self.journal = Journal(config.log_dir / config.log.journal, errors_only=config.log.journal_errors_only)
        self.deliverer = Deliverer(config, self.queue, self.journal)
        factory = route_factory or (lambda: smarthost_route(config))
        self.pool = DeliveryPool(self.deliverer, factory, connections=config.smarthost.connections,
                                 idle_close=config.smarthost.idle_close, on_done=self._done)
        self.pickup = (PickupFolder(config.pickup.folder, self.queue, max_size=config.queue.max_message_size,
                                    settle=config.pickup.settle_seconds)
                       if config.pickup.folder else None)
        self.listener: Listener | ListenerPool | None = None
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self._observer = None
        self._thread: threading.Thread | None = None
        self._pickup_wake = threading.Event()
        self._pickup_thread: threading.Thread | None = None
        self.stopped = threading.Event()
        self.stopping_requested = threading.Event()
        # name -> (path, the pickup's parse or None, queued by this process and never tried)
        self._ready: OrderedDict[str, tuple[Path, Parsed | None, bool]] = OrderedDict()
        self._room = threading.Event()  # set when the ready list has room for the pickup
        self._ready_lock = threading.Lock()
        self._deferred_changed = False
        self._sent = 0  # messages moved to sent/ since the last purge
        self._purge = threading.Event()
        self._purge_thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------
    def start(self) -> RelayService:
        """Recover from disk, then start delivery, pickup and the listener; returns at once."""
        with _folder("queue.folder / queue.badmail_folder", self.config):
            self.queue.ensure()
        if self.pickup:  # before anything runs: a wrong folder stops the start with one line
            with _folder("pickup.folder", self.config):
                private_dir(Path(self.config.pickup.folder), tighten=False)
        self.queue.register()
        try:
            taken = self.queue.recover()
            if taken:
                log.info("took back %d message(s) left in flight by a stopped relay process", taken)
            self.pool.start()
            if self.pickup and self.config.pickup.events:
                self._observer = start_observer(Path(self.config.pickup.folder), self._pickup_event)
            if self.config.listener.enabled:
                processes = listener_processes(self.config.listener)
                listener: Listener | ListenerPool = (
                    Listener(self.config, self.queue, on_queued=self._queued) if processes == 1
                    else ListenerPool(self.config, processes, on_queued=self._queued))
                listener.start()
                self.listener = listener
        except BaseException:  # e.g. the listener's port is taken: undo what started
            self.stop(timeout=5)
            raise
        self._thread = threading.Thread(target=self._loop, name="relay-main", daemon=True)
        self._thread.start()
        if self.pickup:
            self._pickup_thread = threading.Thread(target=self._pickup_loop, name="relay-pickup", daemon=True)
            self._pickup_thread.start()
        self._purge_thread = threading.Thread(target=self._purge_loop, name="relay-purge", daemon=True)
        self._purge_thread.start()
        if not self.pickup and not self.config.listener.enabled:
            log.warning("neither pickup.folder nor the listener is set: this relay only delivers what is already queued")
        log.info("relay started (queue %s, pickup %s, smart host %s:%s, %d connection(s))", self.config.queue_dir,
                 self.config.pickup.folder or "none", self.config.smarthost.host, self.config.smarthost.effective_port,
                 self.config.smarthost.connections)
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """Stop taking work, finish what is being sent, hand the rest back to the queue."""
        if self.stopping.is_set():
            self.stopped.wait(timeout)
            return
        self.stopping.set()
        self.wake.set()
        if self.listener:
            self.listener.stop()
        if self._observer is not None:
            self._observer.stop()
        self._pickup_wake.set()
        self._room.set()
        if self._pickup_thread:
            self._pickup_thread.join(timeout)
        if self._thread:
            self._thread.join(timeout)
        for path in self.pool.stop(timeout):
            self.queue.release(path)
        self._purge.set()
        if self._purge_thread:
            self._purge_thread.join(timeout)
        self.queue.purge_sent()
        if self._observer is not None:
            self._observer.join(5)
        self.queue.unregister()
        self.journal.close()
        log.info("relay stopped")
        self.stopped.set()

    def run(self) -> int:
        """Foreground: run until SIGTERM or SIGINT, then stop cleanly."""
        def ask_stop(signum, frame) -> None:
            log.info("signal %s: stopping", signal.Signals(signum).name)
            self.stopping_requested.set()
            self.wake.set()

        # Run by hand (not under the unit's UMask=0077), the logs, the journal and anything
        # else this process creates would follow the shell's umask (022: readable by all).
        os.umask(0o077)
        previous = {s: signal.signal(s, ask_stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()  # stops what it started itself when it fails
        except BaseException:
            for s, h in previous.items():
                signal.signal(s, h)
            raise
        try:
            while not self.stopping_requested.wait(1.0):
                pass
        finally:
            self.stop()
            for s, h in previous.items():
                signal.signal(s, h)
        return 0

    # -- the loop -----------------------------------------------------------------------
    # The loop keeps the paths it knows are ready (picked up or received here) in memory and
    # lists the queue folders only every scan interval (other processes, deferred messages
    # whose time came), so a large backlog costs no folder listing per message.
    #
    # A picked-up message travels with its parse (the file is never modified after the
    # pickup checked it), so delivery neither reads nor parses it again. To bound the memory
    # this holds, the pickup waits while READY_MAX messages are ready: a backlog stays in
    # the pickup folder (as safe there as in the queue) instead of in memory, and the pickup
    # does not compete for the CPU with the deliveries it is already ahead of. Only messages
    # up to CARRY_MAX bytes travel in memory (at most ~40 MB in all); a larger one is read
    # again at delivery, where parsing costs little next to sending it.
    PICKUP_BATCH = 64
    READY_MAX = 256
    CARRY_MAX = 128 * 1024
    PURGE_EVERY = 64

    def _pickup_event(self) -> None:
        self._pickup_wake.set()

    def _pickup_loop(self) -> None:
        """Its own thread, so picking up a backlog never starves delivery."""
        assert self.pickup is not None
        while not self.stopping.is_set():
            self._pickup_wake.clear()
            with self._ready_lock:
                full = len(self._ready) >= self.READY_MAX
                if full:
                    self._room.clear()
            if full:
                self._room.wait(self.config.pickup.scan_interval)
                continue
            more = False
            try:
                taken, more = self.pickup.take_parsed(self.PICKUP_BATCH)
                if taken:
                    with self._ready_lock:
                        for path, parsed in taken:
                            carried = parsed if len(parsed.content) <= self.CARRY_MAX else None
                            self._ready[path.name] = (path, carried, True)
                    self.wake.set()
            except Exception:
                log.exception("pickup scan failed; continuing")
            if not more:
                self._pickup_wake.wait(self.config.pickup.scan_interval)

    def _queued(self, qid: str, parsed: Parsed | None) -> None:
        """A message the listener made durable: delivery takes the listener's parse, not the file's
        (None: a worker process received it; delivery reads the file)."""
        carried = parsed if parsed is not None and len(parsed.content) <= self.CARRY_MAX else None
        with self._ready_lock:
            self._ready[f"{qid}.eml"] = (self.queue.incoming / f"{qid}.eml", carried, True)
        self.wake.set()

    def _done(self, path: Path, state: str) -> None:
        if state == "deferred":
            self._deferred_changed = True
        elif state in ("sent", "failed"):
            self._sent += 1  # (a lost update only delays a purge)
            if self._sent >= self.PURGE_EVERY:
                self._purge.set()
        if state == "deferred" or self.pool.load <= self.config.smarthost.connections:
            self.wake.set()  # (not after every message: the loop refills the pool in batches)

    def _purge_loop(self) -> None:
        """Delete delivered messages from sent/ in bulk, off the delivery threads (see Queue.done)."""
        while not self.stopping.is_set():
            self._purge.wait(self.config.pickup.scan_interval)
            self._purge.clear()
            self._sent = 0
            try:
                self.queue.purge_sent()
            except OSError:
                log.exception("cannot empty %s; retrying later", self.queue.sent)

    def _loop(self) -> None:
        scan_every = self.config.pickup.scan_interval
        beat_every = max(0.5, min(self.config.queue.lease_seconds / 4, 30.0))
        next_beat = next_full = 0.0
        next_deferred: float | None = None
        while not self.stopping.is_set():
            self.wake.clear()
            now = time.monotonic()
            try:
                if now >= next_beat:
                    self.queue.heartbeat()
                    if self.queue.recover():
                        log.info("took back messages of a relay process that stopped answering")
                        next_full = 0.0
                    next_beat = now + beat_every
                if self._deferred_changed:  # a message was just deferred: when is the next one due?
                    self._deferred_changed = False
                    next_deferred = self.queue.next_due()
                deferred_due = next_deferred is not None and next_deferred <= time.time()
                if now >= next_full or (deferred_due and not self._ready):
                    next_deferred = self._full_scan()
                    next_full = now + scan_every
                self._dispatch()
            except Exception:
                log.exception("relay loop step failed; continuing")
            timeout = min(next_full, next_beat) - time.monotonic()
            if next_deferred is not None and next_deferred > time.time():  # (a past one waits for a free slot)
                timeout = min(timeout, next_deferred - time.time())
            self.wake.wait(max(0.005, timeout))

    def _full_scan(self) -> float | None:
        """Add every due message to the ready list; return when the next deferred one is due."""
        found, later = self.queue.scan()
        with self._ready_lock:
            for path in found:
                self._ready.setdefault(path.name, (path, None, False))
        return later

    @property
    def _capacity(self) -> int:
        """Claimed messages handed to the pool at most: a few per connection, so the loop is
        woken once per batch (when the pool is down to one per connection), not per message."""
        return self.config.smarthost.connections * 8

    def _dispatch(self) -> None:
        room = self._capacity - self.pool.load
        while room > 0 and not self.stopping.is_set():
            with self._ready_lock:
                if not self._ready:
                    return
                _, (path, parsed, fresh) = self._ready.popitem(last=False)
                if len(self._ready) < self.READY_MAX // 2:
                    self._room.set()
            claimed = self.queue.claim(path)
            if claimed is not None:
                self.pool.submit(claimed, parsed, fresh=fresh)
                room -= 1

    # -- administration -----------------------------------------------------------------
    def status(self) -> QueueStatus:
        return self.queue.status()
