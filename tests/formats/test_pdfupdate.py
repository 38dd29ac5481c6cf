"""Incremental updates of the Info and XMP: checked by qpdf, poppler's pdfinfo and PyMuPDF."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pymupdf
import pytest

from formats.document import DocInfo
from formats.pdfmeta import add_info, doc_info
from formats.pdfparse import Name, Pdf, Ref, _Lexer
from formats.pdfupdate import serialize, set_info
from tests.support.tools import require_tool

from .test_pdfparse import CORPUS, _corpus_file

INFO = DocInfo(kind="devis", number="D2026-0042", customer="CLI001", title="Devis D2026-0042",
               issuer="Menuiseries Beaumont & Fils", customer_name="Atelier Dupré (Lyon)")


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run([require_tool("pdfinfo"), "-enc", "UTF-8", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def qpdf_check(path: Path) -> str:
    proc = subprocess.run([require_tool("qpdf"), "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # 3 would be warnings
    return proc.stdout


@pytest.mark.parametrize("name", CORPUS)
def test_the_info_is_added_as_a_true_incremental_update(pdf_corpus: dict[str, Path], name: str, tmp_path: Path) -> None:
    original = _corpus_file(pdf_corpus, name).read_bytes()
    before = Pdf(original)
    own = pymupdf.open(stream=original, filetype="pdf").metadata
    out = tmp_path / "out.pdf"
    out.write_bytes(add_info(original, INFO))
    written = out.read_bytes()
    assert written.startswith(original) and len(written) > len(original)  # appended, nothing rewritten
    qpdf_check(out)
    shown = pdfinfo(out)
    # The file's own Title/Author/Subject kept; ours fill only the empty ones.
    assert shown.get("Title") == (own["title"] or "Devis D2026-0042").strip()
    assert shown.get("Author") == (own["author"] or "Menuiseries Beaumont & Fils").strip()
    assert shown.get("Subject") == (own["subject"] or "Atelier Dupré (Lyon)").strip()
    assert int(shown["Pages"]) == before.page_count
    mdoc = pymupdf.open(out)
    assert mdoc.page_count == before.page_count and not mdoc.is_repaired
    assert doc_info(mdoc) == DocInfo(kind="devis", number="D2026-0042", customer="CLI001", title="Devis D2026-0042",
                                     issuer="Menuiseries Beaumont & Fils", customer_name="Atelier Dupré (Lyon)")
    assert [p.rect for p in mdoc] == [p.rect for p in pymupdf.open(stream=original, filetype="pdf")]
    after = Pdf(written)  # the update reads again without PyMuPDF, its section of the same kind
    assert after.file.last_is_stream == before.file.last_is_stream
    assert after.file.trailer.get("ID") == before.file.trailer.get("ID") and after.file.trailer["Root"] == before.file.trailer["Root"]
    assert after.file.trailer["Prev"] == before.file.startxref
    assert add_info(written, INFO) != written  # a second update chains to this one
    assert Pdf(add_info(written, INFO)).page_count == before.page_count


def test_a_document_converted_twice_passes_through_the_second_time(pdf_corpus: dict[str, Path], tmp_path: Path) -> None:
    from formats import open_document
    from formats.pdf import to_pdf

    source = tmp_path / "notice.pdf"
    source.write_bytes(pdf_corpus["qpdf-objstms"].read_bytes())
    (tmp_path / "notice.meta.json").write_text('{"kind": "devis", "number": "D1", "customer": "CLI001"}', encoding="utf-8")
    with open_document(source) as doc:
        first = to_pdf(doc)
        assert doc.backend._doc is None  # PyMuPDF never opened
    assert first.startswith(source.read_bytes())
    again = tmp_path / "again.pdf"
    again.write_bytes(first)
    with open_document(again) as doc:
        assert doc.info.number == "D1" and doc.backend.embedded_info == doc.info
        assert to_pdf(doc) == first  # already says what it is


def test_a_pdf_the_reader_declines_is_still_given_its_info_by_pymupdf(damaged_corpus: dict[str, bytes], tmp_path: Path) -> None:
    damaged = damaged_corpus["xref-offset-wrong"]  # MuPDF repairs it silently
    out = tmp_path / "out.pdf"
    out.write_bytes(add_info(damaged, INFO))
    assert not out.read_bytes().startswith(damaged)  # rewritten whole by PyMuPDF
    qpdf_check(out)
    assert doc_info(pymupdf.open(out)).number == "D2026-0042"


def test_an_xmp_in_place_is_replaced_and_other_blocks_kept(pdf_corpus: dict[str, Path], tmp_path: Path) -> None:
    original = pdf_corpus["spoolview-quote"].read_bytes()
    before = Pdf(original)
    meta = before.catalog["Metadata"]
    assert isinstance(meta, Ref)
    written = add_info(original, DocInfo(number="OTHER"))
    after = Pdf(written)
    assert after.catalog["Metadata"] == meta  # a new version of the same object: the catalog untouched
    xmp = after.xmp()  # our block replaced, the rest of the packet kept
    assert "<dc:title>" in xmp and "<spoolview:number>OTHER<" in xmp and "<spoolview:number>D2026-0042<" not in xmp
    out = tmp_path / "out.pdf"
    out.write_bytes(written)
    qpdf_check(out)


def test_set_info_with_nothing_to_change_returns_the_file(pdf_corpus: dict[str, Path]) -> None:
    original = pdf_corpus["mupdf-plain"].read_bytes()
    assert set_info(Pdf(original)) == original
    assert add_info(original, DocInfo()) == original


def test_titles_outside_ascii_are_written_as_utf16(pdf_corpus: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    out.write_bytes(set_info(Pdf(pdf_corpus["pdfium"].read_bytes()), info={"Title": "Ελληνικά (1) \\ 日本", "Author": "a (b) \\ c"}))
    qpdf_check(out)
    assert pdfinfo(out)["Title"] == "Ελληνικά (1) \\ 日本" and pdfinfo(out)["Author"] == "a (b) \\ c"
    assert pymupdf.open(out).metadata["title"] == "Ελληνικά (1) \\ 日本"


@pytest.mark.parametrize("value", [
    None, True, False, 0, -12, 3.25, 1e-7, b"(bin\x00\xff)", Name("A B#/"), Ref(12, 3),
    [1, [Name("X")], {"K": b""}], {"Type": Name("Catalog"), "Pages": Ref(2, 0), "Nested": {"Deep": [None]}},
])
def test_serialize_round_trips(value: object) -> None:
    parsed = _Lexer(serialize(value)).value()
    assert parsed == value if not isinstance(value, float) else abs(parsed - value) < 1e-9  # type: ignore[operator]


def test_adding_the_info_of_a_well_formed_pdf_does_not_import_pymupdf(pdf_corpus: dict[str, Path], tmp_path: Path) -> None:
    import sys

    source = tmp_path / "notice.pdf"
    source.write_bytes(pdf_corpus["reportlab"].read_bytes())
    (tmp_path / "notice.meta.json").write_text('{"kind": "devis", "number": "D7"}', encoding="utf-8")
    probe = ("import sys\nfrom formats import open_document\nfrom formats.pdf import to_pdf\n"
             "with open_document(sys.argv[1]) as doc:\n    sys.stdout.buffer.write(to_pdf(doc))\n"
             "sys.stderr.write(' '.join(sys.modules))\n")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", probe, str(source)], capture_output=True, timeout=120, cwd=root, check=True)
    assert proc.stdout.startswith(source.read_bytes()) and b"<spoolview:number>D7<" in proc.stdout
    assert "pymupdf" not in proc.stderr.decode().split()
