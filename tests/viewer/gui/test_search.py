"""The finder: next/previous hits across pages, wrapping, not found, searching in idle chunks."""

from __future__ import annotations

import pytest

import formats
from viewer.gui.pageview import DocumentSource
from viewer.gui.search import Finder, SearchBar

pytestmark = pytest.mark.gui


@pytest.fixture
def finder(root, make_pdf):
    pages = ["alpha", "beta target", "gamma", "target target", "delta"]
    document = formats.open_document(make_pdf(pages=pages))
    results = []
    f = Finder(root, DocumentSource(document), lambda hits, current, msg: results.append((current, msg)))
    f.results = results
    yield f
    f.cancel()
    document.close()


def run(finder, root):
    for _ in range(100):
        if not finder.busy:
            return
        root.update()


def test_next_and_previous_cycle_through_hits(finder, root):
    finder.find("target", 1, 0)
    run(finder, root)
    assert finder.current == (1, 0)
    finder.find("target", 1, 0)
    assert finder.current == (3, 0)
    finder.find("target", 1, 0)
    assert finder.current == (3, 1)
    finder.find("target", 1, 0)
    run(finder, root)
    assert finder.current == (1, 0)  # wrapped
    finder.find("target", -1, 0)
    run(finder, root)
    assert finder.current == (3, 1)
    assert finder.results[-1][1].startswith("Page 4")


def test_search_starts_at_the_current_page(finder, root):
    finder.find("target", 1, 2)
    run(finder, root)
    assert finder.current == (3, 0)


def test_not_found(finder, root):
    finder.find("nothing-here", 1, 0)
    run(finder, root)
    assert finder.current is None and "nothing-here" in finder.results[-1][1]


def test_new_needle_resets_and_blank_clears(finder, root):
    finder.find("target", 1, 0)
    run(finder, root)
    finder.find("gamma", 1, 0)
    run(finder, root)
    assert finder.current == (2, 0) and set(finder.hits) >= {2}
    finder.find("   ", 1, 0)
    assert finder.current is None and finder.hits == {}


def test_long_documents_are_searched_in_chunks(finder, root, monkeypatch):
    from viewer.gui import search

    monkeypatch.setattr(search, "CHUNK_SECONDS", -1.0)  # one page per idle turn
    finder.find("delta", 1, 0)
    assert finder.busy  # the window keeps answering meanwhile
    run(finder, root)
    assert finder.current == (4, 0)


def test_search_bar_calls_back(root):
    calls = []
    bar = SearchBar(root, on_find=lambda t, d: calls.append((t, d)), on_close=lambda: calls.append("close"))
    bar.entry.insert(0, "Devis")
    bar.find(1)
    bar.prev_button.invoke()
    bar.close_button.invoke()
    assert calls == [("Devis", 1), ("Devis", -1), "close"]
    bar.destroy()


def test_find_bar_usable_at_800x600(small_screen, tmp_path, screenshot):
    """On an 800x600 screen every control of the find bar shows whole (the message gives way first)."""
    from viewer import settings as settings_mod
    from viewer.gui.mainwindow import MainWindow
    from viewer.gui.recent import ViewerState

    root, display = small_screen(800, 600)
    s = settings_mod.Settings()
    s.printing.no_save_offer = True
    window = MainWindow(root, state=ViewerState(path=tmp_path / "state.json"), settings=s)
    window.geometry("800x570+0+0")
    window.show_search()
    window.searchbar.entry.insert(0, "introuvable")
    window.searchbar.message.configure(text="« introuvable » introuvable dans le document, recherche terminée.")
    window.update()
    screenshot(display, tmp_path / "screens" / "find-bar-800.png", window)
    bar = window.searchbar
    right = window.winfo_rootx() + window.winfo_width()
    for widget in (bar.entry, bar.prev_button, bar.next_button, bar.close_button):
        assert widget.winfo_ismapped()
        assert widget.winfo_width() >= widget.winfo_reqwidth() - 1 and widget.winfo_rootx() + widget.winfo_width() <= right
    window.close()
