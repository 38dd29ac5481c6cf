"""Drawing spv and text-spool pages on a canvas (shared by to_pdf and display).

The canvas is formats.pdfcanvas's (our own PDF writer); the drawing uses only the part of
reportlab's Canvas interface that canvas has, so the tests draw the same pages on
reportlab's as an independent oracle.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from formats.native import MM, SpvBackend
from formats.pdfcanvas import Canvas

BLACK = "#000000"
_colors: dict[str, tuple[float, float, float]] = {}


def _color(value: str | None) -> tuple[float, float, float]:
    """``#RRGGBB`` (the schema's form) as the fractions reportlab's HexColor gives."""
    value = value or BLACK
    c = _colors.get(value)
    if c is None:
        n = int(value[1:7], 16)
        c = _colors[value] = ((n >> 16) / 255, ((n >> 8) & 0xFF) / 255, (n & 0xFF) / 255)
    return c


def _font(backend: SpvBackend, spec: dict[str, Any] | None, default_size: float = 10.0) -> tuple[str, float]:
    spec = spec or {}
    name = backend.font(spec.get("family", "sans"), spec.get("weight") == "bold", spec.get("style") == "italic")
    return name, float(spec.get("size", default_size))


def _draw_string(c: Canvas, x: float, y: float, text: str, align: str) -> None:
    if align == "center":
        c.drawCentredString(x, y, text)
    elif align == "right":
        c.drawRightString(x, y, text)
    else:
        c.drawString(x, y, text)


def draw_spv_page(c: Canvas, backend: SpvBackend, index: int) -> None:
    """Draw page ``index`` of a spool on the current canvas page (sets the page size)."""
    raw = backend.check_page(index)
    w_mm, h_mm = backend.page_size_mm(index)
    height = h_mm * MM
    c.setPageSize((w_mm * MM, height))
    for n, item in enumerate(raw["items"]):
        kind = item["type"]
        if kind == "text":
            name, size = _font(backend, item.get("font"))
            c.setFont(name, size)
            c.setFillColor(_color(item.get("color")))
            x = item["x"] * MM
            y = height - item["y"] * MM
            step = item["line_height"] * MM if "line_height" in item else size * 1.2
            align = item.get("align", "left")
            for k, line in enumerate(item["text"].split("\n")):
                _draw_string(c, x, y - k * step, line, align)
        elif kind == "line":
            c.setStrokeColor(_color(item.get("color")))
            c.setLineWidth(item.get("width", 0.25) * MM)
            c.line(item["x1"] * MM, height - item["y1"] * MM, item["x2"] * MM, height - item["y2"] * MM)
        elif kind == "rect":
            stroke = item.get("stroke", BLACK)
            fill = item.get("fill")
            if stroke:
                c.setStrokeColor(_color(stroke))
                c.setLineWidth(item.get("line_width", 0.25) * MM)
            if fill:
                c.setFillColor(_color(fill))
            c.rect(
                item["x"] * MM,
                height - (item["y"] + item["height"]) * MM,
                item["width"] * MM,
                item["height"] * MM,
                stroke=1 if stroke else 0,
                fill=1 if fill else 0,
            )
        elif kind == "image":
            c.drawImage(
                backend.image(item["resource"], page=index + 1, item=n + 1),
                item["x"] * MM,
                height - (item["y"] + item["height"]) * MM,
                item["width"] * MM,
                item["height"] * MM,
                mask="auto",
            )
        elif kind == "table":
            _draw_table(c, backend, item, height)


def _draw_table(c: Canvas, backend: SpvBackend, item: dict[str, Any], height: float) -> None:
    x0 = item["x"] * MM
    top = height - item["y"] * MM
    rh = item.get("row_height", 6.0) * MM
    cols = item["columns"]
    widths = [col["width"] * MM for col in cols]
    aligns = [col.get("align", "left") for col in cols]
    total = sum(widths)
    pad = 1.5 * MM
    grid = item.get("grid", True)
    body_font = _font(backend, item.get("font"), 9.0)
    rows: list[tuple[list[str], tuple[str, float], bool]] = []
    if "header" in item:
        rows.append((item["header"], _font(backend, item.get("header_font") or item.get("font"), 9.0), True))
    rows += [(r, body_font, False) for r in item["rows"]]
    c.setLineWidth(0.2 * MM)
    c.setStrokeColor(_color(BLACK))
    y = top
    for cells, (name, size), is_header in rows:
        if is_header and item.get("header_fill"):
            c.setFillColor(_color(item["header_fill"]))
            c.rect(x0, y - rh, total, rh, stroke=0, fill=1)
        c.setFillColor(_color(BLACK))
        c.setFont(name, size)
        baseline = y - rh / 2 - size * 0.35
        x = x0
        for k, w in enumerate(widths):
            text = cells[k] if k < len(cells) else ""
            if text:
                if aligns[k] == "right":
                    c.drawRightString(x + w - pad, baseline, text)
                elif aligns[k] == "center":
                    c.drawCentredString(x + w / 2, baseline, text)
                else:
                    c.drawString(x + pad, baseline, text)
            x += w
        if grid:
            c.rect(x0, y - rh, total, rh, stroke=1, fill=0)
            x = x0
            for w in widths[:-1]:
                x += w
                c.line(x, y, x, y - rh)
        y -= rh


CHUNK = 250  # pages per PDF joined by PyMuPDF for very long spools (memory follows a chunk)


def _pdf(draw_page: Callable[[Canvas, int], None], indexes: range, compress: bool = True) -> bytes:
    """Pages drawn by ``draw_page`` as a bare PDF (no metadata): for display (not compressed,
    MuPDF reads it faster) or for PyMuPDF to finish (PDF/A, long spools)."""
    from formats.pdfobj import Name, Writer
    from formats.pdfwrite import new_canvas

    c = new_canvas()
    for i in indexes:
        draw_page(c, i)
        c.showPage()
    w = Writer("1.4", compress=compress)
    root = w.add({"Type": Name("Catalog"), "Pages": c.objects(w)})
    return w.finish(root, None, os.urandom(16))


def _document(draw_page: Callable[[Canvas, int], None], count: int) -> Any:
    """A PyMuPDF document of ``count`` drawn pages, made ``CHUNK`` pages at a time so that memory
    follows a chunk, not the document (each chunk embeds its own font subsets)."""
    import pymupdf

    if count <= CHUNK:
        return pymupdf.open(stream=_pdf(draw_page, range(count)), filetype="pdf")
    out = pymupdf.open()
    for start in range(0, count, CHUNK):
        with pymupdf.open(stream=_pdf(draw_page, range(start, min(start + CHUNK, count))), filetype="pdf") as part:
            out.insert_pdf(part)
    return out


def spv_page_pdf(backend: SpvBackend, index: int) -> bytes:
    """A one-page PDF of page ``index`` (for display)."""
    return _pdf(lambda c, i: draw_spv_page(c, backend, i), range(index, index + 1), compress=False)


def spv_pages(backend: SpvBackend) -> tuple[Callable[[Canvas, int], None], int]:
    """How to draw each page of a spool, and how many pages it has."""
    return (lambda c, i: draw_spv_page(c, backend, i)), len(backend.pages_raw)


def text_pages(backend: Any) -> tuple[Callable[[Canvas, int], None], int]:
    """How to draw each page of a text spool, and how many pages it has."""
    return (lambda c, i: draw_text_page(c, backend, i)), len(backend.pages)


def spv_document(backend: SpvBackend) -> Any:
    """The whole spool as a PyMuPDF document with embedded (subset) fonts."""
    return _document(*spv_pages(backend))


def draw_text_page(c: Canvas, backend: Any, index: int) -> None:
    """Draw one page of a text spool in the mono font."""
    from formats.fonts import register
    from formats.textspool import MARGIN_MM

    w_mm, h_mm = backend.size_mm
    c.setPageSize((w_mm * MM, h_mm * MM))
    c.setFont(register("mono"), backend.font_size)
    x = MARGIN_MM * MM
    top = h_mm * MM - MARGIN_MM * MM - backend.leading * 0.8
    for k, line in enumerate(backend.pages[index]):
        if line:
            c.drawString(x, top - k * backend.leading, line)


def text_page_pdf(backend: Any, index: int) -> bytes:
    """A one-page PDF of page ``index`` of a text spool (for display)."""
    return _pdf(lambda c, i: draw_text_page(c, backend, i), range(index, index + 1), compress=False)


def text_document(backend: Any) -> Any:
    """The whole text spool as a PyMuPDF document with the embedded mono font."""
    return _document(*text_pages(backend))
