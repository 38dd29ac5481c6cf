"""pid_alive: a running process, an ended one, a zombie, another user's."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from viewer.procutil import pid_alive


def test_running_ended_and_zombie() -> None:
    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    end = time.monotonic() + 20
    while time.monotonic() < end:  # exited but not reaped yet: a zombie, dead for us
        with open(f"/proc/{child.pid}/stat", "rb") as fh:
            if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                break
        time.sleep(0.01)
    assert not pid_alive(child.pid)
    child.wait()
    assert not pid_alive(child.pid)  # reaped: gone


def test_another_users_process_is_alive() -> None:
    assert pid_alive(1)  # init: signalling it may be refused, it still runs
