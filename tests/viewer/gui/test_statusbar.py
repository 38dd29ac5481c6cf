"""Status bar fields: document and kind, page, zoom, transient messages, the route slot."""

from __future__ import annotations

import pytest

from viewer.gui.statusbar import StatusBar

pytestmark = pytest.mark.gui


def test_fields(root):
    bar = StatusBar(root)
    bar.set_document("devis.spv", "spv")
    assert bar.document.get() == "devis.spv — spool"
    bar.set_document("", "")
    assert bar.document.get() == "Aucun document"
    bar.set_page(1, 3)
    assert bar.page.get() == "Page 2 / 3"
    bar.set_page(0, 0)
    assert bar.page.get() == ""
    bar.set_zoom(1.254)
    assert bar.zoom.get() == "125 %"
    bar.set_route("SMTP direct — local")
    assert bar.route.get() == "SMTP direct — local"
    assert bar.route_label.cget("textvariable") == str(bar.route)


def test_message_clears_itself(root):
    bar = StatusBar(root)
    bar.show_message("Saved", timeout_ms=1)
    assert bar.message.get() == "Saved"
    job = bar._message_job
    assert job is not None
    bar._clear()
    assert bar.message.get() == ""
    bar.show_message("Kept", timeout_ms=0)
    assert bar._message_job is None
    bar.destroy()


def test_long_paths_elide_in_the_middle_and_the_message_keeps_its_room(root):
    top = __import__("tkinter").Toplevel(root)
    top.geometry("1000x40+0+0")
    bar = StatusBar(top)
    bar.pack(fill="x")
    path = "/home/marie/Documents/Clients/Atelier Dupré/Devis/2026/novembre/devis-D2026-0042.pdf"
    bar.set_route("Local — dépôt /home/marie/.local/share/spoolview/pickup (en local)")
    bar.show_message(f"Enregistré : {path}")
    top.update()
    shown = bar.message.get()
    assert bar.message_text() == f"Enregistré : {path}"
    assert shown.startswith("Enregistré : /") and shown.endswith("0042.pdf") and "…" in shown
    assert bar.route.get().startswith("Local — dépôt") and bar.route.get().endswith("(en local)")
    assert bar.message_label.winfo_width() >= 300  # the route does not eat the message's room
    top.destroy()
