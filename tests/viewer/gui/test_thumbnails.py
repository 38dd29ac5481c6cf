"""Thumbnails: lazy small renders after the page view, selection, clicks."""

from __future__ import annotations

import pytest

import formats
from viewer.gui.pageview import DocumentSource
from viewer.gui.thumbnails import ThumbnailBar

pytestmark = pytest.mark.gui


@pytest.fixture
def bar(root, make_pdf):
    document = formats.open_document(make_pdf(pages=[f"P{i}" for i in range(30)]))
    selected = []
    root.deiconify()
    b = ThumbnailBar(root, on_select=selected.append)
    b.pack(fill="y", expand=True)
    root.geometry("200x600+0+0")
    root.update()
    b.selected_pages = selected
    b.set_source(DocumentSource(document))
    yield b
    b.destroy()
    document.close()


def drain(bar, limit=200):
    for _ in range(limit):
        if bar._job is None:
            return
        bar.after_cancel(bar._job)
        bar._work()


def test_only_visible_thumbnails_are_rendered(bar):
    drain(bar)
    assert 0 < bar.rendered() < 30
    assert bar.rendered() == len(bar.visible())


def test_click_selects_a_page(bar):
    y = bar._tops[1] + 5 - int(bar.canvas.canvasy(0))
    bar._click(type("E", (), {"y": y})())
    assert bar.selected_pages == [1]


def test_select_scrolls_the_thumbnail_into_view(bar):
    bar.select(25)
    bar.update()
    assert 25 in bar.visible()
    drain(bar)
    assert 25 in bar._shown


def test_waits_while_the_page_view_renders(root, make_pdf):
    class Busy:
        busy = True

    document = formats.open_document(make_pdf())
    b = ThumbnailBar(root, on_select=lambda i: None, pageview=Busy())
    b.pack()
    root.deiconify()
    root.update()
    b.set_source(DocumentSource(document))
    if b._job is not None:
        b.after_cancel(b._job)
    b._work()
    assert b.rendered() == 0 and b._job is not None
    b.destroy()
    document.close()


def test_no_source_clears(bar):
    bar.set_source(None)
    assert bar.rendered() == 0 and not bar.canvas.find_all()


def test_thumbnails_scrolled_away_are_dropped(bar):
    drain(bar)
    first = set(bar._shown)
    assert 0 in first
    bar.select(len(bar._tops) - 1)  # to the last page: the first thumbnails go off screen
    bar.update()
    drain(bar)
    assert 0 not in bar._shown and not first & set(bar._shown)
    assert bar.rendered() <= 3 * len(bar.visible())
    assert len(bar.canvas.find_withtag("frame")) == len(bar._tops)  # every page keeps its frame


def test_a_document_set_while_hidden_is_drawn_once_shown(root, make_pdf):
    """A spare window gets its document withdrawn: its thumbnails come when it is mapped."""
    import time
    import tkinter as tk

    document = formats.open_document(make_pdf(pages=["A", "B"]))
    window = tk.Toplevel(root)
    window.withdraw()
    b = ThumbnailBar(window, on_select=lambda i: None)
    b.pack(fill="y", expand=True)
    try:
        from viewer.gui.windows import lay_out_withdrawn

        lay_out_withdrawn(window, "200x600")  # as the spare: sized before, so no <Configure> when shown
        root.update()
        b.set_source(DocumentSource(document))
        root.update()
        assert b.rendered() == 0  # not on screen: nothing rendered for nobody
        window.deiconify()
        deadline = time.monotonic() + 30
        while b.rendered() == 0 and time.monotonic() < deadline:
            root.update()
            time.sleep(0.005)
        assert b.rendered() > 0
    finally:
        window.destroy()
        document.close()
