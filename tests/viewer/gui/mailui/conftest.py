"""Fixtures of the mail windows' tests: a hidden Tk root, a message-box recorder, an event pump."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.viewer.gui.conftest import collect_tk_garbage


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
    collect_tk_garbage()


@pytest.fixture
def notify() -> Recorder:
    return Recorder()


def wait_until(root, predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Run the Tk event loop until ``predicate()`` holds (bounded); returns whether it did."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        root.update()
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


@pytest.fixture
def pump(root) -> Callable[..., bool]:
    """``wait_until`` on the test's root."""
    return lambda predicate, timeout=20.0: wait_until(root, predicate, timeout)


# -- the batch dialog's documents (test_batchrun, test_batch_dialog) ----------------------------


def batch_address(i: int) -> str:
    return f"compta{i:02d}@client{i:02d}.example"


@pytest.fixture
def batch_documents(tmp_path, samples):
    """``batch_documents(count, corrupt=(), nobody=())``: invoices facture-NN.spv for customers CLInnn in the
    local directory (CLInnn -> compta NN), some corrupt, some for a customer without address; returns the paths."""
    import json

    from viewer import settings as settings_mod
    from viewer.directory import open_directory

    def make(count: int, corrupt: tuple[int, ...] = (), nobody: tuple[int, ...] = ()) -> list:
        customers = tmp_path / "customers.csv"
        rows = ["code;name;email;email2;fax;fax2;default_devis;default_facture"]
        rows += [f"CLI{i:03d};Client {i};{'' if i in nobody else batch_address(i)};;;;;" for i in range(1, count + 1)]
        customers.write_text("\n".join(rows) + "\n", encoding="utf-8")
        contacts = tmp_path / "contacts.csv"
        contacts.write_text("code;customer;name;email;fax\n", encoding="utf-8")
        with open_directory(settings_mod.Settings()) as directory:
            directory.import_csv(customers, contacts)
        base = json.loads((samples / "devis-D2026-0042.spv").read_text(encoding="utf-8"))
        folder = tmp_path / "out"
        folder.mkdir(exist_ok=True)
        files = []
        for i in range(1, count + 1):
            path = folder / f"facture-{i:02d}.spv"
            if i in corrupt:
                path.write_text('{"format": "spv", "version": 1, "info": ', encoding="utf-8")
            else:
                doc = json.loads(json.dumps(base))
                doc["info"].pop("contact", None)
                doc["info"].update(kind="facture", number=f"F2026-{i:04d}", customer=f"CLI{i:03d}",
                                   title=f"Facture F2026-{i:04d}")
                doc["pages"] = doc["pages"][:1]
                path.write_text(json.dumps(doc), encoding="utf-8")
            files.append(path)
        return files

    return make


def direct_settings(port: int):
    """Settings sending straight to the loopback SMTP server on ``port``, with a From identity."""
    from viewer import settings as settings_mod

    s = settings_mod.Settings()
    s.printing.no_save_offer = True
    s.functions.send_direct, s.functions.host, s.functions.port = True, "127.0.0.1", port
    s.functions.from_identity = "Ventes <ventes@example.com>"
    return s
