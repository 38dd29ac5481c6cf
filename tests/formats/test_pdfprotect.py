"""formats.pdfprotect: a well-formed PDF protected without PyMuPDF reads, renders and refuses like PyMuPDF's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from formats.pdf import PERMISSIONS, Protection, ProtectionError, protect
from formats.pdfparse import ParseError
from formats.pdfprotect import protect_parsed
from tests.formats.test_pdfparse import CORPUS, DAMAGED, PAGES
from tests.support.pdfbytes import classic_pdf
from tests.support.tools import require_tool

PASSWORD = "Żółw-sécret"


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool(argv[0]), *argv[1:]], capture_output=True, text=True, timeout=60)


def _text(path: Path, password: str | None = None) -> str:
    result = _run("pdftotext", *(["-upw", password] if password else []), str(path), "-")
    assert result.returncode == 0, result.stderr
    return result.stdout


def _pixels(path: Path, out: Path, password: str | None = None) -> list[bytes]:
    """Every page rendered by poppler at 20 dpi, as PPM bytes."""
    out.mkdir()
    subprocess.run([require_tool("pdftoppm"), "-r", "20", *(["-upw", password] if password else []), str(path),
                    str(out / "p")], check=True, capture_output=True, timeout=60)
    return [p.read_bytes() for p in sorted(out.glob("p-*.ppm"))]


@pytest.mark.parametrize("name", CORPUS)
def test_every_well_formed_pdf_is_protected_and_reads_as_the_original(pdf_corpus: dict[str, Path], name: str,
                                                                      tmp_path: Path) -> None:
    original = pdf_corpus[name]
    out = tmp_path / "no-modify.pdf"
    out.write_bytes(protect_parsed(original.read_bytes(), "", PERMISSIONS))
    check = _run("qpdf", "--check", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    shown = _run("qpdf", "--show-encryption", str(out)).stdout
    assert "R = 6" in shown and "file encryption method: AESv3" in shown and "User password = \n" in shown
    assert "modify anything: not allowed" in shown and "extract for accessibility: allowed" in shown
    assert _text(out) == _text(original)
    assert _pixels(out, tmp_path / "after") == _pixels(original, tmp_path / "before")
    before, after = pymupdf.open(original), pymupdf.open(out)
    assert after.page_count == before.page_count and not after.needs_pass
    assert {k: v for k, v in after.metadata.items() if k not in ("encryption", "format")} == \
        {k: v for k, v in before.metadata.items() if k not in ("encryption", "format")}
    assert after.get_xml_metadata() == before.get_xml_metadata()
    assert after.permissions == pymupdf.open(stream=protect_with_pymupdf(original.read_bytes()), filetype="pdf").permissions


def protect_with_pymupdf(data: bytes) -> bytes:
    """What formats.pdf.protect gave before this road: PyMuPDF's AES-256 save."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="", permissions=PERMISSIONS)


@pytest.mark.parametrize("name", ["qpdf-linearized", "mupdf-objstms-incremental", "ghostscript"])
def test_an_open_password_opens_it_and_a_wrong_one_is_refused(pdf_corpus: dict[str, Path], name: str,
                                                               tmp_path: Path) -> None:
    original = pdf_corpus[name]
    out = tmp_path / "password.pdf"
    out.write_bytes(protect_parsed(original.read_bytes(), PASSWORD, PERMISSIONS))
    assert _run("qpdf", "--requires-password", str(out)).returncode == 0
    assert _run("qpdf", f"--password={PASSWORD}", "--check", str(out)).returncode == 0
    shown = _run("qpdf", f"--password={PASSWORD}", "--show-encryption", str(out)).stdout
    assert "Supplied password is user password" in shown and "modify anything: not allowed" in shown
    for wrong in ("", "wrong", PASSWORD[:-1], PASSWORD.upper()):
        assert _run("qpdf", f"--password={wrong}", "--check", str(out)).returncode != 0
        assert _run("pdfinfo", "-upw", wrong, str(out)).returncode != 0
    info = _run("pdfinfo", "-upw", PASSWORD, str(out))
    assert info.returncode == 0 and "AES-256" in info.stdout and "change:no" in info.stdout
    assert _text(out, PASSWORD) == _text(original)
    doc = pymupdf.open(out)
    assert doc.needs_pass and not doc.authenticate("wrong") and doc.authenticate(PASSWORD)


def test_protect_of_a_well_formed_pdf_does_not_import_pymupdf(pdf_corpus: dict[str, Path], tmp_path: Path) -> None:
    probe = ("import sys\nfrom formats.pdf import Protection, protect\n"
             "data = protect(open(sys.argv[1], 'rb').read(), Protection('no-modify'))\n"
             "open(sys.argv[2], 'wb').write(data)\n"
             "print(sorted(m for m, mod in sys.modules.items() if mod is not None  # formats blocks pymupdf.layout with None\n"
             "             and m.split('.')[0] in ('pymupdf', 'cryptography', 'hashlib')))\n")
    out = tmp_path / "out.pdf"
    proc = subprocess.run([sys.executable, "-c", probe, str(pdf_corpus["qpdf-objstms"]), str(out)], capture_output=True,
                          text=True, timeout=60, check=True)
    assert proc.stdout.strip() == "[]"
    assert _run("qpdf", "--check", str(out)).returncode == 0


@pytest.mark.parametrize("name", DAMAGED)
def test_what_the_reader_declines_goes_to_pymupdf_as_before(damaged_corpus: dict[str, bytes], name: str) -> None:
    data = damaged_corpus[name]
    with pytest.raises(ParseError):
        protect_parsed(data, "", PERMISSIONS)
    try:
        protect_with_pymupdf(data)
    except Exception:  # noqa: BLE001 - PyMuPDF refuses it: protect still refuses it, as before this road
        with pytest.raises((ProtectionError, ValueError)):
            protect(data, Protection("no-modify"))
        return
    if name.startswith(("aes", "rc4")):
        with pytest.raises(ProtectionError, match="already protected"):
            protect(data, Protection("no-modify"))
    else:
        protected = protect(data, Protection("no-modify"))  # repaired and protected by PyMuPDF
        assert pymupdf.open(stream=protected, filetype="pdf").metadata["encryption"].endswith("256-bit AES")


def test_a_signed_pdf_is_left_to_pymupdf() -> None:
    signed = classic_pdf([b"<</Type/Catalog/Pages 2 0 R/AcroForm<</SigFlags 3/Fields[4 0 R]>>>>", PAGES[1], PAGES[2],
                       b"<</FT/Sig/T(s)/V<</Type/Sig/Filter/Adobe.PPKLite/ByteRange[0 1 2 3]/Contents<00>>>>>"],
                      b"<</Size 5/Root 1 0 R>>")
    with pytest.raises(ParseError, match="signed"):
        protect_parsed(signed, "", PERMISSIONS)


@pytest.mark.parametrize(("objects", "why"), [
    ([b"<</Type/Catalog/Pages 2 0 R/Lang/fran#E7ais>>", PAGES[1], PAGES[2]], "name that is not ASCII"),
    ([b"<</Type/Catalog/Pages 2 0 R/Extensions 4 0 R>>", PAGES[1], PAGES[2], b"<<>>"], "Extensions"),
    ([PAGES[0], PAGES[1], b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 200]/Contents 4 0 R>>",
      b"<</Length 0/F(external.dat)>>\nstream\n\nendstream"], "external file"),
])
def test_unusual_objects_are_left_to_pymupdf(objects: list[bytes], why: str) -> None:
    data = classic_pdf(objects, b"<</Size %d/Root 1 0 R>>" % (len(objects) + 1))
    with pytest.raises(ParseError, match=why):
        protect_parsed(data, "", PERMISSIONS)
    assert protect(data, Protection("no-modify")).startswith(b"%PDF")  # PyMuPDF still protects it


def test_a_direct_info_or_an_odd_page_tree_is_left_to_pymupdf() -> None:
    direct = classic_pdf(PAGES, b"<</Size 4/Root 1 0 R/Info<</Title(t)>>>>")
    with pytest.raises(ParseError, match="Info"):
        protect_parsed(direct, "", PERMISSIONS)
    orphan = classic_pdf([PAGES[0], PAGES[1], b"<</Type/Page/Parent 1 0 R/MediaBox[0 0 100 200]>>"],
                         b"<</Size 4/Root 1 0 R>>")  # the page's /Parent is not the node above it
    with pytest.raises(ParseError, match="Parent"):
        protect_parsed(orphan, "", PERMISSIONS)
    protected = pymupdf.open(stream=protect(direct, Protection("no-modify")), filetype="pdf")  # by PyMuPDF
    assert protected.metadata["encryption"].endswith("256-bit AES") and protected.page_count == 1


def test_numbers_references_and_strings_survive_the_rewrite(tmp_path: Path) -> None:
    objects = [b"<</Type/Catalog/Pages 2 0 R/Odd[0.000012345 -3.25 9 0 R (a\\)b) <00ff>]>>", PAGES[1],
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 100.123456789 200]>>"]
    data = classic_pdf(objects, b"<</Size 4/Root 1 0 R>>")  # 9 0 R: a missing object, null
    out = tmp_path / "odd.pdf"
    out.write_bytes(protect_parsed(data, "", PERMISSIONS))
    shown = _run("qpdf", "--show-object=1", "--filtered-stream-data", str(out)).stdout
    assert "/Odd [ 0.000012345 -3.25 null (a\\)b) <00ff> ]" in shown
    assert "100.123456789" in _run("qpdf", "--show-object=3", str(out)).stdout
    assert "/Extensions << /ADBE << /BaseVersion /1.7 /ExtensionLevel 8 >> >>" in shown
    assert out.read_bytes().startswith(b"%PDF-1.7\n")
