"""The old road as a test oracle: formats.draw's pages drawn on reportlab's Canvas, fonts and images by reportlab/Pillow.

The drawing code is the production one (formats.draw); only the canvas differs: font names
registered with formats.fonts are registered with reportlab on first use, and images
(formats.pdfimage.Picture) are handed to reportlab through Pillow, as before.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from formats import fonts

_registered: set[str] = set()


def register(name: str) -> str:
    """The face formats.fonts registered as ``name``, registered with reportlab under that name."""
    if name not in _registered:
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(fonts.face(name).data)))
        _registered.add(name)
    return name


class OracleCanvas(Canvas):
    """reportlab's canvas speaking formats.pdfcanvas's names for fonts and images."""

    def setFont(self, psfontname: str, size: float, leading: float | None = None) -> None:  # noqa: N802
        super().setFont(register(psfontname), size, leading)

    def drawImage(self, image: Any, x: float, y: float, width: float | None = None,  # noqa: N802
                  height: float | None = None, mask: Any = None, *args: Any, **kw: Any) -> Any:
        reader = ImageReader(Image.open(io.BytesIO(image.data)))
        return super().drawImage(reader, x, y, width, height, mask="auto")


def oracle_pdf(draw_page: Callable[[Any, int], None], count: int) -> bytes:
    """``count`` pages drawn by ``draw_page`` on reportlab's canvas, as the old road wrote them."""
    buf = io.BytesIO()
    c = OracleCanvas(buf, invariant=1, initialFontName=register(fonts.register("sans")), initialFontSize=10)  # type: ignore[arg-type]
    for i in range(count):
        draw_page(c, i)
        c.showPage()
    c.save()
    return buf.getvalue()
