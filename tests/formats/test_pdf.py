"""to_pdf and protect: text survives copy-paste; AES-256 checked by qpdf and pdftoppm."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats import DocumentError, open_document
from formats.native import SpoolWriter
from formats.pdf import MAX_PASSWORD_CHARS, Protection, ProtectionError, protect, to_pdf
from tests.support.tools import require_tool

SAMPLES = ("devis-D2026-0042.spv", "facture-F2026-0107.spv", "releve-CLI003.txt", "scan-3pages.tiff", "notice.pdf", "mail-devis.eml")


def pdftoppm_pages(path: Path, out: Path, password: str | None = None) -> int:
    """Render every page with poppler; returns the number of images made."""
    cmd = [require_tool("pdftoppm"), "-r", "10", "-png"]
    if password is not None:
        cmd += ["-upw", password]
    subprocess.run(cmd + [str(path), str(out / "p")], check=True, capture_output=True, timeout=60)
    return len(list(out.glob("p-*.png")))


def qpdf_check(path: Path, password: str | None) -> int:
    """qpdf's structural check; it needs the right password to succeed."""
    cmd = [require_tool("qpdf"), "--check"] + ([f"--password={password}"] if password is not None else [])
    return subprocess.run(cmd + [str(path)], capture_output=True, timeout=30).returncode


def qpdf_encryption(path: Path, password: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [require_tool("qpdf"), "--show-encryption"]
    if password is not None:
        cmd.append(f"--password={password}")
    return subprocess.run(cmd + [str(path)], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_converts_and_poppler_renders_it(samples: Path, tmp_path: Path, name: str) -> None:
    doc = open_document(samples / name)
    pdf = to_pdf(doc)
    out = tmp_path / "out.pdf"
    out.write_bytes(pdf)
    assert pdftoppm_pages(out, tmp_path) == doc.page_count


def test_pdf_passes_through(samples: Path) -> None:
    assert to_pdf(open_document(samples / "notice.pdf")) == (samples / "notice.pdf").read_bytes()


def test_encrypted_pdf_is_decrypted_for_conversion(tmp_path: Path) -> None:
    src = pymupdf.open()
    src.new_page().insert_text((72, 72), "inside")
    path = tmp_path / "enc.pdf"
    src.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="owner")
    pdf = to_pdf(open_document(path, password="pw"))
    out = pymupdf.open(stream=pdf, filetype="pdf")
    assert not out.needs_pass
    assert out[0].get_text().strip() == "inside"


def test_spool_fonts_are_embedded(samples: Path) -> None:
    pdf = pymupdf.open(stream=to_pdf(open_document(samples / "devis-D2026-0042.spv")), filetype="pdf")
    fonts = pdf.get_page_fonts(0)
    assert fonts and all(f[1] != "n/a" for f in fonts)
    for _xref, ext, *_ in fonts:
        assert ext == "ttf"  # an embedded TrueType subset, not a Base-14 reference
    assert pdf.metadata["title"] == "Devis D2026-0042"


LATIN = st.characters(
    codec="utf-8",
    categories=("Lu", "Ll", "Nd", "Zs"),
    min_codepoint=0x20,
    max_codepoint=0x17F,
    exclude_characters="\u00a0\u00ad",
) | st.sampled_from("€.,;:!?'()-/%&")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.text(LATIN, min_size=1, max_size=12).map(str.strip).filter(bool), min_size=1, max_size=6))
def test_text_comes_back_unchanged_from_the_pdf(words: list[str]) -> None:
    text = " ".join(" ".join(words).split())
    w = SpoolWriter()
    w.new_page().text(10, 20, text, family="sans", size=10)
    w.pages[0].text(10, 40, text, family="serif", bold=True)
    w.pages[0].text(10, 60, text, family="mono", italic=True)
    import tempfile

    from formats.native import open_spv

    with tempfile.TemporaryDirectory() as d:
        doc = open_spv(w.save(Path(d) / "p.spv"))
        pdf = pymupdf.open(stream=to_pdf(doc), filetype="pdf")
        lines = [line.strip() for line in pdf[0].get_text().splitlines() if line.strip()]
    assert lines == [text, text, text]


def _pdf(samples: Path) -> bytes:
    return to_pdf(open_document(samples / "devis-D2026-0042.spv"))


def test_no_modify_protection(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "nm.pdf"
    out.write_bytes(protect(_pdf(samples), Protection("no-modify")))
    res = qpdf_encryption(out)
    assert res.returncode == 0, res.stderr
    report = res.stdout
    assert "R = 6" in report and "file encryption method: AESv3" in report  # AES-256
    assert "User password = \n" in report  # opens without a password
    assert subprocess.run([require_tool("qpdf"), "--requires-password", str(out)], timeout=30).returncode == 3  # encrypted, no password
    assert qpdf_check(out, None) == 0
    assert "modify anything: not allowed" in report
    assert "modify annotations: not allowed" in report
    assert "print high resolution: allowed" in report
    assert "extract for any purpose: allowed" in report
    assert "extract for accessibility: allowed" in report
    assert pdftoppm_pages(out, tmp_path) == 2
    assert pymupdf.open(out).page_count == 2


def test_two_no_modify_files_use_different_owner_passwords(samples: Path) -> None:
    pdf = _pdf(samples)
    assert protect(pdf, Protection("no-modify")) != protect(pdf, Protection("no-modify"))


def test_password_protection(samples: Path, tmp_path: Path) -> None:
    password = "Żółw-€-sécret"
    out = tmp_path / "pw.pdf"
    out.write_bytes(protect(_pdf(samples), Protection("password", password)))
    res = qpdf_encryption(out, password)
    assert res.returncode == 0, res.stderr
    assert "R = 6" in res.stdout and "AESv3" in res.stdout
    assert "modify anything: not allowed" in res.stdout
    assert "extract for accessibility: allowed" in res.stdout
    assert "Supplied password is user password" in res.stdout
    assert subprocess.run([require_tool("qpdf"), "--requires-password", str(out)], timeout=30).returncode == 0
    for attempt in (None, "wrong", password[:-1], password.upper()):
        assert qpdf_check(out, attempt) != 0
    assert qpdf_check(out, password) == 0
    assert pdftoppm_pages(out, tmp_path, password) == 2
    with pytest.raises(subprocess.CalledProcessError):
        pdftoppm_pages(out, tmp_path, "wrong")
    doc = pymupdf.open(out)
    assert doc.needs_pass and not doc.authenticate("wrong") and doc.authenticate(password)


def test_protection_none_is_identity(samples: Path) -> None:
    pdf = _pdf(samples)
    assert protect(pdf, Protection()) is pdf


@pytest.mark.parametrize(
    "protection, message",
    [
        (Protection("password", ""), "a password is needed"),
        (Protection("password", "x" * (MAX_PASSWORD_CHARS + 1)), "too long for a PDF (41 characters, at most 40)"),
        (Protection("password", "€" * 40), None),
        (Protection("password", "tab\there"), "control characters"),
        (Protection("secret"), "unknown protection 'secret'"),
    ],
)
def test_protection_errors(samples: Path, protection: Protection, message: str | None) -> None:
    if message is None:
        assert protect(_pdf(samples), protection).startswith(b"%PDF")
        return
    with pytest.raises(ProtectionError) as err:
        protect(_pdf(samples), protection)
    assert message in str(err.value)
    assert isinstance(err.value, DocumentError)
    if protection.password:
        assert protection.password not in str(err.value)
        assert protection.password not in repr(protection)


def test_protect_refuses_non_pdf_and_protected_pdf(samples: Path) -> None:
    with pytest.raises(ProtectionError, match="not a readable PDF"):
        protect(b"hello", Protection("no-modify"))
    once = protect(_pdf(samples), Protection("no-modify"))
    with pytest.raises(ProtectionError, match="already protected"):
        protect(once, Protection("no-modify"))


@pytest.mark.parametrize("name", ["devis-D2026-0042.spv", "facture-F2026-0107.spv"])
def test_poppler_extracts_every_text_item_unchanged(samples: Path, tmp_path: Path, name: str) -> None:
    """An independent reader (poppler's pdftotext, as copy-paste in other viewers) gets the same text."""
    import json

    raw = json.loads((samples / name).read_text("utf-8"))
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(open_document(samples / name)))
    for number, page in enumerate(raw["pages"], start=1):
        extracted = subprocess.run(
            [require_tool("pdftotext"), "-f", str(number), "-l", str(number), "-raw", str(out), "-"],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout
        flat = " ".join(extracted.split())
        for item in page["items"]:
            texts = [item["text"]] if item["type"] == "text" else []
            if item["type"] == "table":
                texts = [cell for row in [item.get("header", []), *item["rows"]] for cell in row]
            for text in texts:
                assert " ".join(text.split()) in flat, (number, text)


def test_one_opened_document_converts_to_the_same_bytes(samples: Path, tmp_path: Path) -> None:
    doc = open_document(samples / "devis-D2026-0042.spv")
    first = to_pdf(doc)
    assert to_pdf(doc) is first  # same creation date and /ID: a message composed twice is the same
    doc.info.contact = "CT0002"
    changed = to_pdf(doc)
    assert changed != first
    (tmp_path / "c.pdf").write_bytes(changed)
    assert open_document(tmp_path / "c.pdf").info.contact == "CT0002"


def test_pymupdf_constants_are_the_values_written_out() -> None:
    import formats.pdf as fp

    assert fp.PERMISSIONS == (pymupdf.PDF_PERM_ACCESSIBILITY | pymupdf.PDF_PERM_PRINT | pymupdf.PDF_PERM_PRINT_HQ
                              | pymupdf.PDF_PERM_COPY)
    assert (fp.ENCRYPT_NONE, fp.ENCRYPT_AES_256) == (pymupdf.PDF_ENCRYPT_NONE, pymupdf.PDF_ENCRYPT_AES_256)


def _contents(pdf: pymupdf.Document) -> list[bytes]:
    return [page.read_contents() for page in pdf]


@pytest.mark.parametrize("name", ["devis-D2026-0042.spv", "releve-CLI003.txt"])
def test_a_spool_is_protected_in_one_pass_no_modify(samples: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "nm.pdf"
    out.write_bytes(to_pdf(open_document(samples / name), protection=Protection("no-modify")))
    assert out.read_bytes().startswith(b"%PDF-1.7")  # AES-256 R6: PDF 1.7 with Adobe's extension level 8
    report = qpdf_encryption(out)
    assert report.returncode == 0, report.stderr
    for line in ("R = 6", "P = -1324", "User password = \n", "stream encryption method: AESv3",
                 "string encryption method: AESv3", "file encryption method: AESv3", "modify anything: not allowed",
                 "modify annotations: not allowed", "modify forms: not allowed", "modify document assembly: not allowed",
                 "print high resolution: allowed", "extract for any purpose: allowed", "extract for accessibility: allowed"):
        assert line in report.stdout, line
    assert qpdf_check(out, None) == 0 and qpdf_check(out, "wrong") != 0
    pdf = pymupdf.open(out)
    assert not pdf.needs_pass and pdf.metadata["encryption"] == "Standard V5 R6 256-bit AES"
    plain = pymupdf.open(stream=to_pdf(open_document(samples / name)), filetype="pdf")
    assert _contents(pdf) == _contents(plain)  # the same page content streams as the unprotected PDF
    assert pdftoppm_pages(out, tmp_path) == plain.page_count
    with pytest.raises(ProtectionError, match="already protected"):
        protect(out.read_bytes(), Protection("no-modify"))


def test_a_spool_is_protected_in_one_pass_with_a_password(samples: Path, tmp_path: Path) -> None:
    password = "Żółw-€-sécret"
    doc = open_document(samples / "devis-D2026-0042.spv")
    out = tmp_path / "pw.pdf"
    out.write_bytes(to_pdf(doc, protection=Protection("password", password)))
    report = qpdf_encryption(out, password)
    assert report.returncode == 0, report.stderr
    assert "R = 6" in report.stdout and "Supplied password is user password" in report.stdout
    assert "modify anything: not allowed" in report.stdout and "extract for accessibility: allowed" in report.stdout
    assert subprocess.run([require_tool("qpdf"), "--requires-password", str(out)], timeout=30).returncode == 0
    for attempt in (None, "", "wrong", password[:-1], password.upper()):
        assert qpdf_check(out, attempt) != 0
    assert qpdf_check(out, password) == 0
    decrypted = tmp_path / "dec.pdf"
    subprocess.run([require_tool("qpdf"), f"--password={password}", "--decrypt", str(out), str(decrypted)], check=True,
                   timeout=30)
    assert _contents(pymupdf.open(decrypted)) == _contents(pymupdf.open(stream=to_pdf(doc), filetype="pdf"))
    info = subprocess.run([require_tool("pdfinfo"), "-upw", password, str(out)], capture_output=True, text=True,
                          check=True, timeout=30).stdout
    assert "Title:           Devis D2026-0042" in info and "Author:          Menuiseries Beaumont & Fils SARL" in info
    assert "Encrypted:       yes (print:yes copy:yes change:no addNotes:no algorithm:AES-256)" in info
    text = subprocess.run([require_tool("pdftotext"), "-upw", password, str(out), "-"], capture_output=True, text=True,
                          check=True, timeout=30).stdout
    assert "D2026-0042" in text
    assert subprocess.run([require_tool("pdftotext"), "-upw", "wrong", str(out), "-"], capture_output=True,
                          timeout=30).returncode != 0
    pdf = pymupdf.open(out)
    assert pdf.needs_pass and not pdf.authenticate("wrong") and pdf.authenticate(password)
    assert pdf.metadata["title"] == "Devis D2026-0042" and pdf.metadata["creator"] == "spoolview"
    from formats.pdfmeta import doc_info

    assert doc_info(pdf).number == "D2026-0042"  # the XMP, encrypted with the rest, reads back


def test_one_pass_protection_keeps_the_rules(samples: Path) -> None:
    doc = open_document(samples / "devis-D2026-0042.spv")
    with pytest.raises(ProtectionError, match="a password is needed"):
        to_pdf(doc, protection=Protection("password"))
    with pytest.raises(ProtectionError, match="unknown protection"):
        to_pdf(doc, protection=Protection("secret"))
    assert to_pdf(doc, protection=Protection()) is to_pdf(doc)


def test_one_opened_document_gives_the_same_protected_bytes(samples: Path) -> None:
    doc = open_document(samples / "devis-D2026-0042.spv")
    first = to_pdf(doc, protection=Protection("password", "one"))
    assert to_pdf(doc, protection=Protection("password", "one")) is first
    other = to_pdf(doc, protection=Protection("password", "two"))
    assert other != first and pymupdf.open(stream=other, filetype="pdf").authenticate("two")
    assert b"two" not in repr(doc._pdf).encode()  # the cache keys carry no password
    assert to_pdf(doc, protection=Protection("no-modify")) != to_pdf(doc)


def test_the_one_pass_road_does_not_import_pymupdf(samples: Path) -> None:
    code = ("import sys; from formats import open_document; from formats.pdf import Protection, to_pdf; "
            "doc = open_document(sys.argv[1]); to_pdf(doc); to_pdf(doc, protection=Protection('password', 'pw')); "
            "print([m for m in ('pymupdf', 'fitz', 'pymupdf.mupdf', 'pymupdf._mupdf') if sys.modules.get(m) is not None])")
    for name in ("devis-D2026-0042.spv", "releve-CLI003.txt"):
        run = subprocess.run([sys.executable, "-c", code, str(samples / name)], capture_output=True, text=True,
                             timeout=120, check=True, cwd=Path(__file__).resolve().parents[2])
        assert run.stdout.strip() == "[]", name


def test_long_spools_and_pdfa_still_go_through_pymupdf(samples: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import formats.pdf as fp

    monkeypatch.setattr(fp, "ONE_PASS_PAGES", 1)  # the 2-page quote is now "long": drawn in chunks, joined by PyMuPDF
    out = tmp_path / "long.pdf"
    out.write_bytes(to_pdf(open_document(samples / "devis-D2026-0042.spv"), protection=Protection("password", "pw")))
    assert out.read_bytes().startswith(b"%PDF-1.7\n")  # joined by MuPDF, then protected by formats.pdfprotect
    report = qpdf_encryption(out, "pw")
    assert "R = 6" in report.stdout and "modify anything: not allowed" in report.stdout
    assert qpdf_check(out, "pw") == 0 and qpdf_check(out, None) != 0
    monkeypatch.undo()
    pdfa = to_pdf(open_document(samples / "devis-D2026-0042.spv"), pdfa=True)
    assert b"pdfaid:part" in pdfa and pdfa.startswith(b"%PDF-1.4")
