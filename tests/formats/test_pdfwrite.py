"""formats.pdfwrite: one pass of our writer gives the properties, XMP and protection formats.pdfmeta.finish gave."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pymupdf

from formats.document import DocInfo
from formats.fonts import register
from formats.pdf import PERMISSIONS
from formats.pdfcanvas import Canvas
from formats.pdfmeta import Properties, pdf_date, producer, read_xmp
from formats.pdfwrite import Lock, write
from tests.support.tools import require_tool

NOW = datetime(2026, 11, 30, 17, 55, 1, tzinfo=UTC)
INFO = DocInfo(kind="facture", number="F2026-0107", customer="CLI003", issuer="Beaumont & Fils <SARL>",
               customer_name="Atelier Dupré", language="fr")


def _draw(c: Canvas, index: int) -> None:
    c.setFont(register("sans"), 12)
    c.drawString(72, 720, f"page {index + 1} éàü")


def pdfinfo(path: Path, *extra: str) -> dict[str, str]:
    out = subprocess.run([require_tool("pdfinfo"), *extra, str(path)], capture_output=True, text=True, check=True,
                         timeout=30).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def test_properties_and_xmp_as_finish_writes_them(tmp_path: Path) -> None:
    out = tmp_path / "f.pdf"
    out.write_bytes(write(_draw, 3, INFO, now=NOW))
    pdf = pymupdf.open(out)
    date = pdf_date(Properties.of(INFO, now=NOW).created)
    assert pdf.metadata == {
        "format": "PDF 1.4", "title": "Facture F2026-0107", "author": "Beaumont & Fils <SARL>",
        "subject": "Atelier Dupré", "keywords": "", "creator": "spoolview", "producer": producer(),
        "creationDate": date, "modDate": date, "trapped": "", "encryption": None,
    }
    assert re.fullmatch(r"D:20261130\d{6}[+-]\d\d'\d\d'", date)
    xmp = pdf.get_xml_metadata()
    assert read_xmp(xmp) == DocInfo(kind="facture", number="F2026-0107", customer="CLI003", language="fr",
                                    issuer="Beaumont & Fils <SARL>", customer_name="Atelier Dupré")
    assert "Beaumont &amp; Fils &lt;SARL&gt;" in xmp and "<xmp:CreatorTool>spoolview</xmp:CreatorTool>" in xmp
    assert Properties.of(INFO, now=NOW).created.isoformat() in xmp
    assert [pdf[i].get_text().strip() for i in range(3)] == ["page 1 éàü", "page 2 éàü", "page 3 éàü"]
    info = pdfinfo(out)
    assert info["Title"] == "Facture F2026-0107" and info["Subject"] == "Atelier Dupré"
    assert info["Metadata Stream"] == "yes" and info["Encrypted"] == "no" and info["Pages"] == "3"
    assert subprocess.run([require_tool("qpdf"), "--check", str(out)], capture_output=True, timeout=30).returncode == 0


def test_the_metadata_stream_is_not_compressed() -> None:
    data = write(_draw, 1, INFO, now=NOW)
    assert b"<spoolview:number>F2026-0107</spoolview:number>" in data  # XMP scanners read it without a filter


def test_empty_properties_are_left_out_and_the_title_falls_back(tmp_path: Path) -> None:
    out = tmp_path / "bare.pdf"
    out.write_bytes(write(_draw, 1, DocInfo(), fallback_title="releve-CLI003", now=NOW))
    info = pdfinfo(out)
    assert info["Title"] == "releve-CLI003" and "Author" not in info and "Subject" not in info
    assert info["Creator"] == "spoolview"


def test_each_file_gets_its_own_id() -> None:
    ids = {re.search(rb"/ID\s*\[\s*<([0-9a-f]+)>", write(_draw, 1, INFO, now=NOW)).group(1) for _ in range(2)}  # type: ignore[union-attr]
    assert len(ids) == 2


def test_a_lock_encrypts_strings_streams_and_the_metadata(tmp_path: Path) -> None:
    out = tmp_path / "locked.pdf"
    out.write_bytes(write(_draw, 2, INFO, lock=Lock("pw", "owner-pw", PERMISSIONS), now=NOW))
    data = out.read_bytes()
    assert b"F2026-0107" not in data and b"spoolview:number" not in data  # nothing readable without the key
    assert pdfinfo(out, "-upw", "pw")["Title"] == "Facture F2026-0107"
    assert pdfinfo(out, "-opw", "owner-pw")["Title"] == "Facture F2026-0107"  # the owner password opens it too
    text = subprocess.run([require_tool("pdftotext"), "-upw", "pw", str(out), "-"], capture_output=True, text=True,
                          check=True, timeout=30).stdout
    assert "page 1 éàü" in text and "page 2 éàü" in text  # the fonts' ToUnicode maps decrypted too
    wrong = subprocess.run([require_tool("pdftotext"), "-upw", "nope", str(out), "-"], capture_output=True, timeout=30)
    assert wrong.returncode != 0
    pdf = pymupdf.open(out)
    assert pdf.authenticate("owner-pw") and read_xmp(pdf.get_xml_metadata()).number == "F2026-0107"
    assert subprocess.run([require_tool("qpdf"), "--password=pw", "--check", str(out)], capture_output=True,
                          timeout=30).returncode == 0
    assert "pw" not in repr(Lock("pw", "owner-pw", PERMISSIONS))
