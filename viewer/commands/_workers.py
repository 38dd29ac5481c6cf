"""Running a batch's conversions in worker processes (``send --jobs N``), handed back in document order.

``Ordered(task, jobs, crashed).map(items)`` yields ``(item, task(item))`` in the order of
``items``. With ``jobs`` 1 the task runs here, one item at a time: no pool, no process. With
more, ``jobs`` worker processes run it ahead of the consumer, at most ``2 * jobs`` items in
flight, so memory follows ``jobs`` and not the number of items. A worker that dies (a crash
in a PDF library, the out-of-memory killer) costs only the item it held: that item is run
once more alone, in a fresh worker, and if that one dies too ``crashed(item, why)`` stands
for its result; the batch goes on. Stopping early (Ctrl+C, an error, ``close()`` on the
generator) terminates the workers; workers also end by themselves when the parent dies
(kill -9), and ignore Ctrl+C, which is the parent's to handle. As with any multiprocessing
code, a script that runs a batch with ``jobs`` > 1 keeps its own start-up under
``if __name__ == "__main__":`` (the ``spoolview`` command does): a worker imports that script.

A long-running consumer (the watcher) passes ``keep=True``: the workers then stay between two
``map`` calls (each file dropped is not a new pool and new imports), ``start()`` starts them at
once (each running ``warm`` first), and ``close()`` stops them.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar

from viewer.procutil import pid_alive

__all__ = ["CRASHED", "Ordered"]

T = TypeVar("T")
R = TypeVar("R")

# What a worker's sudden death is called in a result (the item's own words follow it).
CRASHED = "the conversion stopped its worker process abruptly (a damaged file can crash a PDF library)"
_ORPHAN_CHECK = 0.5  # seconds between a worker's looks at whether its parent is still there
_START_WAIT = 120.0  # seconds Ordered.start waits at most for every worker to be warm (then the items just wait)

_task: Callable[..., object] | None = None  # the task of this worker process (set by _start)


def _start(task: Callable[..., object], parent: int, environ: dict[str, str], cwd: str,
           warm: Callable[[], None] | None = None) -> None:
    """Worker set-up: the parent's environment and folder as they are now (the fork server keeps
    those it started with), the task; leave Ctrl+C to the parent; end when the parent is gone;
    then ``warm`` (load what the task needs before its first item)."""
    global _task
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    _task = task
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(parent,), daemon=True, name="orphan-check").start()
    if warm is not None:
        warm()


def _ready() -> int:
    """A task that makes the pool start a worker and says which one answered (``Ordered.start``)."""
    time.sleep(0.02)
    return os.getpid()


def _end_with(parent: int) -> None:
    """Exit this worker once the batch's process has died (kill -9: no one would read its results).

    Not its parent process: a fork server's workers outlive the batch only through this (they
    hold the pipe whose end would stop the fork server).
    """
    if hasattr(os, "pidfd_open"):  # Linux: woken by the process's end itself, no pid reuse
        try:
            handle = os.pidfd_open(parent)
        except OSError:
            os._exit(1)  # already gone
        select.select([handle], [], [])
    elif os.name == "posix":
        while pid_alive(parent):
            time.sleep(_ORPHAN_CHECK)
    else:
        return  # Windows: spawned workers end with the broken pipe to their parent
    os._exit(1)


def _run(item: object) -> object:
    assert _task is not None, "worker not started through Ordered"
    return _task(item)


def _context() -> multiprocessing.context.BaseContext:
    """A fork server where there is one (workers forked from a clean, preloaded process; never from a
    parent holding open connections and threads), else fresh interpreters."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Nothing preloaded: the fork server stays small, and the workers import the PDF libraries
        # side by side (the same time as the fork server importing them once, less memory in all).
        ctx.set_forkserver_preload([])
        return ctx
    return multiprocessing.get_context("spawn")


class Ordered(Generic[T, R]):
    """``task`` over items in order, in ``jobs`` worker processes (see the module docstring).

    ``task`` must be picklable (a module-level function or a dataclass instance with ``__call__``);
    ``crashed(item, why)`` makes the result of an item whose worker died twice.
    """

    def __init__(self, task: Callable[[T], R], jobs: int, crashed: Callable[[T, str], R], *, keep: bool = False,
                 warm: Callable[[], None] | None = None) -> None:
        self.task, self.jobs, self.crashed = task, max(1, jobs), crashed
        self.keep, self.warm = keep, warm
        self.restarts = 0  # workers pools replaced after a crash (for tests and figures)
        self._kept: ProcessPoolExecutor | None = None  # keep=True: the pool between two map() calls

    def start(self) -> None:
        """With workers and ``keep``: start them now, each loading what ``warm`` loads, and return once
        every one can take an item (a worker runs ``warm`` before its first task)."""
        if self.jobs > 1 and self.keep and self._kept is None:
            pool = self._kept = self._pool(self.jobs)
            seen: set[int] = set()
            deadline = time.monotonic() + _START_WAIT
            try:
                while len(seen) < self.jobs and time.monotonic() < deadline:
                    # Each answer holds its worker a moment, so that the others (once warm) answer too.
                    seen.update(f.result() for f in [pool.submit(_ready) for _ in range(self.jobs)])
            except BrokenProcessPool:
                _stop(pool)  # a worker died warming up: the first item meets a fresh pool
                self._kept = None

    def close(self) -> None:
        """Stop the workers kept between two ``map`` calls (keep=True)."""
        pool, self._kept = self._kept, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def map(self, items: Iterable[T]) -> Generator[tuple[T, R], None, None]:
        if self.jobs == 1:
            for item in items:
                yield item, self.task(item)
            return
        yield from self._parallel(iter(items))

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start,
                                   initargs=(self.task, os.getpid(), dict(os.environ), os.getcwd(), self.warm))

    def _parallel(self, source: Iterator[T]) -> Iterator[tuple[T, R]]:
        pool, self._kept = self._kept or self._pool(self.jobs), None
        pending: deque[tuple[T, Future[object]]] = deque()
        finished = False
        try:
            while True:
                for item in source:  # top up the look-ahead
                    pending.append((item, _submit(pool, item)))
                    if len(pending) >= 2 * self.jobs:
                        break
                if not pending:
                    finished = True
                    return
                item, future = pending.popleft()
                try:
                    result: R = future.result()  # type: ignore[assignment]  # _run returns what task returns
                except BrokenProcessPool:
                    # A worker died: the pool is lost with every item in flight. This item is run
                    # alone (was it the one?), the others start again in a fresh pool.
                    _stop(pool)
                    self.restarts += 1
                    result = self._alone(item)
                    pool = self._pool(self.jobs)
                    pending = deque((i, _submit(pool, i)) for i, _ in pending)
                yield item, result
        finally:
            if finished and self.keep:
                self._kept = pool  # the workers wait for the next map()
            elif finished:
                pool.shutdown(wait=True)
            else:
                _stop(pool)  # stopped early (Ctrl+C, an error, close()): its work in hand is dropped

    def _alone(self, item: T) -> R:
        pool = self._pool(1)
        try:
            return pool.submit(_run, item).result()  # type: ignore[return-value]  # as in _parallel
        except BrokenProcessPool:
            return self.crashed(item, CRASHED)
        finally:
            _stop(pool)


def _submit(pool: ProcessPoolExecutor, item: object) -> Future[object]:
    """``item`` submitted to ``pool``; a pool found broken gives a future holding that failure."""
    try:
        return pool.submit(_run, item)
    except BrokenProcessPool as exc:
        failed: Future[object] = Future()
        failed.set_exception(exc)
        return failed


def _stop(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's workers now (their work in hand is dropped), then release the pool."""
    # Python 3.14 has pool.terminate_workers(); before it, the processes are only reachable here.
    for process in list((pool._processes or {}).values()):
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
