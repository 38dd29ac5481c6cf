"""formats.pdfcanvas: pages drawn by our writer look and read as reportlab drew them (the old road as oracle).

Each document is drawn twice by the same formats.draw code: on our canvas (the PDF
``to_pdf`` writes) and on reportlab's (tests/support/reportlab_oracle.py); PyMuPDF renders
both at 100 dpi and the pixels may differ only by anti-aliasing; poppler's pdftotext reads
the same text, pdffonts sees embedded subsets with ToUnicode, and qpdf finds the file clean.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageChops

from formats import open_document
from formats.document import Document
from formats.draw import spv_pages, text_pages
from formats.fonts import face, font_file, register
from formats.native import SpoolWriter
from formats.pdf import to_pdf
from formats.pdfcanvas import Canvas
from formats.pdfobj import Name, Writer
from tests.support.reportlab_oracle import oracle_pdf
from tests.support.tools import require_tool

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TOLERANCE = 0.002  # share of pixels whose colour may differ by more than a quarter of the range (anti-aliasing)


def _image(mode: str, fmt: str, **save: object) -> bytes:
    img = Image.new(mode, (60, 30), "#3366cc" if mode != "L" else 90)
    for x in range(60):
        stripes: dict[str, int | tuple[int, ...]] = {"RGBA": (200, 40, 40, 4 * x), "L": 200, "P": 2}
        stripe = stripes.get(mode, (200, 40, 40))
        for y in range(10, 20):
            img.putpixel((x, y), stripe)
    if mode == "P":
        img.putpalette([255, 255, 255, 0, 0, 0, 0, 160, 0] + [0] * 759)
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def every_kind(tmp_path: Path) -> Path:
    """A spool using every item kind, every family, weight and style, colours, alignments and image formats."""
    w = SpoolWriter({"kind": "devis", "number": "T-1"})
    w.add_image("rgb", _image("RGB", "PNG"))
    w.add_image("gray", _image("L", "PNG"))
    w.add_image("palette", _image("P", "PNG"))
    w.add_image("alpha", _image("RGBA", "PNG"))
    w.add_image("jpeg", _image("RGB", "JPEG", quality=90), "image/jpeg")
    w.add_image("gif", _image("RGB", "GIF"), "image/gif")
    w.add_font("corporate", font_file("serif", True).read_bytes())
    p = w.new_page()
    y = 15.0
    for family in ("sans", "serif", "mono", "corporate"):
        for bold in (False, True):
            for italic in (False, True):
                p.text(15, y, f"{family} {'gras' if bold else 'maigre'} {'italique' if italic else 'droit'} é€«»œ",
                       family=family, bold=bold, italic=italic, size=9, color="#1a5e20" if bold else None)
                y += 5
    p.text(105, y, "Centré — œuvre", align="center", size=12)
    p.text(195, y + 6, "À droite : 1 234,56 €", align="right", size=12, color="#cc0000")
    p.line(15, y + 10, 195, y + 10, width=0.5, color="#888888")
    p.rect(15, y + 14, 40, 12, stroke="#000000", fill="#ffeeaa", line_width=0.4)
    p.rect(60, y + 14, 40, 12, stroke=None, fill="#aaccff")
    p.rect(105, y + 14, 40, 12, stroke="#0000ff")
    for k, name in enumerate(("rgb", "gray", "palette", "alpha", "jpeg", "gif")):
        p.image(15 + 30 * k, y + 30, 25, 12, name)
    p.table(15, y + 48, [(30, "left"), (100, "left"), (20, "center"), (30, "right")],
            [["R-1", "Fenêtre oscillo-battante « confort »", "2", "1 240,00 €"], ["R-2", "Œil-de-bœuf", "1", "310,50 €"]],
            header=["Réf.", "Désignation", "Qté", "Montant"])
    p.table(15, y + 70, [(60, "left"), (60, "right")], [["sans grille", "ni en-tête"]], grid=False, family="mono")
    item = {"type": "text", "x": 15, "y": y + 82, "text": "ligne 1\nligne 2\nligne 3", "line_height": 4.5,
            "font": {"family": "serif", "size": 8}}
    p.items.append(item)
    return w.save(tmp_path / "kinds.spv")


def _oracle(doc: Document) -> bytes:
    pages = spv_pages(doc.backend) if doc.source == "spv" else text_pages(doc.backend)
    return oracle_pdf(*pages)


def _differing(a: pymupdf.Pixmap, b: pymupdf.Pixmap) -> float:
    assert (a.width, a.height, a.n) == (b.width, b.height, b.n)
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[a.n]
    diff = ImageChops.difference(Image.frombytes(mode, (a.width, a.height), a.samples),
                                 Image.frombytes(mode, (b.width, b.height), b.samples))
    worst = diff.split()[0]
    for band in diff.split()[1:]:
        worst = ImageChops.lighter(worst, band)
    bad = sum(worst.point(lambda v: 255 if v > 64 else 0).histogram()[255:])
    return bad / (a.width * a.height)


def _text(path: Path) -> str:
    return subprocess.run([require_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=30).stdout


def _document(name: str, tmp_path: Path) -> Document:
    return open_document(every_kind(tmp_path) if name == "every-kind" else SAMPLES / name)


@pytest.mark.parametrize("name", ["devis-D2026-0042.spv", "facture-F2026-0107.spv", "releve-CLI003.txt", "every-kind"])
def test_pages_look_and_read_as_reportlab_drew_them(name: str, tmp_path: Path) -> None:
    doc = _document(name, tmp_path)
    new, old = tmp_path / "new.pdf", tmp_path / "old.pdf"
    new.write_bytes(to_pdf(doc))
    old.write_bytes(_oracle(doc))
    with pymupdf.open(new) as a, pymupdf.open(old) as b:
        assert len(a) == len(b) == doc.page_count
        for i in range(len(a)):
            assert a[i].rect == b[i].rect
            share = _differing(a[i].get_pixmap(dpi=100), b[i].get_pixmap(dpi=100))
            assert share <= TOLERANCE, f"page {i + 1}: {share:.2%} of the pixels differ"
    assert _text(new) == _text(old)
    assert subprocess.run([require_tool("qpdf"), "--check", str(new)], capture_output=True, timeout=30).returncode == 0
    fonts = subprocess.run([require_tool("pdffonts"), str(new)], capture_output=True, text=True, check=True,
                           timeout=30).stdout.splitlines()[2:]
    assert fonts
    for line in fonts:  # name, type, encoding, then emb sub uni: all yes
        assert line.split()[0][6] == "+" and line.split()[-5:-2] == ["yes", "yes", "yes"], line


def test_every_kind_really_has_every_family_and_image(tmp_path: Path) -> None:
    new = tmp_path / "new.pdf"
    new.write_bytes(to_pdf(open_document(every_kind(tmp_path))))
    fonts = subprocess.run([require_tool("pdffonts"), str(new)], capture_output=True, text=True, check=True,
                           timeout=30).stdout
    for name in ("DejaVuSans-BoldOblique", "DejaVuSerif-Italic", "DejaVuSansMono-Bold", "DejaVuSerif-Bold"):
        assert f"+{name} " in fonts
    images = subprocess.run([require_tool("pdfimages"), "-list", str(new)], capture_output=True, text=True, check=True,
                            timeout=30).stdout
    kinds = [line.split()[2] for line in images.splitlines()[2:]]
    assert kinds.count("image") == 6 and kinds.count("smask") == 1  # the RGBA PNG's alpha as a soft mask
    assert "jpeg" in images


def test_non_ascii_text_round_trips(tmp_path: Path) -> None:
    text = "Éric à l'œuvre : « 12 € » — Łódź, Ærø, ß, ‰"
    c = Canvas(face)
    c.setFont(register("serif", False, True), 11)
    c.drawString(40, 700, text)
    c.drawRightString(500, 680, text)
    c.showPage()
    out = tmp_path / "t.pdf"
    out.write_bytes(_bare(c))
    assert _text(out).split("\n")[0].strip() == text
    assert pymupdf.open(out)[0].get_text().splitlines()[:2] == [text, text]


def test_more_than_255_characters_of_one_face_open_more_subsets(tmp_path: Path) -> None:
    chars = "".join(chr(c) for c in range(0x100, 0x17F)) + "".join(chr(c) for c in range(0x391, 0x3C9)) + \
        "".join(chr(c) for c in range(0x410, 0x450)) + "".join(chr(c) for c in range(0xC0, 0x100))
    assert len(set(chars)) > 255
    c = Canvas(face)
    c.setFont(register("sans"), 8)
    lines = [chars[k:k + 60] for k in range(0, len(chars), 60)]
    for k, line in enumerate(lines):
        c.drawString(30, 800 - 12 * k, line)
    c.showPage()
    out = tmp_path / "many.pdf"
    out.write_bytes(_bare(c))
    assert pymupdf.open(out)[0].get_text().split() == lines
    fonts = subprocess.run([require_tool("pdffonts"), str(out)], capture_output=True, text=True, check=True,
                           timeout=30).stdout.splitlines()[2:]
    assert len(fonts) == 2  # two subsets of DejaVuSans
    assert subprocess.run([require_tool("qpdf"), "--check", str(out)], capture_output=True, timeout=30).returncode == 0


def test_no_font_set_is_a_programming_error() -> None:
    c = Canvas(face)
    with pytest.raises(ValueError, match="no font set"):
        c.drawString(1, 1, "x")


def _bare(c: Canvas) -> bytes:
    w = Writer()
    root = w.add({"Type": Name("Catalog"), "Pages": c.objects(w)})
    return w.finish(root, None, bytes(16))
