"""The page view: lazy rendering, navigation, zoom and fit, rotation, the image cache, hits."""

from __future__ import annotations

import pytest

import formats
from viewer.gui.pageview import SETTLE_MS, DocumentSource, PageCache, PageView, cache_budget, ppm_bytes, rotate_rect

pytestmark = pytest.mark.gui


@pytest.fixture
def view(root):
    root.deiconify()
    root.geometry("700x500+0+0")
    v = PageView(root, screen_dpi=96.0)
    v.pack(fill="both", expand=True)
    root.update()
    yield v
    v.destroy()


@pytest.fixture
def doc(make_pdf):
    document = formats.open_document(make_pdf(pages=[f"Page number {i + 1}" for i in range(12)]))
    yield document
    document.close()


def test_only_visible_pages_and_neighbours_are_rendered(view, doc, is_non_blank):
    view.set_source(DocumentSource(doc))
    view.render_pending()
    assert view.page_count == 12
    rendered = set(view._images)
    assert 0 in rendered and 11 not in rendered
    assert len(rendered) <= len(view.visible_pages()) + 2 * 2
    assert is_non_blank(view.photo(0))


def test_rendering_runs_in_idle_steps_one_page_at_a_time(view, doc):
    view.set_source(DocumentSource(doc))
    assert view.busy and view.rendered == 0
    view.render_pending(limit=1)
    assert view.rendered == 1 and view.busy  # one page per idle turn; the window answers in between


def test_navigation(view, doc):
    view.set_source(DocumentSource(doc))
    view.go_to(5)
    assert view.current_page == 5
    view.render_pending()
    assert 5 in view._images
    view.next_page()
    assert view.current_page == 6
    view.last_page()
    assert view.current_page == 11
    view.first_page()
    assert view.current_page == 0
    view.go_to(99)
    assert view.current_page == 11


def test_scrolling_updates_the_current_page(view, doc):
    changes = []
    view.on_change = lambda: changes.append(view.current_page)
    view.set_source(DocumentSource(doc))
    view.fit_page()
    view.scroll_units(10_000)
    view.update()
    assert view.current_page == 11 and changes


def test_fit_width_and_fit_page(view, doc):
    view.set_source(DocumentSource(doc))
    view.fit_width()
    view.render_pending()
    width = view.photo(0).width()
    assert abs(width - (view.canvas.winfo_width() - 24)) <= 2
    view.fit_page()
    view.render_pending()
    assert view.photo(0).height() <= view.canvas.winfo_height()


def test_zoom_steps_and_bounds(view, doc):
    view.set_source(DocumentSource(doc))
    view.set_zoom(1.0)
    view.zoom_in()
    assert view.zoom == 1.1
    view.zoom_out()
    view.zoom_out()
    assert view.zoom == 0.9
    view.set_zoom(100)
    assert view.zoom == 6.4
    view.set_zoom(0.01)
    assert view.zoom == 0.25
    assert view.fit is None


def test_hidpi_scaling_follows_the_screen(root, doc):
    v = PageView(root, screen_dpi=192.0)
    v.set_source(DocumentSource(doc))
    v.set_zoom(1.0)
    v.render_pending()
    assert v.render_dpi == 192.0
    assert v.photo(0).width() == round(595 * 192 / 72)
    v.destroy()


def test_rotation_swaps_the_page_box(view, doc):
    view.set_source(DocumentSource(doc))
    view.set_zoom(0.5)
    view.render_pending()
    w, h = view.photo(0).width(), view.photo(0).height()
    view.rotate(90)
    view.render_pending()
    assert (view.photo(0).width(), view.photo(0).height()) == (h, w)
    view.rotate(-90)
    assert view.rotation == 0


def test_rotate_rect_turns_clockwise():
    r = (10, 20, 30, 40)
    assert rotate_rect(r, 100, 200, 0) == r
    assert rotate_rect(r, 100, 200, 90) == (160, 10, 180, 30)
    assert rotate_rect(r, 100, 200, 180) == (70, 160, 90, 180)
    assert rotate_rect(r, 100, 200, 270) == (20, 70, 40, 90)


def test_hit_highlights_follow_rotation_and_match_the_render(view, doc):
    source = DocumentSource(doc)
    view.set_source(source)
    view.set_zoom(1.0)
    hits = {3: source.search(3, "Page number 4")}
    assert hits[3]
    view.set_hits(hits, (3, 0))
    assert view.current_page == 3
    (x0, y0, x1, y1), = view.hit_boxes(3)
    left = view._lefts[3]
    # the text sits 72 pt from the left edge at 100 % of 96 dpi
    assert abs((x0 - left) - 72 * 96 / 72) < 4
    view.rotate(90)
    view.set_hits(hits, (3, 0))
    (rx0, ry0, rx1, ry1), = view.hit_boxes(3)
    assert (rx1 - rx0, ry1 - ry0) == pytest.approx((y1 - y0, x1 - x0), abs=2)


def test_page_cache_is_bounded_in_bytes_and_keeps_pinned_entries():
    cache = PageCache(max_bytes=250)
    pages = [bytes([i]) * 100 for i in range(4)]
    for i, data in enumerate(pages):
        cache.put((i,), data, keep=lambda k: k == (0,))
    assert cache.bytes == 200 and len(cache) == 2
    assert cache.get((0,)) is pages[0] and cache.get((3,)) is pages[3]
    assert cache.get((1,)) is None and (2,) not in cache


def test_only_pages_on_screen_are_photos_neighbours_stay_ppm_bytes(view, doc):
    view.set_source(DocumentSource(doc))
    view.render_pending()
    visible = set(view.visible_pages())
    assert set(view._images) == visible
    prefetched = [i for i in range(doc.page_count) if view._key(i) in view.cache and i not in visible]
    assert prefetched  # the next pages wait as PPM bytes, not as photos
    assert all(view.photo(i) is None for i in prefetched)
    assert view.cache.get(view._key(prefetched[0])).startswith(b"P6")
    view.go_to(prefetched[0])
    rendered = view.rendered
    view.render_pending()
    assert view.photo(prefetched[0]) is not None and view.rendered >= rendered  # shown from the cache
    assert view.photo(0) is None or 0 in view.visible_pages()  # page 1 left the screen: its photo went


def test_a_page_shown_from_the_cache_is_not_rendered_again(view, doc, is_non_blank):
    view.set_source(DocumentSource(doc))
    view.render_pending()
    calls = []
    source = view.source
    real = source.render_ppm
    source.render_ppm = lambda index, dpi, rotation: calls.append(index) or real(index, dpi, rotation)
    view.next_page()
    view.render_pending()
    assert view.current_page not in calls
    assert is_non_blank(view.photo(view.current_page))


def test_unreadable_pixels_mark_the_page_like_a_render_error(view, doc):
    errors = []
    source = DocumentSource(doc)
    source.render_ppm = lambda index, dpi, rotation: b"not a picture"
    view.on_error = lambda index, exc: errors.append(index)
    view.set_source(source)
    view.render_pending()
    assert errors and errors[0] == 0 and view.photo(0) is None


def test_render_errors_mark_the_page_and_are_reported(view, doc):
    errors = []
    source = DocumentSource(doc)

    def boom(index, dpi, rotation):
        raise RuntimeError("damaged page")

    source.render_ppm = boom
    view.on_error = lambda index, exc: errors.append((index, str(exc)))
    view.set_source(source)
    view.render_pending()
    assert errors and errors[0] == (0, "damaged page")
    assert view.photo(0) is None
    count = len(errors)
    view.render_pending()
    assert len(errors) == count  # not retried in a loop


def test_empty_view(view):
    view.set_source(None)
    assert view.page_count == 0 and view.current_page == 0
    view.next_page()
    view.zoom_in()
    assert not view.busy


def test_ctrl_wheel_zooms(view, doc):
    view.set_source(DocumentSource(doc))
    view.set_zoom(1.0)
    view._ctrl_wheel(1)
    assert view.zoom > 1.0
    view._ctrl_wheel(-1)
    assert view.zoom == 1.0


def test_when_painted_waits_for_the_visible_pages(view, doc):
    calls = []
    view.set_source(DocumentSource(doc))
    view.when_painted(lambda: calls.append(view.photo(0)))
    assert calls == []
    view.render_pending()
    view.update()
    assert len(calls) == 1 and calls[0] is not None  # once, with page 1 on the canvas
    view.render_pending()
    view.update()
    assert len(calls) == 1


def test_a_new_document_drops_what_waited_for_the_old_one(view, doc):
    calls = []
    view.set_source(DocumentSource(doc))
    view.when_painted(lambda: calls.append("old"))
    view.set_source(DocumentSource(doc))
    view.render_pending()
    view.update()
    assert calls == []


def test_the_page_cache_holds_a_few_screens_and_paging_stays_within_it(root, make_pdf):
    root.deiconify()
    root.geometry("700x500+0+0")
    view = PageView(root, screen_dpi=96.0)
    view.pack(fill="both", expand=True)
    root.update()
    assert view.cache.max_bytes == cache_budget(root.winfo_screenwidth(), root.winfo_screenheight())
    document = formats.open_document(make_pdf(pages=[f"Page {i + 1}" for i in range(30)]))
    try:
        view.set_source(DocumentSource(document))
        root.update()
        page = ppm_bytes(view._boxes[0][0] + 2, view._boxes[0][1] + 2)
        view.cache.max_bytes = page * 3  # three pages of this size
        for _ in range(25):
            view.next_page()
            view.render_pending()
            assert view.cache.bytes <= view.cache.max_bytes
            assert view.current_page in view._images and view.photo(view.current_page) is not None
        assert len(view.cache) <= 3
        # only the pages on screen are photos
        assert set(view._images) <= set(view.visible_pages())
    finally:
        view.destroy()
        document.close()


def test_settled_is_called_once_paging_pauses_not_while_pages_render(root, doc):
    root.deiconify()
    root.geometry("700x500+0+0")
    settled = []
    view = PageView(root, screen_dpi=96.0, on_settled=lambda: settled.append(view.busy))
    view.pack(fill="both", expand=True)
    root.update()
    try:
        view.set_source(DocumentSource(doc))
        view.render_pending()
        assert settled == []  # the quiet time has not passed
        root.after(SETTLE_MS + 200, root.quit)
        root.mainloop()
        assert settled == [False]  # once, with nothing left to render
        root.after(SETTLE_MS + 200, root.quit)
        root.mainloop()
        assert settled == [False]  # no new pages: not called again
        view.next_page()
        view.render_pending()
        root.after(SETTLE_MS + 200, root.quit)
        root.mainloop()
        assert settled == [False, False]
    finally:
        view.destroy()


def test_the_next_page_is_prefetched_even_when_one_page_fills_the_budget(view, doc):
    view.set_source(DocumentSource(doc))
    view.cache.max_bytes = 1000  # far less than a page
    view.go_to(3)
    view.render_pending()
    assert view._key(4) in view.cache and view._key(2) not in view.cache  # forward only
    assert view.photo(3) is not None


def test_a_preview_is_taken_over_by_its_document_without_rendering_page_1_again(view, doc, make_pdf):
    from formats import render

    size = DocumentSource(doc).page_size(0)
    dpi = view.preview(doc.page_count, size, doc.path)
    assert view.previewing and view.page_count == doc.page_count and view.photo(0) is None
    pixels = render.render_ppm(doc, 0, dpi=dpi)
    assert not view.show_preview(dpi + 1, pixels)  # drawn for another size: not shown
    assert view.show_preview(dpi, pixels)
    shown = view.photo(0)
    assert shown is not None
    asked = []

    class Recording(DocumentSource):
        def render_ppm(self, index, dpi, rotation):
            asked.append(index)
            return super().render_ppm(index, dpi, rotation)

    assert shown.height() <= 500 < view._boxes[0][1]  # only the rows the 500-pixel-high view shows of page 1
    view.set_source(Recording(doc))  # the previewed file: taken over as it is
    assert not view.previewing and view.photo(0) is shown
    view.render_pending()
    whole = view.photo(0)
    assert whole is not None and whole is not shown  # the whole page from the cache, in place
    assert whole.width() == shown.width() and whole.height() >= view._boxes[0][1]
    assert asked and 0 not in asked  # its neighbours rendered, page 1 not again


def test_a_preview_is_not_taken_over_by_another_file(view, doc, make_pdf):
    from formats import render

    other = formats.open_document(make_pdf("other.pdf", pages=[f"Other {i}" for i in range(12)]))
    try:
        dpi = view.preview(doc.page_count, DocumentSource(doc).page_size(0), doc.path)
        assert view.show_preview(dpi, render.render_ppm(doc, 0, dpi=dpi))
        view.set_source(DocumentSource(other))  # same pages, same size, another file: drawn afresh
        assert not view.previewing and view.photo(0) is None
        view.render_pending()
        assert view.photo(0) is not None and view.rendered >= 1
    finally:
        view.set_source(None)
        other.close()
