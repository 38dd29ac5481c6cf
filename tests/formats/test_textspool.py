"""Line-printer text spools: pagination, 80/132 columns, encodings, sidecar DocInfo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formats import DocumentError, open_document
from formats.pdf import to_pdf
from formats.render import page_text
from formats.textspool import LINES_PER_PAGE, decode, paginate


def test_statement_sample(samples: Path) -> None:
    doc = open_document(samples / "releve-CLI003.txt")
    assert doc.source == "text"
    assert doc.backend.encoding == "cp1252"
    assert doc.page_count == 3
    assert doc.backend.columns == 132
    assert doc.page(0).width > doc.page(0).height  # 132 columns: landscape
    info = doc.info
    assert (info.kind, info.customer, info.number, info.date, info.language) == ("releve", "CLI003", "R-CLI003-2026-11", "2026-11-30", "fr")
    text = page_text(doc, 0)
    assert "RELEVÉ DE COMPTE CLIENT" in text and "Règlement chèque" in text and "€" in text
    assert "Page   2/3" in page_text(doc, 1)


def test_form_feed_and_long_pages(tmp_path: Path) -> None:
    body = "\n".join(f"line {k}" for k in range(LINES_PER_PAGE + 5))
    path = tmp_path / "r.prn"
    path.write_text("first page\n\fsecond page\n\f" + body + "\n\f", encoding="utf-8")
    doc = open_document(path)
    assert doc.page_count == 4  # final form feed adds no blank page; the long page continues
    assert doc.backend.pages[0] == ["first page"]
    assert doc.backend.pages[3] == [f"line {k}" for k in range(LINES_PER_PAGE, LINES_PER_PAGE + 5)]
    assert doc.backend.columns == 80
    assert doc.page(0).height > doc.page(0).width  # 80 columns: portrait
    assert doc.info.kind == ""  # no sidecar


def test_paginate_cleans_control_sequences() -> None:
    pages = paginate("\x1b[1mBold\x1b[0m\tx\r\nA\bB\x07\r\n")
    assert pages == [["Bold    x", "B"]]
    assert paginate("") == [[""]]


def test_cp850_is_detected(tmp_path: Path) -> None:
    text = "┌──────────┐\n│ Société  │ Réglé à échéance, reçu\n└──────────┘\n"
    path = tmp_path / "dos.lst"
    path.write_bytes(text.encode("cp850"))
    doc = open_document(path)
    assert doc.backend.encoding == "cp850"
    assert "Réglé à échéance" in page_text(doc, 0)


def test_cp1252_and_utf8_detected(tmp_path: Path) -> None:
    sample = "Facture réglée : 1 250,00 € — reçu œuvre\n"
    assert decode(sample.encode("cp1252"), None, tmp_path) == (sample, "cp1252")
    assert decode(sample.encode("utf-8"), None, tmp_path) == (sample, "utf-8")
    assert decode(b"\xef\xbb\xbf" + sample.encode("utf-8"), None, tmp_path) == (sample, "utf-8")


def test_given_encoding_is_used(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Zażółć gęślą jaźń\n".encode("cp1250"))
    doc = open_document(path, encoding="cp1250")
    assert "Zażółć gęślą jaźń" in page_text(doc, 0)


def test_undecodable_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"ok line\nsecond \xe9t\xe9\n")
    with pytest.raises(DocumentError) as err:
        open_document(path, encoding="utf-8")
    assert "cannot be decoded as utf-8 (line 2, byte 0xe9)" in str(err.value)
    assert "cp1252" in str(err.value)
    with pytest.raises(DocumentError, match="unknown encoding 'klingon'"):
        open_document(path, encoding="klingon")


def test_bad_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("hello\n")
    meta = tmp_path / "r.meta.json"
    meta.write_text('{"kind": "releve",')
    with pytest.raises(DocumentError) as err:
        open_document(path)
    assert str(err.value).startswith(str(meta)) and "invalid JSON" in str(err.value)
    meta.write_text(json.dumps(["x"]))
    with pytest.raises(DocumentError, match="expected a JSON object"):
        open_document(path)
    meta.write_text(json.dumps({"customer": {"x": 1}}))
    with pytest.raises(DocumentError, match="field 'customer'"):
        open_document(path)


def test_wide_report_shrinks_to_fit(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_text("x" * 200 + "\n")
    doc = open_document(path)
    assert doc.backend.columns == 200
    assert "x" * 200 in page_text(doc, 0).replace("\n", "")
    pdf = to_pdf(doc)
    assert pdf.startswith(b"%PDF")


TEXT_CHARS = st.characters(codec="cp1252", categories=("Lu", "Ll", "Nd"), max_codepoint=0x17F) | st.sampled_from(" €.,;:-/%&'")


@settings(max_examples=15, deadline=None)
@given(lines=st.lists(st.text(TEXT_CHARS, min_size=1, max_size=60).map(str.strip).filter(bool), min_size=1, max_size=5))
def test_text_spool_comes_back_unchanged_from_the_pdf(lines: list[str]) -> None:
    import tempfile

    import pymupdf

    lines = [" ".join(line.split()) for line in lines]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.txt"
        path.write_bytes("\r\n".join(lines).encode("cp1252"))
        doc = open_document(path, encoding="cp1252")  # detection is tested above
        pdf = pymupdf.open(stream=to_pdf(doc), filetype="pdf")
        got = [" ".join(line.split()) for line in pdf[0].get_text().splitlines() if line.strip()]
    assert got == lines


def test_sidecar_with_every_docinfo_field(tmp_path: Path) -> None:
    info = {"kind": "releve", "number": "R-1", "date": "2026-11-30", "customer": "CLI003", "contact": "CT0009",
            "language": "fr", "title": "Relevé", "mail_subject": "Votre relevé", "mail_body": "Bonjour,\nci-joint.", "mail_to": "a@example.com"}
    (tmp_path / "r.txt").write_text("ligne\n", encoding="cp1252")
    (tmp_path / "r.meta.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    assert open_document(tmp_path / "r.txt").info.to_dict() == info
