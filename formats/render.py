"""Page rendering (PPM bytes for Tk, PIL images), page text and search, with a display-list cache."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pymupdf

from formats.document import Document, DocumentError
from formats.lock import locked

CACHE_PAGES = 6  # display lists and text pages kept per document (the viewer keeps the pixels of a few screens itself)
MAX_PIXELS = 60_000_000  # refuse absurd zooms rather than exhausting memory

Rect = tuple[float, float, float, float]


class _Cache:
    """Per-document LRU of PyMuPDF display lists and text pages."""

    def __init__(self, size: int = CACHE_PAGES) -> None:
        self.size = size
        self.lists: OrderedDict[int, Any] = OrderedDict()
        self.texts: OrderedDict[int, Any] = OrderedDict()

    def get(self, store: OrderedDict[int, Any], index: int, make: Any) -> Any:
        value = store.get(index)
        if value is None:
            value = store[index] = make()
            while len(store) > self.size:
                store.popitem(last=False)
        else:
            store.move_to_end(index)
        return value


def _cache(doc: Document) -> _Cache:
    cache = getattr(doc.backend, "_render_cache", None)
    if cache is None:
        cache = _Cache()
        try:
            doc.backend._render_cache = cache
        except AttributeError:  # pragma: no cover - backends are plain objects
            pass
    return cache


def mupdf_page(doc: Document, index: int) -> Any:
    """The PyMuPDF page that shows page ``index`` of any document."""
    doc.page(index)  # range check and lazy load/validation
    getter = getattr(doc.backend, "mupdf_page", None)
    if getter is None:
        raise DocumentError("this document cannot be displayed", code="page.not_displayable", file=doc.path)
    return getter(index)


def display_list(doc: Document, index: int) -> Any:
    """The cached display list of page ``index``."""
    return _cache(doc).get(_cache(doc).lists, index, lambda: _guard(doc, index, lambda: mupdf_page(doc, index).get_displaylist()))


def _guard(doc: Document, index: int, work: Any) -> Any:
    """Run a PyMuPDF call; its failures become a DocumentError naming the page."""
    try:
        return work()
    except (DocumentError, ValueError):
        raise
    except Exception as exc:  # noqa: BLE001 - MuPDF raises its own types on damaged content
        from formats.mupdf import reason

        raise DocumentError(f"cannot draw this page ({reason(exc)})", code="page.draw_failed",
                            params={"reason": reason(exc)}, file=doc.path, page=index + 1) from None


def _pixmap(doc: Document, index: int, dpi: float, rotation: int) -> Any:
    if rotation % 90:
        raise ValueError("rotation must be a multiple of 90 degrees")
    if not 1 <= dpi <= 2400:
        raise ValueError("dpi must be between 1 and 2400")
    dl = display_list(doc, index)
    zoom = dpi / 72.0
    rect = dl.rect
    if rect.width * zoom * rect.height * zoom > MAX_PIXELS:
        raise DocumentError(f"page {index + 1} at {dpi:g} dpi is too large to draw", code="page.too_large",
                            params={"page": index + 1, "dpi": f"{dpi:g}"}, file=doc.path, hint="use a lower zoom")
    matrix = pymupdf.Matrix(zoom, zoom).prerotate(rotation % 360)
    return _guard(doc, index, lambda: dl.get_pixmap(matrix=matrix, alpha=False))


@locked
def render_ppm(doc: Document, index: int, *, dpi: float = 96.0, rotation: int = 0) -> bytes:
    """Page ``index`` as binary PPM (P6) bytes, ready for ``tk.PhotoImage(data=...)``."""
    ppm: bytes = _pixmap(doc, index, dpi, rotation).tobytes("ppm")
    return ppm


@locked
def render_image(doc: Document, index: int, *, dpi: float = 96.0, rotation: int = 0) -> Any:
    """Page ``index`` as a PIL RGB image."""
    from PIL import Image

    pix = _pixmap(doc, index, dpi, rotation)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def _textpage(doc: Document, index: int) -> tuple[Any, Any]:
    """(page, its text page), cached together: a text page is only valid with its page."""
    cache = _cache(doc)

    def make() -> tuple[Any, Any]:
        page = mupdf_page(doc, index)
        return page, _guard(doc, index, page.get_textpage)

    pair: tuple[Any, Any] = cache.get(cache.texts, index, make)
    return pair


@locked
def page_text(doc: Document, index: int) -> str:
    """The text of page ``index`` in reading order."""
    text: str = _textpage(doc, index)[1].extractText()
    return text


@locked
def search_page(doc: Document, index: int, needle: str) -> list[Rect]:
    """Rectangles of each hit of ``needle`` (case-insensitive), in points from the top-left
    corner of the page as drawn at ``rotation=0`` (a PDF page's own /Rotate applied)."""
    if not needle:
        return []
    page, tp = _textpage(doc, index)
    hits = _guard(doc, index, lambda: page.search_for(needle, textpage=tp))
    if page.rotation:
        hits = [(r * page.rotation_matrix).normalize() for r in hits]
    return [(r.x0, r.y0, r.x1, r.y1) for r in hits]


@locked
def clear_cache(doc: Document) -> None:
    """Forget the cached display lists of ``doc`` (e.g. after memory pressure)."""
    cache = getattr(doc.backend, "_render_cache", None)
    if cache is not None:
        cache.lists.clear()
        cache.texts.clear()
