"""DrawnPages: one-page PDFs drawn once, the last few kept, pages usable after eviction."""

from __future__ import annotations

import pymupdf

from formats.drawn import KEEP, DrawnPages


def _one_page(label: str) -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), label)
    return doc.tobytes()


def test_drawn_once_then_cached_and_evicted_oldest_first() -> None:
    made: list[int] = []

    def make(index: int) -> bytes:
        made.append(index)
        return _one_page(f"page {index}")

    pages = DrawnPages(make)
    first = pages.page(0)
    assert pages.page(0) is first and made == [0]
    for i in range(1, KEEP + 1):
        pages.page(i)
    assert made == list(range(KEEP + 1))
    assert "page 0" in first.get_text()  # evicted but still usable by whoever holds it
    pages.page(0)
    assert made[-1] == 0  # drawn again after eviction
    pages.page(KEEP)
    assert made.count(KEEP) == 1  # recently used: kept
    pages.close()
    pages.page(1)
    assert made[-1] == 1
