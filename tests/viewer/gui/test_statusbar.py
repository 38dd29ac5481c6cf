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
