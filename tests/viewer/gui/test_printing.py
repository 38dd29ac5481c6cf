"""Printing through CUPS commands (fake lp/lpstat on PATH), the print dialog, clear errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from viewer.gui import printing
from viewer.gui.printing import PrintDialog, PrintError, Printers


@pytest.fixture
def fake_cups(tmp_path, monkeypatch):
    """Write fake lpstat/lp scripts; ``fake_cups(printers=[...], default=..., lp_fails=False)``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "lp.log"

    def make(printers=("Office", "Accounting"), default="Accounting", lp_fails=False):
        names = "\n".join(printers)
        scripts = {
            "lpstat": f"""#!/bin/sh
if [ "$1" = "-e" ]; then printf '%s' '{names}'; [ -n '{names}' ] && echo; exit 0; fi
if [ "$1" = "-d" ]; then {"echo 'system default destination: " + default + "'" if default else "echo 'no system default destination'"}; exit 0; fi
exit 1
""",
            "lp": f"""#!/bin/sh
echo "$@" >> '{log}'
{"echo 'lp: The printer or class does not exist.' >&2; exit 1" if lp_fails else "echo 'request id is Office-42 (1 file(s))'"}
""",
        }
        for name, text in scripts.items():
            path = bin_dir / name
            path.write_text(text)
            path.chmod(path.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        return log

    return make


def test_lists_printers_and_default(fake_cups):
    fake_cups()
    assert printing.list_printers() == Printers(["Office", "Accounting"], "Accounting")


def test_no_printer_is_a_clear_error(fake_cups):
    fake_cups(printers=(), default=None)
    with pytest.raises(PrintError) as err:
        printing.list_printers()
    assert "imprimante" in str(err.value).lower()


def test_no_printing_system_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrintError) as err:
        printing.list_printers()
    assert "CUPS" in str(err.value)


def test_print_file_passes_printer_and_copies(fake_cups, tmp_path):
    log = fake_cups()
    doc = tmp_path / "a.pdf"
    doc.write_bytes(b"%PDF-1.4")
    assert "Office-42" in printing.print_file(doc, "Office", 3)
    assert log.read_text().split() == ["-d", "Office", "-n", "3", "--", str(doc)]


def test_lp_failure_names_the_printer(fake_cups, tmp_path):
    fake_cups(lp_fails=True)
    with pytest.raises(PrintError) as err:
        printing.print_file(tmp_path / "a.pdf", "Office")
    assert "Office" in str(err.value) and "does not exist" in str(err.value)


@pytest.mark.gui
def test_print_dialog_validation(root):
    d = PrintDialog(root, Printers(["Office", "Accounting"], "Accounting"), _utest=True)
    assert d.printer.get() == "Accounting"
    assert d.entry_ok() == ("Accounting", 1)
    d.copies.set("0")
    assert d.entry_ok() is None and d.error_var.get()
    d.copies.set("abc")
    assert d.entry_ok() is None
    d.copies.set("2")
    d.printer.set("Office")
    assert d.entry_ok() == ("Office", 2)
    d.destroy()


@pytest.mark.gui
def test_printing_a_spool_converts_it_to_a_temporary_pdf(window, answer, fake_cups, samples):
    spool = samples / "devis-D2026-0042.spv"
    log = fake_cups()
    window.settings.printing.no_save_offer = True
    assert window.open_path(spool)

    def respond(dialog):
        dialog.copies.set("2")
        dialog.ok()

    answer(respond)
    window.cmd_print()
    args = log.read_text().split()
    assert args[:4] == ["-d", "Accounting", "-n", "2"]
    printed = Path(args[-1])
    assert printed.suffix == ".pdf" and not printed.exists()  # temporary file removed
    assert "Office-42" in window.status.message_text()


@pytest.mark.gui
def test_printing_without_printer_shows_the_message(window, answer, fake_cups, make_pdf):
    fake_cups(printers=(), default=None)
    assert window.open_path(make_pdf())
    shown = answer(lambda d: d.ok())
    window.cmd_print()
    assert [d.kind for d in shown] == ["error"]
    assert "imprimante" in shown[0].message.lower()
