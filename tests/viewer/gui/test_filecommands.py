"""Saving and printing commands: atomic writes, clear failures, nothing without a document."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from viewer.gui import filecommands

pytestmark = pytest.mark.gui


def test_write_file_is_atomic_and_cleans_up_on_failure(window, answer, tmp_path):
    target = tmp_path / "out.pdf"
    assert filecommands.write_file(window, target, b"data")
    assert target.read_bytes() == b"data" and not (tmp_path / "out.pdf.part").exists()
    shown = answer(lambda d: d.ok())
    folder_target = tmp_path / "a-folder"
    folder_target.mkdir()
    assert not filecommands.write_file(window, folder_target, b"data")  # cannot replace a folder
    assert shown[0].kind == "error" and "a-folder" in shown[0].message
    assert not (tmp_path / "a-folder.part").exists()


def test_commands_need_a_document(window, answer):
    shown = answer()
    for command in (filecommands.save_preview, filecommands.save_pdf, filecommands.print_document):
        command(window)
    assert shown == [] and window.status.message_text()


def test_save_attachment_reports_where(window, answer, tmp_path):
    target = tmp_path / "a.pdf"

    def respond(request):
        request.result = str(target)

    answer(respond)
    filecommands.save_attachment(window, SimpleNamespace(filename="a.pdf", data=b"%PDF"))
    assert target.read_bytes() == b"%PDF" and str(target) in window.status.message_text()


def test_cancelled_choices_do_nothing(window, answer, make_pdf, tmp_path):
    window.settings.printing.no_save_offer = True
    assert window.open_path(make_pdf())
    shown = answer(lambda d: d.cancel())
    filecommands.save_pdf(window)
    filecommands.save_preview(window)
    assert [d.kind for d in shown] == ["save-pdf", "save"]
    assert [p.name for p in tmp_path.glob("*.pdf")] == ["doc.pdf"]


def test_conversion_failure_is_shown(window, answer, make_pdf, monkeypatch):
    import formats.pdf

    window.settings.printing.no_save_offer = True
    assert window.open_path(make_pdf())

    def broken(document, **options):
        raise formats.DocumentError("cannot convert", file="doc.pdf")

    monkeypatch.setattr(formats.pdf, "to_pdf", broken)

    def respond(dialog):
        if dialog.kind == "save":
            dialog.result = "/tmp/never-written.pdf"
        else:
            dialog.ok()

    shown = answer(respond)
    filecommands.save_pdf(window)
    assert shown[-1].kind == "error" and "cannot convert" in shown[-1].message
