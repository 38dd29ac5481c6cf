"""V9 printing through the system: CUPS ``lp``/``lpstat`` on Linux and macOS, the print verb on Windows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tkinter as tk
from dataclasses import dataclass
from pathlib import Path
from tkinter import ttk

from viewer.errors import SpoolviewError
from viewer.gui.dialogs import Dialog
from viewer.gui.i18n import _

TIMEOUT = 30  # seconds for one lp/lpstat call


class PrintError(SpoolviewError):
    """Printing is impossible or failed; the text says why and what to do."""


@dataclass
class Printers:
    names: list[str]
    default: str | None


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except FileNotFoundError:
        raise PrintError(_("print.no_system")) from None
    except subprocess.TimeoutExpired:
        raise PrintError(_("print.timeout", command=args[0])) from None


def list_printers() -> Printers:
    """The CUPS destinations and the default one; PrintError when there is none."""
    if shutil.which("lpstat") is None:
        raise PrintError(_("print.no_system"))
    listing = _run(["lpstat", "-e"])
    names = [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]
    if not names:
        raise PrintError(_("print.no_printer"))
    default = None
    answer = _run(["lpstat", "-d"])
    if answer.returncode == 0 and ":" in answer.stdout:
        default = answer.stdout.split(":", 1)[1].strip() or None
    return Printers(names, default if default in names else None)


def print_file(path: Path, printer: str, copies: int = 1) -> str:
    """Send ``path`` to ``printer``; returns lp's answer (the job id line)."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        for _n in range(max(1, copies)):
            os.startfile(str(path), "print")  # type: ignore[attr-defined]  # Windows only
        return ""
    if shutil.which("lp") is None:
        raise PrintError(_("print.no_system"))
    result = _run(["lp", "-d", printer, "-n", str(max(1, copies)), "--", str(path)])
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise PrintError(_("print.failed", printer=printer, detail=detail[-1] if detail else result.returncode))
    return result.stdout.strip()


def printable_path(document) -> tuple[Path, bool]:
    """A file the printing system understands (PDF): the document itself or a temporary PDF.

    Returns (path, temporary); the caller removes a temporary file after printing.
    """
    if document.source == "pdf":
        return Path(document.path), False
    from formats.pdf import to_pdf

    data = to_pdf(document)
    fd, name = tempfile.mkstemp(prefix="spoolview-print-", suffix=".pdf")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return Path(name), True


class PrintDialog(Dialog):
    """Printer choice and number of copies; ``.result`` = (printer, copies)."""

    kind = "print"

    def __init__(self, parent: tk.Misc, printers: Printers, *, _utest: bool = False) -> None:
        self.printers = printers
        super().__init__(parent, _("print.title"), _utest=_utest)

    def body(self, frame: ttk.Frame) -> None:
        ttk.Label(frame, text=_("print.printer")).grid(row=0, column=0, sticky="w")
        self.printer = ttk.Combobox(frame, values=self.printers.names, state="readonly", width=30)
        self.printer.set(self.printers.default or self.printers.names[0])
        self.printer.grid(row=0, column=1, sticky="we", padx=(8, 0))
        ttk.Label(frame, text=_("print.copies")).grid(row=1, column=0, sticky="w", pady=(6, 0))
        self.copies = ttk.Spinbox(frame, from_=1, to=999, width=6)
        self.copies.set("1")
        self.copies.grid(row=1, column=1, sticky="w", padx=(8, 0), pady=(6, 0))

    def entry_ok(self) -> tuple[str, int] | None:
        printer = self.printer.get()
        if printer not in self.printers.names:
            self.error_var.set(_("print.choose_printer"))
            return None
        try:
            copies = int(self.copies.get())
        except ValueError:
            copies = 0
        if not 1 <= copies <= 999:
            self.error_var.set(_("print.bad_copies"))
            return None
        return printer, copies


def print_document(parent: tk.Misc, document) -> str | None:
    """The whole print command: choose a printer, convert if needed, print. Raises PrintError.

    Returns lp's answer, or None when the user cancelled.
    """
    printers = Printers([], None) if sys.platform == "win32" else list_printers()
    if sys.platform != "win32":
        choice = PrintDialog(parent, printers).result
        if choice is None:
            return None
        printer, copies = choice
    else:  # pragma: no cover - Windows only
        printer, copies = "", 1
    path, temporary = printable_path(document)
    try:
        return print_file(path, printer, copies)
    finally:
        if temporary and sys.platform != "win32":
            path.unlink(missing_ok=True)
