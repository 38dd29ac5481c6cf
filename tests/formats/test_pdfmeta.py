"""PDF properties and document info in the XMP: checked by poppler and qpdf, restored on open, kept by protect."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
import pytest

from formats import DocInfo, open_document
from formats.pdf import Protection, protect, to_pdf
from formats.pdfmeta import NS, merge_xmp, producer, read_xmp

QUOTE = "devis-D2026-0042.spv"
EXPECTED = {"kind": "devis", "number": "D2026-0042", "date": "2026-11-20", "customer": "CLI001", "contact": "CT0001",
            "language": "fr", "title": "Devis D2026-0042"}


def pdfinfo(path: Path, *args: str) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", *args, str(path)], capture_output=True, text=True, check=True, timeout=30).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()) if v}


@pytest.fixture
def quote_pdf(samples: Path, tmp_path: Path) -> Path:
    out = tmp_path / "q.pdf"
    out.write_bytes(to_pdf(open_document(samples / QUOTE)))
    return out


def test_properties_are_the_documents_not_reportlabs_defaults(quote_pdf: Path) -> None:
    info = pdfinfo(quote_pdf, "-isodates")
    assert info["Title"] == "Devis D2026-0042"
    assert info["Author"] == "Menuiseries Beaumont & Fils SARL"  # the issuing company, from the spool
    assert info["Subject"] == "Atelier Dupré SARL"  # the customer's name
    assert info["Producer"] == producer() and re.fullmatch(r"spoolview \d+\.\d+.*", producer())
    assert producer() == f"spoolview {importlib.metadata.version('spoolview')}"  # the constant follows pyproject.toml
    created = datetime.fromisoformat(info["CreationDate"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)  # now, not 2000-01-01
    assert subprocess.run(["qpdf", "--check", str(quote_pdf)], capture_output=True, timeout=30).returncode == 0


def test_converted_quote_reopens_with_its_document_info(quote_pdf: Path) -> None:
    doc = open_document(quote_pdf)
    assert doc.source == "pdf"
    assert {k: v for k, v in doc.info.to_dict().items() if k in EXPECTED} == EXPECTED
    assert doc.info.customer_name == "Atelier Dupré SARL"
    assert to_pdf(doc) == quote_pdf.read_bytes()  # it already carries its info: passed through unchanged


def test_xmp_is_readable_by_poppler(quote_pdf: Path) -> None:
    xmp = subprocess.run(["pdfinfo", "-meta", str(quote_pdf)], capture_output=True, text=True, timeout=30).stdout
    assert NS in xmp and "<spoolview:customer>CLI001</spoolview:customer>" in xmp
    assert "<spoolview:contact>CT0001</spoolview:contact>" in xmp


@pytest.mark.parametrize("mode,password", [("no-modify", None), ("password", "s3cret-Pw")])
def test_info_survives_protection(quote_pdf: Path, tmp_path: Path, mode: str, password: str | None) -> None:
    out = tmp_path / "p.pdf"
    out.write_bytes(protect(quote_pdf.read_bytes(), Protection(mode, password or "")))
    assert "AES" in subprocess.run(["qpdf", "--show-encryption"] + ([f"--password={password}"] if password else []) + [str(out)],
                                   capture_output=True, text=True, timeout=30).stdout
    doc = open_document(out, password=password)
    assert doc.info.customer == "CLI001" and doc.info.contact == "CT0001" and doc.info.kind == "devis"
    if password:  # the metadata is encrypted with the rest: nothing readable without the password
        assert b"CLI001" not in out.read_bytes() and b"Atelier" not in out.read_bytes()


def test_text_spool_gets_properties_from_its_sidecar(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    out.write_bytes(to_pdf(open_document(samples / "releve-CLI003.txt")))
    assert pdfinfo(out)["Title"] == "Relevé de compte CLI003"
    assert pdfinfo(out)["Subject"] == "CLI003"  # no customer name in the sidecar: its code
    assert open_document(out).info.number == "R-CLI003-2026-11"


def test_pdf_with_a_sidecar_gets_the_info_and_keeps_its_own_xmp(tmp_path: Path) -> None:
    src = pymupdf.open()
    src.new_page().insert_text((72, 72), "Facture F9")
    src.set_metadata({"title": "Their own title", "author": "Their ERP"})
    foreign = ('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
               '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
               'xmlns:erp="urn:their-erp/"><erp:batch>B42</erp:batch></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
    src.set_xml_metadata(foreign)
    path = tmp_path / "f9.pdf"
    src.save(path)
    (tmp_path / "f9.meta.json").write_text('{"kind": "facture", "number": "F9", "customer": "CLI002"}', encoding="utf-8")
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(open_document(path)))
    again = open_document(out)  # no sidecar beside it: the info comes from the PDF
    assert (again.info.kind, again.info.number, again.info.customer) == ("facture", "F9", "CLI002")
    meta = pymupdf.open(out)
    assert "<erp:batch>B42</erp:batch>" in meta.get_xml_metadata()  # their metadata kept
    assert meta.metadata is not None
    assert meta.metadata["title"] == "Their own title" and meta.metadata["author"] == "Their ERP"


def test_pdf_without_info_passes_through(samples: Path) -> None:
    assert to_pdf(open_document(samples / "notice.pdf")) == (samples / "notice.pdf").read_bytes()


def test_sidecar_wins_over_the_pdfs_own_info(quote_pdf: Path) -> None:
    quote_pdf.with_name("q.meta.json").write_text('{"contact": "CT0002"}', encoding="utf-8")
    info = open_document(quote_pdf).info
    assert (info.customer, info.contact) == ("CLI001", "CT0002")


def test_merge_replaces_our_block_only() -> None:
    first = merge_xmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                      "</rdf:RDF></x:xmpmeta>", DocInfo(kind="devis", number="1"))
    second = merge_xmp(first, DocInfo(kind="facture", number="2"))
    assert second.count(NS) == 1
    assert read_xmp(second) == DocInfo(kind="facture", number="2")


@pytest.mark.parametrize("text", [
    "",
    "<x:xmpmeta>not xml",
    f'<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/"><k xmlns="{NS}">&a;</k></x:xmpmeta>',
])
def test_unreadable_or_hostile_xmp_gives_no_info(text: str) -> None:
    assert read_xmp(text) == DocInfo()


def test_xml_special_characters_round_trip() -> None:
    info = DocInfo(kind="devis", number="A&B <1>", customer="C\"'1")
    from formats.pdfmeta import Properties, xmp

    assert read_xmp(xmp(info, Properties.of(info))) == info


def test_pdfa_option_writes_the_pdfa_identification(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    out.write_bytes(to_pdf(open_document(samples / QUOTE), pdfa=True))
    assert subprocess.run(["qpdf", "--check", str(out)], capture_output=True, timeout=30).returncode == 0
    xmp = subprocess.run(["pdfinfo", "-meta", str(out)], capture_output=True, text=True, timeout=30).stdout
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "pdfaExtension:schemas" in xmp and NS in xmp  # our properties declared, as PDF/A requires
    mdoc = pymupdf.open(out)
    cat = mdoc.pdf_catalog()
    intents = mdoc.xref_get_key(cat, "OutputIntents")[1]
    intent = int(intents.strip("[]").split()[0])
    assert mdoc.xref_get_key(intent, "S")[1] == "/GTS_PDFA1"
    icc = int(mdoc.xref_get_key(intent, "DestOutputProfile")[1].split()[0])
    assert mdoc.xref_stream(icc)[36:40] == b"acsp"  # an ICC profile
    meta_xref = int(mdoc.xref_get_key(cat, "Metadata")[1].split()[0])
    assert mdoc.xref_get_key(meta_xref, "Filter")[0] == "null"  # PDF/A: metadata readable without a filter
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, timeout=30).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # every font embedded
    assert open_document(out).info.customer == "CLI001"


def test_text_still_copies_out(quote_pdf: Path) -> None:
    text = subprocess.run(["pdftotext", str(quote_pdf), "-"], capture_output=True, text=True, timeout=30).stdout
    assert "D2026-0042" in text and "Atelier Dupré SARL" in text
