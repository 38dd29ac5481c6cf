"""PyMuPDF is not thread-safe: formats' entry points take turns under one lock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from formats import open_document
from formats.lock import MUPDF_LOCK, locked
from formats.pdf import Protection, protect, to_pdf
from formats.render import page_text, render_ppm


def test_locked_is_reentrant_and_exclusive() -> None:
    inside: list[int] = []

    @locked
    def outer() -> int:
        return inner() + 1

    @locked
    def inner() -> int:
        inside.append(1)
        return 1

    assert outer() == 2 and inside == [1]
    seen: list[bool] = []
    with MUPDF_LOCK:
        t = threading.Thread(target=lambda: seen.append(MUPDF_LOCK.acquire(timeout=0.05)))
        t.start()
        t.join()
    assert seen == [False]  # another thread waits while one holds it


def test_parallel_render_and_convert_give_the_single_thread_results(samples: Path) -> None:
    quote = open_document(samples / "devis-D2026-0042.spv")
    notice = open_document(samples / "notice.pdf")
    expected_ppm = render_ppm(notice, 1, dpi=30)
    expected_text = page_text(quote, 1)

    def work(k: int) -> tuple[bytes, str, bool]:
        ppm = render_ppm(notice, 1, dpi=30)
        text = page_text(quote, 1)
        pdf = protect(to_pdf(quote), Protection("no-modify")) if k % 2 else b"%PDF"
        return ppm, text, pdf.startswith(b"%PDF")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(8)))
    assert all(r == (expected_ppm, expected_text, True) for r in results)
