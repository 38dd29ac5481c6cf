"""Fixtures of the mail windows' tests: a hidden Tk root, a message-box recorder, an event pump."""

from __future__ import annotations

import gc
import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class Recorder:
    """Stands in for message boxes: records (kind, title, message); ``answer`` for yes/no questions."""

    answer: bool = True
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self, kind: str, title: str, message: str) -> Any:
        self.calls.append((kind, title, message))
        return self.answer if kind == "yesno" else None

    def kinds(self) -> list[str]:
        return [c[0] for c in self.calls]

    def last(self) -> tuple[str, str, str]:
        assert self.calls, "no message was shown"
        return self.calls[-1]


@pytest.fixture
def root():
    try:
        window = tk.Tk()
    except tk.TclError as exc:  # pragma: no cover - no display
        pytest.fail(f"no display ({exc}): the GUI tests run under Xvfb (pytest-xvfb); `make deps` installs it, "
                    "or run: sudo apt-get install -y --no-install-recommends xvfb xauth", pytrace=False)
    window.withdraw()
    yield window
    window.update_idletasks()
    window.destroy()
    # Collect the dead Tk objects here, on the main thread: collected later on a server or
    # worker thread, a tkinter Variable's __del__ calls Tcl from that thread and hangs it.
    gc.collect()


@pytest.fixture
def notify() -> Recorder:
    return Recorder()


@pytest.fixture
def pump(root) -> Callable[..., bool]:
    """Run the Tk event loop until ``predicate()`` holds (bounded); returns whether it did."""

    def run(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            root.update()
            if predicate():
                return True
            time.sleep(0.005)
        return predicate()

    return run
