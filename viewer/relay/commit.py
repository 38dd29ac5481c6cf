"""Group commit for the listener: messages of concurrent sessions made durable together before their 250."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future

from viewer.relay.queue import Queue

__all__ = ["GroupCommit"]

log = logging.getLogger("viewer.relay.listener")


class GroupCommit:
    """A few threads write what the sessions hand them, in groups, into the queue's incoming folder.

    While a group is being flushed to disk, the messages that arrive wait for the next one,
    so eight sessions pay about two disk flushes per group instead of two per message
    (``Queue.store_batch``). A message's future is resolved (queue id, or the OSError) only
    once its group is durable: the session answers ``250`` after that, never before.
    """

    MAX_GROUP = 64
    # Groups in flight at once: while some wait for the disk, the next is written. With 2,
    # at ~250 msg/s and 1.9 messages a group both threads were busy most of the time (a group
    # takes two disk flushes) and new messages queued for a thread; the file system merges
    # the flushes of concurrent groups into the same journal commits.
    THREADS = 4

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self._pending: list[tuple[bytes, Future[str] | asyncio.Future[str]]] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self.groups = 0  # flushes done (figures for the benchmark)
        self.messages = 0

    def start(self) -> GroupCommit:
        for n in range(self.THREADS):
            thread = threading.Thread(target=self._run, name=f"relay-commit-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def submit(self, data: bytes) -> Future[str]:
        """Queue ``data`` (pickup format); the future gives its queue id once it is durable."""
        future: Future[str] = Future()
        self._enqueue(data, future)
        return future

    def submit_async(self, data: bytes) -> asyncio.Future[str]:
        """``submit`` for a session on an event loop: the futures of a group are settled in one
        call into their loop (one wake-up of the loop per group, not one per message)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._enqueue(data, future)
        return future

    def _enqueue(self, data: bytes, future: Future[str] | asyncio.Future[str]) -> None:
        """Hand ``data`` to the commit threads, or fail ``future`` at once when stopping."""
        with self._cond:
            if self._stopping:
                future.set_exception(OSError("the relay is stopping"))
                return
            self._pending.append((data, future))
            self._cond.notify()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what was handed over, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if not self._pending:
                    return
                group = self._pending[: self.MAX_GROUP]
                del self._pending[: self.MAX_GROUP]
            try:
                ids = self.queue.store_batch([data for data, _ in group])
            except BaseException as exc:
                error = exc if isinstance(exc, OSError) else OSError(str(exc))
                _settle([(future, None, error) for _, future in group])
                if not isinstance(exc, Exception):
                    raise
                continue
            with self._cond:
                self.groups += 1
                self.messages += len(group)
            _settle([(future, qid, None) for (_, future), qid in zip(group, ids, strict=True)])


def _settle(results: list[tuple[Future[str] | asyncio.Future[str], str | None, OSError | None]]) -> None:
    """Resolve a group's futures: thread futures at once, each event loop's in one call into it."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[str], str | None, OSError | None]]] = {}
    for future, qid, error in results:
        if isinstance(future, asyncio.Future):
            by_loop.setdefault(future.get_loop(), []).append((future, qid, error))
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(qid or "")
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_in_loop, items)
        except RuntimeError:  # the loop was closed: nobody waits any more
            pass


def _settle_in_loop(items: list[tuple[asyncio.Future[str], str | None, OSError | None]]) -> None:
    for future, qid, error in items:
        if future.done():  # the session was cancelled meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(qid or "")
