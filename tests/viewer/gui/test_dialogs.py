"""Dialogs: validation through entry_ok()/result without showing them, and the test responder."""

from __future__ import annotations

import tkinter as tk

import pytest

from viewer.gui import dialogs

pytestmark = pytest.mark.gui


def test_password_dialog_requires_a_value(root):
    d = dialogs.PasswordDialog(root, "secret.pdf", _utest=True)
    assert d.entry_ok() is None and d.error_var.get()
    d.entry.insert(0, "pw")
    d.ok()
    assert d.result == "pw" and not d.winfo_exists()


def test_password_dialog_says_when_the_last_one_was_wrong(root):
    d = dialogs.PasswordDialog(root, "secret.pdf", retry=True, _utest=True)
    texts = [w.cget("text") for w in d.frame.winfo_children() if w.winfo_class() == "TLabel"]
    assert any("incorrect" in str(t) for t in texts)
    assert d.entry.cget("show") == "•"
    d.cancel()
    assert d.result is None


@pytest.mark.parametrize("text, expected", [("2", 1), (" 5 ", 4), ("0", None), ("6", None), ("x", None)])
def test_goto_page_validation(root, text, expected):
    d = dialogs.GoToPageDialog(root, 5, current=0, _utest=True)
    d.entry.delete(0, "end")
    d.entry.insert(0, text)
    assert d.entry_ok() == expected
    assert bool(d.error_var.get()) == (expected is None)
    d.destroy()


def test_save_as_pdf_choices(root):
    d = dialogs.SaveAsPdfDialog(root, mode="no-modify", _utest=True)
    assert d.entry_ok() == dialogs.PdfChoice("no-modify")
    assert str(d.password.cget("state")) == "disabled"
    d.mode.set("password")
    d._mode_changed()
    assert d.entry_ok() is None and d.error_var.get()
    d.password.insert(0, "a")
    d.confirm.insert(0, "b")
    assert d.entry_ok() is None and "diff" in d.error_var.get()
    d.confirm.delete(0, "end")
    d.confirm.insert(0, "a")
    choice = d.entry_ok()
    assert choice == dialogs.PdfChoice("password", "a")
    assert "a" not in repr(choice).split("mode=")[0] and "password='a'" not in repr(choice)
    d.destroy()


def test_unknown_protection_falls_back_to_none(root):
    d = dialogs.SaveAsPdfDialog(root, mode="bogus", _utest=True)
    assert d.mode.get() == "none"
    d.destroy()


def test_save_preview_dialog_result_and_checkbox(root):
    d = dialogs.SavePreviewDialog(root, "devis.spv", _utest=True)
    d.dont_offer.set(True)
    d.ok()
    assert d.result is True and d.dont_offer.get()


def test_responder_answers_dialogs_and_records_them(root):
    with dialogs.respond_with(lambda d: d.ok()) as shown:
        message = dialogs.show_error(root, "Something failed: do this")
        assert dialogs.ask_yes_no(root, "Sure?", title="Q") is True
    assert [d.kind for d in shown] == ["error", "question"]
    assert shown[0].message == "Something failed: do this"
    assert not message.winfo_exists()


def test_responder_answers_file_requests(root):
    def respond(request):
        assert request.kind == "open" and request.filetypes == [("PDF", "*.pdf")]
        request.result = "/tmp/x.pdf"

    with dialogs.respond_with(respond):
        assert dialogs.ask_path(root, "open", "Open", filetypes=[("PDF", "*.pdf")]) == "/tmp/x.pdf"
    with dialogs.respond_with(lambda r: r.cancel()):
        assert dialogs.ask_path(root, "save", "Save") == ""


def test_responder_answers_requests_for_several_files(root):
    def respond(request):
        assert request.kind == "open_many" and request.initialdir == "/tmp"
        request.results = ["/tmp/a.spv", "/tmp/b.spv"]

    with dialogs.respond_with(respond):
        assert dialogs.ask_paths(root, "Open", initialdir="/tmp") == ["/tmp/a.spv", "/tmp/b.spv"]
    with dialogs.respond_with(lambda r: r.cancel()):
        assert dialogs.ask_paths(root, "Open") == []


def test_unanswered_dialog_is_closed_with_no_result(root):
    with dialogs.respond_with(lambda d: None) as shown:
        d = dialogs.GoToPageDialog(root, 3)
    assert d.result is None and not d.winfo_exists() and shown == [d]


def test_real_modal_dialog_returns_after_ok(root):
    # Not intercepted: the dialog really waits; a queued click answers it.
    root.after(50, lambda: [w for w in root.winfo_children() if isinstance(w, dialogs.GoToPageDialog)][0].ok())
    d = dialogs.GoToPageDialog(root, 4, current=2)
    assert d.result == 2


def test_keyboard_works_at_once_escape_and_return(root):
    """The default button has the focus when a dialog shows, so Escape (not now) and Return (save) answer it."""
    d = dialogs.SavePreviewDialog(root, "devis.spv", _utest=True)
    assert d.initial_focus() is d.ok_button
    d.deiconify()
    d.initial_focus().focus_force()
    d.update()
    d.event_generate("<Escape>", when="tail")
    d.update()
    assert not d.winfo_exists() and d.result is None
    d = dialogs.SavePreviewDialog(root, "devis.spv", _utest=True)
    d.deiconify()
    d.initial_focus().focus_force()
    d.update()
    d.event_generate("<Return>", when="tail")
    d.update()
    assert not d.winfo_exists() and d.result is True
    # dialogs with their own field keep it: the password dialog focuses its entry
    p = dialogs.PasswordDialog(root, "secret.pdf", _utest=True)
    assert p.initial_focus() is not p.ok_button
    p.destroy()


def test_a_dialog_is_mapped_where_it_stays_centred_on_its_window(root):
    """Placed while still withdrawn: it is never shown in the screen's corner first and then moved
    (with no window manager to place it, that corner showed at each start-up's save offer)."""
    top = tk.Toplevel(root)
    top.geometry("800x600+200+150")
    top.update()
    mapped: list[tuple[int, int]] = []

    class Probe(dialogs.SavePreviewDialog):
        def _show(self) -> None:
            self.bind("<Map>", lambda e: mapped.append((self.winfo_rootx(), self.winfo_rooty())) if e.widget is self else None)
            self.after(200, self.cancel)
            super()._show()

    d = Probe(top, "devis.spv")
    assert d.result is None and mapped, "the dialog was never mapped"
    x, y = mapped[0]
    assert 200 < x < 200 + 800 and 150 < y < 150 + 600, mapped  # over its window from the first frame, not at (0, 0)
    top.destroy()
