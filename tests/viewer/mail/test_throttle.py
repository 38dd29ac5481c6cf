"""The delay between two sends, across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from viewer.mail.throttle import Throttle

ROOT = Path(__file__).resolve().parents[3]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_zero_delay_never_waits_nor_touches_disk(tmp_path):
    assert Throttle(0, tmp_path / "d").wait() == 0
    assert not (tmp_path / "d").exists()


def test_waits_the_remaining_gap(tmp_path):
    clock = FakeClock()
    throttle = Throttle(15, tmp_path, clock=clock, sleep=clock.sleep)
    assert throttle.wait() == 0
    clock.now += 4
    assert throttle.wait() == 11
    clock.now += 20
    assert throttle.wait() == 0
    assert clock.slept == [11]


def test_clock_set_back_waits_at_most_the_delay(tmp_path):
    clock = FakeClock()
    throttle = Throttle(5, tmp_path, clock=clock, sleep=clock.sleep)
    throttle.wait()
    clock.now -= 3600
    assert throttle.wait() == 5


def test_garbage_stamp_is_ignored(tmp_path):
    (tmp_path / "last-send").write_text("garbage")
    clock = FakeClock()
    assert Throttle(5, tmp_path, clock=clock, sleep=clock.sleep).wait() == 0


SENDER = textwrap.dedent(
    """
    import sys
    from viewer.mail.throttle import Throttle
    throttle = Throttle(float(sys.argv[2]), sys.argv[1])
    for _ in range(3):
        throttle.wait()
        print(repr(throttle.last_stamp), flush=True)
    """
)


def test_two_processes_respect_the_gap(tmp_path):
    delay = 0.25
    procs = [subprocess.Popen([sys.executable, "-c", SENDER, str(tmp_path), str(delay)], cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    times = sorted(float(line) for p in procs for line in p.communicate(timeout=60)[0].split())
    assert [p.returncode for p in procs] == [0, 0]
    assert len(times) == 6
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= delay * 0.99, gaps  # lower bound only: turns never closer than the delay
