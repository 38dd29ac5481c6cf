"""formats.pdfimage: PNG and JPEG pass through without Pillow; the rest is decoded by it; damage is refused."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib

import pymupdf
import pytest
from PIL import Image

from formats.fonts import face
from formats.pdfcanvas import Canvas
from formats.pdfimage import BOMB, Picture, UnreadableImage
from formats.pdfobj import Name, Writer


def _encoded(img: Image.Image, fmt: str, **save: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def _gradient(mode: str) -> Image.Image:
    img = Image.new("RGBA", (40, 20))
    img.putdata([(6 * x, 12 * y, 100, 255 if x < 20 else 60) for y in range(20) for x in range(40)])
    return img.convert(mode) if mode != "P" else img.convert("RGB").quantize(256)


def _drawn(picture: Picture) -> Image.Image:
    """The image as MuPDF renders it from the PDF our writer makes (one point per pixel, on white)."""
    c = Canvas(face)
    c.setPageSize((picture.width, picture.height))
    c.drawImage(picture, 0, 0, picture.width, picture.height)
    c.showPage()
    w = Writer()
    root = w.add({"Type": Name("Catalog"), "Pages": c.objects(w)})
    pix = pymupdf.open(stream=w.finish(root, None, bytes(16)))[0].get_pixmap(dpi=72)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def _close(a: Image.Image, b: Image.Image, tolerance: float) -> bool:
    """Whether two images differ by at most ``tolerance`` on average per sample."""
    diffs = [abs(p - q) for p, q in zip(a.tobytes(), b.tobytes(), strict=True)]
    return sum(diffs) / len(diffs) <= tolerance


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "P4"])
def test_png_without_transparency_passes_through_as_it_is(mode: str) -> None:
    img = _gradient(mode) if mode != "P4" else _gradient("RGB").quantize(12)  # Pillow writes 4 bits
    data = _encoded(img, "PNG")
    picture = Picture(data)
    picture.check()
    assert (picture.width, picture.height, picture.kind) == (40, 20, "png") and not picture.has_mask
    stream, mask = picture.xobject()
    depth = 4 if mode == "P4" else 8
    assert mask is None and stream.dict["DecodeParms"] == {"Predictor": 15, "Colors": 3 if mode == "RGB" else 1,
                                                           "BitsPerComponent": depth, "Columns": 40}
    assert stream.data in data  # the PNG's own zlib data, not decoded again
    assert _close(_drawn(picture), img.convert("RGB"), 1)


def test_jpeg_passes_through_as_dct() -> None:
    img = _gradient("RGB")
    data = _encoded(img, "JPEG", quality=95)
    picture = Picture(data)
    stream, mask = picture.xobject()
    assert picture.kind == "jpeg" and stream.dict["Filter"] == "DCTDecode" and stream.data == data and mask is None
    assert _close(_drawn(picture), Image.open(io.BytesIO(data)).convert("RGB"), 3)  # two JPEG decoders


@pytest.mark.parametrize(("mode", "fmt"), [("RGBA", "PNG"), ("LA", "PNG"), ("RGB", "GIF"), ("RGB", "BMP"), ("RGB", "TIFF")])
def test_transparency_and_other_formats_go_through_pillow(mode: str, fmt: str) -> None:
    img = _gradient(mode)
    picture = Picture(_encoded(img, fmt))
    picture.check()
    assert picture.kind == ("png" if fmt == "PNG" else "other") and picture.has_mask == (mode in ("RGBA", "LA"))
    stream, mask = picture.xobject(smask=Name("placeholder"))
    if mode in ("RGBA", "LA"):
        assert mask is not None and stream.dict["SMask"] == "placeholder" and len(mask.data) == 40 * 20
        # on white: the right half (alpha 60/255) comes out pale
        drawn = _drawn(picture)
        pale, solid = drawn.getpixel((35, 10)), drawn.getpixel((5, 10))
        assert isinstance(pale, tuple) and isinstance(solid, tuple) and pale[2] > 200 and solid[2] < 120
    else:
        assert mask is None and "SMask" not in {k for k, v in stream.dict.items() if v is not None}
        expected = Image.open(io.BytesIO(_encoded(img, fmt))).convert("RGB")
        assert _close(_drawn(picture), expected, 1)


def test_a_png_passes_through_without_importing_pillow() -> None:
    data = _encoded(_gradient("RGB"), "PNG")
    code = ("import sys; from formats.pdfimage import Picture; p = Picture(sys.stdin.buffer.read()); p.check(); "
            "p.xobject(); assert 'PIL' not in sys.modules, 'PIL imported'")
    assert subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=60).returncode == 0


def test_damaged_and_foreign_data_is_refused() -> None:
    data = _encoded(_gradient("RGB"), "PNG")
    with pytest.raises(UnreadableImage):
        Picture(b"not an image at all")
    at = data.index(b"IDAT") + 10
    broken = Picture(data[:at] + bytes(40) + data[at + 40:])  # IDAT damaged (its CRC is not checked by PDF readers)
    with pytest.raises(UnreadableImage):
        broken.check()
    short = Picture(data[:data.index(b"IDAT") + 30])
    with pytest.raises(UnreadableImage):
        short.check()
    header = data[:33]  # a header claiming a size, then zlib data of the wrong size
    idat = zlib.compress(bytes(10))
    chunk = len(idat).to_bytes(4, "big") + b"IDAT" + idat + zlib.crc32(b"IDAT" + idat).to_bytes(4, "big")
    with pytest.raises(UnreadableImage):
        Picture(header + chunk).check()


def test_a_bomb_reports_its_size_without_decoding() -> None:
    # A BMP header claiming 20000 x 20000 pixels and no pixel data: Pillow reads only the header.
    dib = struct.pack("<IiiHHIIiiII", 40, 20000, 20000, 1, 24, 0, 0, 2835, 2835, 0, 0)
    data = b"BM" + struct.pack("<IHHI", 14 + len(dib), 0, 0, 14 + len(dib)) + dib
    picture = Picture(data)
    assert (picture.width, picture.height) in ((20000, 20000), (BOMB, BOMB))
