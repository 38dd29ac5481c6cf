"""The strict PDF structure reader: what it accepts it reads as PyMuPDF does; the rest it declines."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from formats import DocumentError, PasswordRequired, open_document
from formats import mupdf as mupdf_module
from formats.pdfmeta import doc_info, read_xmp
from formats.pdfparse import Name, ParseError, Pdf, PdfFile, Ref, _Lexer, text_string
from tests.support.pdfbytes import classic_pdf

CORPUS = ("mupdf-plain", "mupdf-garbage-deflate", "mupdf-objstms", "mupdf-incremental", "mupdf-objstms-incremental",
          "mupdf-rotated-cropped", "mupdf-pdfdoc-title", "mupdf-300-pages", "qpdf-linearized", "qpdf-objstms", "qpdf-qdf",
          "reportlab", "pdfium", "ghostscript", "spoolview-quote")
DAMAGED = ("aes-256", "rc4-no-user-password", "truncated-half", "truncated-no-trailer", "bad-startxref",
           "startxref-beyond-the-end", "xref-offset-wrong", "no-header", "xref-stream-damaged", "objstm-damaged")
INFO_KEYS = {"title": "Title", "author": "Author", "subject": "Subject", "keywords": "Keywords", "creator": "Creator",
             "producer": "Producer", "creationDate": "CreationDate", "modDate": "ModDate"}


def _corpus_file(pdf_corpus: dict[str, Path], name: str) -> Path:
    return pdf_corpus[name]


@pytest.mark.parametrize("name", CORPUS)
def test_a_well_formed_pdf_reads_as_pymupdf_reads_it(pdf_corpus: dict[str, Path], name: str) -> None:
    data = _corpus_file(pdf_corpus, name).read_bytes()
    parsed = Pdf(data)
    mdoc = pymupdf.open(stream=data, filetype="pdf")
    assert not mdoc.needs_pass and not mdoc.is_encrypted
    assert parsed.page_count == mdoc.page_count
    info = parsed.info()
    assert {k: info.get(v, "") for k, v in INFO_KEYS.items()} == {k: mdoc.metadata[k] for k in INFO_KEYS}
    assert parsed.xmp() == mdoc.get_xml_metadata()
    assert read_xmp(parsed.xmp()) == doc_info(mdoc)
    assert parsed.page_sizes() == [(p.rect.width, p.rect.height) for p in mdoc]


def test_the_corpus_has_what_it_claims(pdf_corpus: dict[str, Path]) -> None:
    """The cases the reader must handle really are in the corpus (else the test above proves little)."""
    def parsed(name: str) -> Pdf:
        return Pdf(pdf_corpus[name].read_bytes())

    assert parsed("mupdf-objstms").file.last_is_stream and not parsed("mupdf-plain").file.last_is_stream
    for name, key in (("qpdf-objstms", "Info"), ("qpdf-objstms", "Root"), ("mupdf-objstms", "Pages")):
        pdf = parsed(name)
        ref = (pdf.catalog if key == "Pages" else pdf.file.trailer)[key]
        entry = pdf.file.entries[ref.num] if isinstance(ref, Ref) else None
        assert entry is not None and entry.kind == 2, (name, key)  # inside an object stream
    assert parsed("mupdf-incremental").file.trailer.get("Prev") and parsed("mupdf-objstms-incremental").file.trailer.get("Prev")
    assert parsed("mupdf-incremental").page_count == 4  # the page added by the update
    assert parsed("mupdf-objstms-incremental").info()["Title"] == "second version"
    assert pdf_corpus["qpdf-linearized"].read_bytes()[:1024].count(b"/Linearized") == 1
    assert parsed("mupdf-garbage-deflate").info()["Title"].startswith("Devis n° 42 — Ελληνικά")
    assert parsed("reportlab").info()["Author"] == "Société Générale"
    assert "spoolview" in parsed("spoolview-quote").xmp() and read_xmp(parsed("spoolview-quote").xmp()).number == "D2026-0042"
    kids = parsed("mupdf-300-pages")
    assert kids.page_count == 300 and len(kids.page_sizes()) == 300


@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_or_encrypted_pdf_is_declined(damaged_corpus: dict[str, bytes], name: str) -> None:
    with pytest.raises(ParseError):
        Pdf(damaged_corpus[name])


def _outcome(path: Path, password: str | None = None) -> tuple[object, ...]:
    try:
        with open_document(path, password=password) as doc:
            return ("opened", doc.page_count, doc.repaired, [(p.width, p.height) for p in doc.pages()], doc.info)
    except DocumentError as exc:
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("name", DAMAGED)
def test_a_declined_pdf_gets_what_pymupdf_alone_gave(damaged_corpus: dict[str, bytes], name: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(damaged_corpus[name])
    password = "s3cret" if name == "aes-256" else None
    now = _outcome(path, password)
    monkeypatch.setattr(mupdf_module, "open_parsed", lambda *_: None)  # the road before formats.pdfparse
    assert now == _outcome(path, password)
    if name == "aes-256":
        assert isinstance(_error(path), PasswordRequired)


def _error(path: Path) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        open_document(path)
    return caught.value


@pytest.mark.parametrize("name", CORPUS)
def test_open_document_leaves_pymupdf_closed_until_a_page_is_drawn(pdf_corpus: dict[str, Path], name: str) -> None:
    from formats.render import page_text

    path = _corpus_file(pdf_corpus, name)
    mdoc = pymupdf.open(path)
    with open_document(path) as doc:
        assert doc.backend._doc is None and doc.page_count == mdoc.page_count and not doc.repaired
        assert [(p.width, p.height) for p in doc.pages()] == [(p.rect.width, p.rect.height) for p in mdoc]
        assert (doc.backend._doc is None) == (doc.page_count <= mupdf_module.WALK_PAGES)  # longer: PyMuPDF measures
        assert page_text(doc, 0) == mdoc[0].get_text()
        assert doc.backend._doc is not None and doc.backend._doc.page_count == doc.page_count


def test_text_strings_decode_as_pymupdf_decodes_them(pdf_corpus: dict[str, Path]) -> None:
    mdoc = pymupdf.open(pdf_corpus["mupdf-pdfdoc-title"])
    title = Pdf(pdf_corpus["mupdf-pdfdoc-title"].read_bytes()).info()["Title"]
    assert title == mdoc.metadata["title"] and "€" in title and "ž" in title and "\u02dc" not in title
    assert text_string(b"\xfe\xff\x00A\x00\xe9") == "Aé"
    assert text_string(b"\xef\xbb\xbfA\xc3\xa9") == "Aé"
    assert text_string(b"\x18\x80\xa0") == "\u02d8\u2022\u20ac"
    for bad in (b"A\x7f", b"A\x9f", b"\xad", b"A\x00B", b"\xfe\xff\x00", b"\xfe\xff\xd8\x00", b"\xff\xfeA\x00"):
        with pytest.raises(ParseError):
            text_string(bad)


@pytest.mark.parametrize(("source", "value"), [
    (b"(a\\(b\\)c)", b"a(b)c"), (b"(nested (paren) ok)", b"nested (paren) ok"), (b"(\\101\\53\\0010)", b"A+\x010"),
    (b"(line\\\ncontinued)", b"linecontinued"), (b"(\\n\\r\\t\\b\\f\\\\\\q)", b"\n\r\t\b\f\\q"), (b"<41 42 4>", b"AB@"),
    (b"/A#20B", Name("A B")), (b"[1 0 R 2 -3.5 .5 true null]", [Ref(1, 0), 2, -3.5, 0.5, True, None]),
    (b"<</K [1 2] /D <</E (x)>>>>", {"K": [1, 2], "D": {"E": b"x"}}), (b"% comment\n 7", 7),
])
def test_objects_parse(source: bytes, value: object) -> None:
    assert _Lexer(source).value() == value


@pytest.mark.parametrize("source", [b"(unterminated", b"<4G>", b"<</K>>", b"<</K 1 2>>", b"endobj", b")", b"[" * 100 + b"]" * 100])
def test_bad_objects_raise_a_parse_error(source: bytes) -> None:
    with pytest.raises(ParseError):
        _Lexer(source).value()


PAGES = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Count 1/Kids[3 0 R]>>", b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 200]>>"]


def test_a_hand_written_pdf_reads() -> None:
    parsed = Pdf(classic_pdf(PAGES, b"<</Size 4/Root 1 0 R>>"))
    assert parsed.page_count == 1 and parsed.page_sizes() == [(100.0, 200.0)] and parsed.info() == {} and parsed.xmp() == ""


@pytest.mark.parametrize(("objects", "trailer", "why"), [
    (PAGES, b"<</Size 4/Root 1 0 R/Prev 9>>", "XRef"),  # /Prev pointing at the catalog
    ([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Count 0/Kids[]>>"], b"<</Size 3/Root 1 0 R>>", "Count"),
    ([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Count true/Kids[]>>"], b"<</Size 3/Root 1 0 R>>", "Count"),
    ([b"<</Type/Catalog/Pages 1 0 R>>"], b"<</Size 2/Root 1 0 R>>", "Count"),
    ([b"<</Pages 2 0 R>>", b"2 0 R"], b"<</Size 3/Root 1 0 R>>", "loop|page tree"),
    (PAGES, b"<</Size 2/Root 1 0 R>>", "Size"),
    (PAGES, b"<</Size 4/Root 1 0 R/Encrypt<</Filter/Standard>>>>", "encrypted"),
    ([*PAGES, b"(not a dictionary)"], b"<</Size 5/Root 1 0 R/Info 4 0 R>>", "Info"),
])
def test_inconsistent_structures_are_declined(objects: list[bytes], trailer: bytes, why: str) -> None:
    with pytest.raises(ParseError, match=why):
        Pdf(classic_pdf(objects, trailer)).info()


@pytest.mark.parametrize(("count", "size"), [(3, 4), (4, 4), (5, 4), (4, 10)])
def test_a_count_beyond_the_objects_is_declined_as_mupdf_refuses_it(count: int, size: int) -> None:
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Count %d/Kids[3 0 R]>>" % count, PAGES[2]]
    data = classic_pdf(objects, b"<</Size %d/Root 1 0 R>>" % size)
    try:
        expected: object = pymupdf.open(stream=data, filetype="pdf").page_count
    except RuntimeError:
        expected = ParseError
    if expected is ParseError:
        with pytest.raises(ParseError, match="Count"):
            Pdf(data)
    else:
        assert Pdf(data).page_count == expected == 3


def test_a_prev_chain_that_loops_is_declined() -> None:
    first = classic_pdf(PAGES, b"<</Size 4/Root 1 0 R>>")
    xref = int(first[first.rindex(b"startxref") + 9:].split()[0])
    looped = classic_pdf(PAGES, b"<</Size 4/Root 1 0 R/Prev %d>>" % xref)
    with pytest.raises(ParseError, match="loops"):
        PdfFile(looped)


def test_a_page_tree_whose_counts_disagree_is_left_to_pymupdf() -> None:
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Count 2/Kids[3 0 R]>>", PAGES[2]]
    parsed = Pdf(classic_pdf(objects, b"<</Size 4/Root 1 0 R>>"))
    assert parsed.page_count == 2  # /Count, as MuPDF counts
    with pytest.raises(ParseError, match="Count"):
        parsed.page_sizes()


def test_a_page_whose_parent_is_elsewhere_is_measured_by_pymupdf() -> None:
    """MuPDF inherits a page's MediaBox through its /Parent, not through the path that led to it."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Count 1/Kids[3 0 R]/MediaBox[0 0 50 50]>>",
               b"<</Type/Page/Parent 4 0 R>>", b"<</Type/Pages/Count 0/Kids[]/MediaBox[0 0 80 90]>>"]
    parsed = Pdf(classic_pdf(objects, b"<</Size 5/Root 1 0 R>>"))
    assert parsed.page_count == 1
    with pytest.raises(ParseError, match="Parent"):
        parsed.page_sizes()


def test_a_stream_length_that_lies_is_declined() -> None:
    objects = [b"<</Type/Catalog/Pages 2 0 R/Metadata 4 0 R>>", PAGES[1], PAGES[2], b"<</Length 99>>\nstream\nabc\nendstream"]
    with pytest.raises(ParseError, match="endstream"):
        Pdf(classic_pdf(objects, b"<</Size 5/Root 1 0 R>>")).xmp()


def _with_xref_stream(plain: dict[int, bytes], packed: dict[int, tuple[int, int]], size: int) -> bytes:
    """A PDF whose objects ``plain`` are written out and ``packed`` (num: (stream, index)) sit in object streams."""
    out = bytearray(b"%PDF-1.5\n")
    rows = {0: b"\x00\x00\x00\xff"}
    for num, body in sorted(plain.items()):
        rows[num] = b"\x01" + len(out).to_bytes(2, "big") + b"\x00"
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    rows.update({num: b"\x02" + stm.to_bytes(2, "big") + bytes([k]) for num, (stm, k) in packed.items()})
    xref = len(out)
    rows[size - 1] = b"\x01" + xref.to_bytes(2, "big") + b"\x00"
    data = b"".join(rows.get(n, b"\x00\x00\x00\x00") for n in range(size))
    out += b"%d 0 obj\n<</Type/XRef/Size %d/W[1 2 1]/Root 1 0 R/Length %d>>\nstream\n" % (size - 1, size, len(data))
    out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_object_streams_and_their_loops() -> None:
    body = b"2 0 3 40 "
    objs = body + b"<</Type/Pages/Count 1/Kids[3 0 R]>>".ljust(40) + b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 20]>>"
    stm = b"<</Type/ObjStm/N 2/First %d/Length %d>>\nstream\n" % (len(body), len(objs)) + objs + b"\nendstream"
    good = _with_xref_stream({1: b"<</Type/Catalog/Pages 2 0 R>>", 4: stm}, {2: (4, 0), 3: (4, 1)}, 6)
    parsed = Pdf(good)
    assert parsed.page_count == 1 and parsed.page_sizes() == [(10.0, 20.0)]
    assert pymupdf.open(stream=good, filetype="pdf").page_count == 1
    looped = stm.replace(b"/Type/ObjStm", b"/Type/ObjStm/Filter 2 0 R")  # its filter inside itself
    with pytest.raises(ParseError, match="needs itself"):
        Pdf(_with_xref_stream({1: b"<</Type/Catalog/Pages 2 0 R>>", 4: looped}, {2: (4, 0), 3: (4, 1)}, 6))
    wrong = _with_xref_stream({1: b"<</Type/Catalog/Pages 2 0 R>>", 4: stm}, {2: (4, 1), 3: (4, 0)}, 6)
    with pytest.raises(ParseError, match="index"):
        Pdf(wrong)


def test_a_stream_whose_length_needs_itself_is_declined() -> None:
    objects = [b"<</Type/Catalog/Pages 2 0 R/Metadata 4 0 R>>", PAGES[1], PAGES[2], b"<</Length 4 0 R>>\nstream\nabc\nendstream"]
    with pytest.raises(ParseError, match="itself"):
        Pdf(classic_pdf(objects, b"<</Size 5/Root 1 0 R>>")).xmp()


def test_a_large_file_is_left_to_pymupdf(pdf_corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond MAX_ENTRIES cross-reference entries pure Python reads slower than PyMuPDF imports and opens."""
    import formats.pdfparse

    data = pdf_corpus["mupdf-300-pages"].read_bytes()
    assert Pdf(data).page_count == 300
    monkeypatch.setattr(formats.pdfparse, "MAX_ENTRIES", 100)
    with pytest.raises(ParseError, match="more than 100"):
        Pdf(data)
    monkeypatch.setattr(formats.pdfparse, "MAX_ENTRIES", len(PdfFile(classic_pdf(PAGES, b"<</Size 4/Root 1 0 R>>")).entries))
    assert Pdf(classic_pdf(PAGES, b"<</Size 4/Root 1 0 R>>")).page_count == 1  # the limit itself is allowed
