"""Rendering: PPM/PIL output, display-list cache, page text and search."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from formats import DocumentError, open_document
from formats.native import SpoolWriter
from formats.render import page_text, render_image, render_ppm, search_page


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    w = SpoolWriter({"kind": "devis", "number": "T1"})
    p = w.new_page()
    p.text(20, 30, "Total 1 234,50 € — Łódź")
    p.text(20, 40, "second line total")
    w.new_page(width=297, height=210).text(10, 10, "paysage")
    return w.save(tmp_path / "t.spv")


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page(width=300, height=400).insert_text((50, 100), "Hello PDF world")
    path = tmp_path / "hello.pdf"
    doc.save(path)
    return path


def test_render_ppm_is_p6_of_the_page_size(spool: Path) -> None:
    doc = open_document(spool)
    data = render_ppm(doc, 0, dpi=72)
    assert data.startswith(b"P6")
    header = data.split(b"\n", 3)
    width, height = (int(v) for v in header[1].split())
    assert abs(width - 595) <= 1 and abs(height - 842) <= 1


def test_render_image_rotation_swaps_sides(spool: Path) -> None:
    doc = open_document(spool)
    img = render_image(doc, 1, dpi=36)
    rot = render_image(doc, 1, dpi=36, rotation=90)
    assert img.size == (rot.size[1], rot.size[0])
    assert img.size[0] > img.size[1]


def test_page_text_and_search(spool: Path, pdf: Path) -> None:
    doc = open_document(spool)
    assert "Total 1 234,50 € — Łódź" in page_text(doc, 0)
    hits = search_page(doc, 0, "total")
    assert len(hits) == 2
    x0, y0, x1, y1 = hits[0]
    assert 0 < x0 < x1 < doc.page(0).width and 0 < y0 < y1 < doc.page(0).height
    assert search_page(doc, 0, "absent") == []
    d2 = open_document(pdf)
    assert page_text(d2, 0).strip() == "Hello PDF world"
    assert render_image(d2, 0, dpi=72).size == (300, 400)


def test_cache_is_bounded(spool: Path) -> None:
    from formats import render

    doc = open_document(spool)
    for _ in range(3):
        render_ppm(doc, 0, dpi=10)
        render_ppm(doc, 1, dpi=10)
    cache = doc.backend._render_cache
    assert set(cache.lists) == {0, 1}
    assert cache.size == render.CACHE_PAGES


def test_bad_page_and_bad_arguments(spool: Path) -> None:
    doc = open_document(spool)
    with pytest.raises(DocumentError, match="no page 3"):
        render_ppm(doc, 2)
    with pytest.raises(ValueError):
        render_ppm(doc, 0, rotation=45)
    with pytest.raises(DocumentError, match="too large"):
        render_ppm(doc, 0, dpi=2400)


def test_search_on_a_rotated_pdf_page_matches_the_drawn_page(tmp_path: Path) -> None:
    src = pymupdf.open()
    page = src.new_page(width=200, height=400)
    page.insert_text((20, 50), "Hello")
    page.set_rotation(90)
    path = tmp_path / "rot.pdf"
    src.save(path)
    doc = open_document(path)
    assert (doc.page(0).width, doc.page(0).height) == (400, 200)
    [(x0, y0, x1, y1)] = search_page(doc, 0, "hello")
    assert 0 <= x0 < x1 <= 400 and 0 <= y0 < y1 <= 200
    img = render_image(doc, 0, dpi=72)
    assert img.size == (400, 200)
    crop = img.crop((int(x0), int(y0), int(x1) + 1, int(y1) + 1)).convert("L")
    assert crop.getextrema()[0] < 100  # the hit rectangle covers dark glyph pixels


def test_search_after_many_pages_were_drawn(tmp_path: Path) -> None:
    w = SpoolWriter()
    for n in range(20):
        w.new_page().text(10, 10, f"page {n} Łódź")
    doc = open_document(w.save(tmp_path / "many.spv"))
    assert len(search_page(doc, 0, "Łódź")) == 1
    for n in range(1, 20):
        assert f"page {n} Łódź" in page_text(doc, n)
        render_ppm(doc, n, dpi=10)
    assert len(search_page(doc, 0, "Łódź")) == 1
    assert len(search_page(doc, 19, "page 19")) == 1
    assert "page 0" in page_text(doc, 0)
    doc.close()


@pytest.mark.parametrize("name", ["devis-D2026-0042.spv", "releve-CLI003.txt"])
def test_a_spools_first_page_is_displayed_without_reportlab_or_pillow(name: str) -> None:
    import subprocess
    import sys

    sample = Path(__file__).resolve().parents[2] / "samples" / name
    code = ("import sys; import formats; from formats.render import render_ppm; "
            "d = formats.open_document(sys.argv[1]); ppm = render_ppm(d, 0); assert ppm.startswith(b'P6'); "
            "print(sorted(m for m in ('reportlab', 'PIL') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(sample)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
