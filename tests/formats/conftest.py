"""Fixtures of the formats tests: a corpus of real PDFs written by independent programs.

Needs the Debian packages qpdf and ghostscript (tools/system-deps.sh lists them).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pymupdf
import pytest

from tests.support.tools import require_tool

TITLE_UTF16 = "Devis n° 42 — Ελληνικά 日本"  # not PDFDocEncoding: written as UTF-16BE
PDFDOC_BYTES = bytes(b for b in range(0x20, 0x100) if b not in (0x28, 0x29, 0x5C, 0x7F, 0x9F, 0xAD))


def _mupdf_doc(pages: int = 3, *, title: str = "Notice", author: str = "Menuiseries Beaumont") -> pymupdf.Document:
    doc = pymupdf.open()
    for k in range(pages):
        page = doc.new_page(width=595 if k % 2 == 0 else 842, height=842 if k % 2 == 0 else 595)
        page.insert_text((72, 72), f"Page {k + 1} de la notice")
    doc.set_metadata({"title": title, "author": author, "subject": "", "creator": "tests", "producer": "PyMuPDF"})
    return doc


def _reportlab(path: Path) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(595.27, 841.89))
    c.setTitle("Facture F2026-0107")
    c.setAuthor("Société Générale")
    c.setSubject("Atelier Dupré")
    for k in range(3):
        c.setPageRotation(90 * k)
        c.drawString(72, 720, f"reportlab page {k + 1}")
        c.showPage()
    c.save()


def _pdfium(path: Path) -> None:
    import pypdfium2 as pdfium  # type: ignore[import-untyped]  # ships no type information

    doc = pdfium.PdfDocument.new()
    doc.new_page(612, 792)
    doc.new_page(300, 400)
    doc.save(str(path))
    doc.close()


def _ghostscript(path: Path, tmp: Path) -> None:
    ps = tmp / "gs.ps"
    ps.write_text("%!PS\n/Helvetica findfont 20 scalefont setfont 72 700 moveto (Ghostscript) show showpage\n"
                  "72 700 moveto (page 2) show showpage\n")
    subprocess.run([require_tool("gs"), "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", f"-sOutputFile={path}", str(ps)],
                   check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def pdf_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Well-formed PDFs from PyMuPDF (plain, garbage+deflate, object streams, incremental, odd
    pages), qpdf (linearized, object streams), reportlab, PDFium and Ghostscript, with plain,
    UTF-16 and PDFDocEncoding titles, and one with spoolview's XMP."""
    tmp = tmp_path_factory.mktemp("pdf-corpus")
    corpus: dict[str, Path] = {}

    def keep(name: str) -> Path:
        corpus[name] = tmp / f"{name}.pdf"
        return corpus[name]

    _mupdf_doc().save(keep("mupdf-plain"))
    _mupdf_doc(title=TITLE_UTF16).save(keep("mupdf-garbage-deflate"), garbage=4, deflate=True)
    _mupdf_doc(5).save(keep("mupdf-objstms"), garbage=4, deflate=True, use_objstms=1)
    shutil.copy(corpus["mupdf-plain"], keep("mupdf-incremental"))
    inc = pymupdf.open(corpus["mupdf-incremental"])
    inc.set_metadata({**inc.metadata, "subject": "sujet ajouté", "keywords": "a, b"})
    inc.new_page().insert_text((72, 72), "added")
    inc.saveIncr()
    inc.close()
    shutil.copy(corpus["mupdf-objstms"], keep("mupdf-objstms-incremental"))
    inc = pymupdf.open(corpus["mupdf-objstms-incremental"])
    inc.set_metadata({**inc.metadata, "title": "second version"})
    inc.saveIncr()
    inc.close()
    odd = _mupdf_doc(4)
    odd[1].set_rotation(90)
    odd[2].set_cropbox(pymupdf.Rect(10.3, 20.7, 300.1, 400.9))
    odd.xref_set_key(odd[0].xref, "MediaBox", "[-0.5 1.25 595.28 841.89]")
    odd[3].set_rotation(270)
    odd.save(keep("mupdf-rotated-cropped"))
    doc = _mupdf_doc(1)
    info = doc.xref_get_key(-1, "Info")[1].split()[0]
    doc.xref_set_key(int(info), "Title", "(" + "".join(f"\\{b:03o}" for b in PDFDOC_BYTES) + ")")
    doc.save(keep("mupdf-pdfdoc-title"))
    many = pymupdf.open()
    for _ in range(300):
        many.new_page(width=200, height=300)
    many.save(keep("mupdf-300-pages"), garbage=4, deflate=True, use_objstms=1)
    for name, options in (("qpdf-linearized", ["--linearize"]), ("qpdf-objstms", ["--object-streams=generate"]),
                          ("qpdf-qdf", ["--qdf", "--object-streams=disable"])):
        subprocess.run([require_tool("qpdf"), *options, str(corpus["mupdf-garbage-deflate"]), str(keep(name))], check=True, timeout=60)
    _reportlab(keep("reportlab"))
    _pdfium(keep("pdfium"))
    _ghostscript(keep("ghostscript"), tmp)
    from formats import open_document
    from formats.pdf import to_pdf

    root = Path(__file__).resolve().parents[2]
    with open_document(root / "samples" / "devis-D2026-0042.spv") as quote:
        keep("spoolview-quote").write_bytes(to_pdf(quote))
    return corpus


@pytest.fixture(scope="session")
def damaged_corpus(pdf_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """PDFs the strict reader must decline: encrypted, truncated, wrong startxref or xref offsets, ..."""
    tmp = tmp_path_factory.mktemp("pdf-damaged")
    plain = pdf_corpus["mupdf-plain"].read_bytes()
    streams = pdf_corpus["mupdf-objstms"].read_bytes()
    doc = _mupdf_doc(1)
    doc.save(tmp / "aes.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="s3cret", owner_pw="owner")
    doc.save(tmp / "rc4-no-user-password.pdf", encryption=pymupdf.PDF_ENCRYPT_RC4_128, owner_pw="owner")
    start = plain.rindex(b"startxref")
    xref = plain.index(b"\nxref") + 1
    entry = plain.index(b" 00000 n", xref) - 10
    first_offset = int(plain[entry:entry + 10])
    return {
        "aes-256": (tmp / "aes.pdf").read_bytes(),
        "rc4-no-user-password": (tmp / "rc4-no-user-password.pdf").read_bytes(),
        "truncated-half": plain[: len(plain) // 2],
        "truncated-no-trailer": plain[:start],
        "bad-startxref": plain[:start] + b"startxref\n12\n%%EOF\n",
        "startxref-beyond-the-end": plain[:start] + b"startxref\n999999\n%%EOF\n",
        "xref-offset-wrong": plain[:entry] + b"%010d" % (first_offset + 3) + plain[entry + 10:],
        "no-header": b"garbage\n" + plain,
        "xref-stream-damaged": _damage_xref_stream(streams),
        "objstm-damaged": _damage_first_objstm(streams),
    }


def _damage_xref_stream(data: bytes) -> bytes:
    """The last xref stream's compressed bytes flipped in the middle."""
    start = int(data[data.rindex(b"startxref") + 9:].split()[0])
    body = data.index(b"stream", data.index(b"/XRef", start)) + 7
    mid = body + 8
    return data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]


def _damage_first_objstm(data: bytes) -> bytes:
    body = data.index(b"stream", data.index(b"/ObjStm")) + 7
    return data[:body + 4] + bytes(8) + data[body + 12:]
