"""Worker processes of `send --jobs N`: results in order, a crash costs one item, bounded look-ahead, clean stop."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.procs import still_running
from viewer.commands._workers import CRASHED, Ordered


@dataclass(frozen=True)
class Task:
    """Squares a number in whatever process runs it; ``crash``: the item that kills its process."""

    crash: int = -1
    hold: str = ""  # a file: wait until it exists before answering (the test decides when)

    def __call__(self, n: int) -> tuple[int, int]:
        if n == self.crash:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.hold:
            while not Path(self.hold).exists():
                time.sleep(0.01)
        return n * n, os.getpid()


def crashed(n: int, why: str) -> tuple[int, int]:
    return -1, 0


def test_one_job_runs_here_in_order():
    results = list(Ordered(Task(), 1, crashed).map(range(5)))
    assert results == [(n, (n * n, os.getpid())) for n in range(5)]


def test_two_jobs_run_in_other_processes_and_keep_the_order():
    results = list(Ordered(Task(), 2, crashed).map(range(30)))
    assert [n for n, _ in results] == list(range(30))
    assert [r[0] for _, r in results] == [n * n for n in range(30)]
    pids = {r[1] for _, r in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_a_crashing_item_is_its_own_failure_and_the_rest_goes_on():
    pool = Ordered(Task(crash=7), 2, crashed)
    results = dict(pool.map(range(20)))
    assert results[7] == (-1, 0)
    assert {n: r[0] for n, r in results.items() if n != 7} == {n: n * n for n in range(20) if n != 7}
    assert list(results) == list(range(20))
    assert pool.restarts == 1  # the pool lost with item 7 was replaced once; item 7 tried once more alone
    assert "worker process" in CRASHED


def test_look_ahead_is_bounded_whatever_the_count():
    pulled = []

    def source():
        for n in range(1000):
            pulled.append(n)
            yield n

    results = Ordered(Task(), 2, crashed).map(source())
    try:
        for consumed, _ in enumerate(results, 1):
            assert len(pulled) <= consumed + 4, "more than 2 x jobs documents converted ahead"
            if consumed == 50:
                break
    finally:
        results.close()
    assert len(pulled) <= 54


def test_stopping_early_terminates_the_workers(tmp_path):
    hold = tmp_path / "go"
    results = Ordered(Task(hold=str(hold)), 2, crashed).map(range(100))
    hold.touch()
    _, (_, pid) = next(results)
    hold.unlink()  # the next conversions wait: the workers are busy when the batch stops
    results.close()  # what Ctrl+C does through contextlib.closing in Batch.run
    assert not still_running({pid}), f"worker {pid} still running after the batch stopped"


def test_workers_ignore_ctrl_c_the_parent_handles_it(tmp_path):
    results = Ordered(Task(), 2, crashed).map(range(10))
    try:
        _, (_, pid) = next(results)
        os.kill(pid, signal.SIGINT)  # a terminal's Ctrl+C reaches the whole process group
        assert [n for n, _ in results] == list(range(1, 10))  # nothing lost, no crash
    finally:
        results.close()


@pytest.mark.parametrize("jobs", [0, 1])
def test_jobs_below_two_is_the_single_path(jobs):
    assert Ordered(Task(), jobs, crashed).jobs == 1


@dataclass(frozen=True)
class Warm:
    """A warm-up that leaves a file per worker process (what it loaded, for the test)."""

    folder: str

    def __call__(self) -> None:
        Path(self.folder, str(os.getpid())).touch()


def test_kept_workers_are_warmed_at_start_serve_every_map_and_stop_on_close(tmp_path):
    pool = Ordered(Task(), 2, crashed, keep=True, warm=Warm(str(tmp_path)))
    pool.start()
    warmed = {int(p.name) for p in tmp_path.iterdir()}
    assert len(warmed) == 2 and os.getpid() not in warmed  # both started and warmed before start() returned
    first = list(pool.map(range(6)))
    second = list(pool.map(range(6, 10)))  # the same workers: no new pool, no new warm-up
    assert [n for n, _ in first + second] == list(range(10))
    assert {r[1] for _, r in first + second} <= warmed
    assert {int(p.name) for p in tmp_path.iterdir()} == warmed
    pool.close()
    assert not still_running(set(warmed))
    assert [r[0] for _, r in pool.map(range(3))] == [0, 1, 4]  # after close(), a map starts workers again
    pool.close()
