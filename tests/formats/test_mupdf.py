"""PDF, XPS and images through PyMuPDF: samples, passwords, damaged files, image bombs."""

from __future__ import annotations

import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pymupdf
import pytest

from formats import DocumentError, open_document
from formats.document import PasswordRequired
from formats.render import page_text, render_image
from tests.support.pdfbytes import classic_pdf


def make_xps(path: Path, pages: int = 2) -> Path:
    """A minimal XPS package with ``pages`` pages."""
    ns = "http://schemas.microsoft.com/xps/2005/06"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="fdseq" ContentType="application/vnd.ms-package.xps-fixeddocumentsequence+xml"/>'
            '<Default Extension="fdoc" ContentType="application/vnd.ms-package.xps-fixeddocument+xml"/>'
            '<Default Extension="fpage" ContentType="application/vnd.ms-package.xps-fixedpage+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Type="http://schemas.microsoft.com/xps/2005/06/fixedrepresentation" Target="/FixedDocSeq.fdseq" Id="R0"/></Relationships>',
        )
        z.writestr("FixedDocSeq.fdseq", f'<FixedDocumentSequence xmlns="{ns}"><DocumentReference Source="/Documents/1/FixedDoc.fdoc"/></FixedDocumentSequence>')
        refs = "".join(f'<PageContent Source="/Documents/1/Pages/{n}.fpage"/>' for n in range(1, pages + 1))
        z.writestr("Documents/1/FixedDoc.fdoc", f'<FixedDocument xmlns="{ns}">{refs}</FixedDocument>')
        for n in range(1, pages + 1):
            z.writestr(
                f"Documents/1/Pages/{n}.fpage",
                f'<FixedPage xmlns="{ns}" Width="816" Height="1056" xml:lang="fr"><Path Data="M 96,96 L 400,96 L 400,200 L 96,200 Z" Fill="#FF0000"/></FixedPage>',
            )
    return path


def encrypted_pdf(path: Path, password: str = "s3cret") -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Confidential")
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw="owner-" + password)
    return path


def test_pdf_sample(samples: Path) -> None:
    doc = open_document(samples / "notice.pdf")
    assert doc.source == "pdf" and doc.page_count == 2
    assert (doc.page(0).width, doc.page(0).height) == (595, 842)
    assert "Notice de pose" in page_text(doc, 0)
    assert doc.info.customer == ""


def test_multipage_tiff_sample(samples: Path) -> None:
    doc = open_document(samples / "scan-3pages.tiff")
    assert doc.source == "image" and doc.page_count == 3
    assert (doc.page(2).width, doc.page(2).height) == (612, 792)  # 850 x 1100 px at 100 dpi
    img = render_image(doc, 2, dpi=50)
    assert img.size == (425, 550)


def test_png_and_jpeg(tmp_path: Path) -> None:
    from PIL import Image

    for ext in ("png", "jpg"):
        path = tmp_path / f"photo.{ext}"
        Image.new("RGB", (300, 200), "blue").save(path)
        doc = open_document(path)
        assert doc.source == "image" and doc.page_count == 1
        assert render_image(doc, 0, dpi=72).getpixel((10, 10))[2] > 200


def test_xps(tmp_path: Path) -> None:
    doc = open_document(make_xps(tmp_path / "doc.xps"))
    assert doc.source == "xps" and doc.page_count == 2
    img = render_image(doc, 0, dpi=72)
    r, g, b = img.getpixel((150, 100))
    assert r > 200 and g < 50


def test_sidecar_applies_to_pdf(samples: Path, tmp_path: Path) -> None:
    import json
    import shutil

    shutil.copy(samples / "notice.pdf", tmp_path / "n.pdf")
    (tmp_path / "n.meta.json").write_text(json.dumps({"kind": "notice", "customer": "CLI001"}))
    doc = open_document(tmp_path / "n.pdf")
    assert (doc.info.kind, doc.info.customer) == ("notice", "CLI001")


def test_encrypted_pdf_needs_its_password(tmp_path: Path) -> None:
    path = encrypted_pdf(tmp_path / "secret.pdf")
    with pytest.raises(PasswordRequired) as err:
        open_document(path)
    assert "protected by a password" in str(err.value) and str(path) in str(err.value)
    with pytest.raises(PasswordRequired, match="wrong password"):
        open_document(path, password="nope")
    doc = open_document(path, password="s3cret")
    assert "Confidential" in page_text(doc, 0)
    assert "s3cret" not in str(err.value)


def test_damaged_pdf(tmp_path: Path, samples: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"garbage " * 50)
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert str(path) in str(err.value) and "cannot read this PDF file" in str(err.value)
    assert "incomplete or damaged: produce or copy it again" in str(err.value)


def test_half_a_pdf_says_it_may_be_incomplete(tmp_path: Path, samples: Path) -> None:
    path = tmp_path / "half.pdf"
    data = (samples / "notice.pdf").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DocumentError) as err:
        render_image(open_document(path), 0)
    assert str(err.value).startswith(str(path)) and "incomplete or damaged" in str(err.value)


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(9000, 9000), (100000, 100000)])
def test_decompression_bomb_image_refused(tmp_path: Path, size: tuple[int, int]) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header(*size))
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert "too large" in str(err.value) and "megapixels" in str(err.value)


def test_truncated_image(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "cut.jpg"
    Image.new("RGB", (300, 200), "red").save(path)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DocumentError) as err:
        doc = open_document(path)
        render_image(doc, 0)
    assert str(path) in str(err.value) and "code=" not in str(err.value)
    assert "incomplete or damaged" in str(err.value)


# -- damaged PDFs: the second engine (PDFium) ----------------------------------------------


def wrong_count_pdf(samples: Path, tmp_path: Path) -> Path:
    """The sample quote's PDF whose page tree says /Count 0 (a buggy writer): MuPDF trusts the
    count and finds no page; PDFium walks the tree and finds two."""
    import re

    from formats.pdf import to_pdf

    raw = pymupdf.open(stream=to_pdf(open_document(samples / "devis-D2026-0042.spv")), filetype="pdf").tobytes(expand=255)
    path = tmp_path / "damaged.pdf"
    path.write_bytes(re.sub(rb"/Count \d+", b"/Count 0", raw))
    assert pymupdf.open(path).page_count == 0
    return path


def test_damaged_pdf_is_read_by_the_second_engine_and_said_repaired(samples: Path, tmp_path: Path) -> None:
    from formats.pdf import to_pdf
    from formats.render import page_text

    doc = open_document(wrong_count_pdf(samples, tmp_path))
    assert doc.repaired and doc.page_count == 2
    assert "D2026-0042" in page_text(doc, 0)
    assert doc.info.customer == "CLI001"  # its XMP was still readable
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(doc))
    assert subprocess.run(["qpdf", "--check", str(out)], capture_output=True, timeout=30).returncode == 0
    again = open_document(out)
    assert not again.repaired and again.page_count == 2 and again.info.customer == "CLI001"


def test_a_pdf_neither_engine_reads_is_still_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert str(err.value).startswith(str(path)) and ("damaged" in str(err.value) or "no pages" in str(err.value))


@pytest.mark.parametrize("kids", [b"[3 0 R]", b"[]"])
def test_a_count_mupdf_refuses_is_said_to_have_no_pages(tmp_path: Path, kids: bytes) -> None:
    """MuPDF raises "Invalid number of pages" for a /Count beyond the file's objects (a traceback once)."""
    out = classic_pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Count 5/Kids%s>>" % kids,
                       b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 200]>>"], b"<</Size 4/Root 1 0 R>>")
    path = tmp_path / "count.pdf"
    path.write_bytes(out)
    with pytest.raises(DocumentError) as caught:  # PDFium reads no page of it either
        open_document(path)
    assert caught.value.code == "document.no_pages" and "count.pdf: the document has no pages" in str(caught.value)
