"""PostScript spools through Ghostscript: page count and text, the private cache, clear errors."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from formats import DocumentError, open_document
from formats.detect import sniff
from formats.limits import Limits
from formats.pdf import to_pdf
from formats.render import page_text
from tests.support.tools import require_tool


def ps_of(pdf: Path, out: Path) -> Path:
    """PostScript made by Ghostscript's ps2write from a PDF (what a printer driver would send)."""
    subprocess.run([require_tool("gs"), "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=ps2write", f"-sOutputFile={out}", str(pdf)],
                   check=True, capture_output=True, timeout=120)
    return out


@pytest.fixture(scope="module")
def invoice_ps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ps")
    pdf = folder / "facture.pdf"
    pdf.write_bytes(to_pdf(open_document(Path(__file__).resolve().parents[2] / "samples" / "facture-F2026-0107.spv")))
    return ps_of(pdf, folder / "facture.ps")


@pytest.fixture(scope="module")
def quote_ps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ps")
    pdf = folder / "devis.pdf"
    pdf.write_bytes(to_pdf(open_document(Path(__file__).resolve().parents[2] / "samples" / "devis-D2026-0042.spv")))
    return ps_of(pdf, folder / "devis.ps")


def test_postscript_opens_with_its_pages_and_text(quote_ps: Path, tmp_path: Path) -> None:
    doc = open_document(quote_ps, cache_dir=tmp_path / "cache")
    assert doc.source == "ps" and doc.page_count == 2 and doc.path == quote_ps
    text = page_text(doc, 0)
    # ps2write keeps no Unicode mapping for the spool's subset fonts: accented letters come out
    # unreadable (as from many printer drivers), the rest is text.
    assert "D2026-0042" in text and "Atelier Dupr" in text and "21000 Dijon" in text
    assert "Report de la page 1" in page_text(doc, 1)


def test_converted_once_and_cached_privately(quote_ps: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "postscript"
    open_document(quote_ps, cache_dir=cache).close()
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".pdf"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    before = files[0].stat().st_mtime_ns
    copy = tmp_path / "same.ps"  # same content, other name: the same cache entry
    copy.write_bytes(quote_ps.read_bytes())
    env_path = os.environ["PATH"]
    os.environ["PATH"] = ""  # Ghostscript out of reach: only the cache can answer
    try:
        assert open_document(copy, cache_dir=cache).page_count == 2
    finally:
        os.environ["PATH"] = env_path
    assert files[0].stat().st_mtime_ns == before and len(list(cache.iterdir())) == 1


def test_to_pdf_is_the_ghostscript_pdf_with_the_info(invoice_ps: Path, tmp_path: Path) -> None:
    invoice_ps.with_name("facture.meta.json").write_text('{"kind": "facture", "number": "F2026-0107", "customer": "CLI002"}')
    try:
        doc = open_document(invoice_ps, cache_dir=tmp_path)
        out = tmp_path / "f.pdf"
        out.write_bytes(to_pdf(doc))
    finally:
        invoice_ps.with_name("facture.meta.json").unlink()
    assert subprocess.run(["qpdf", "--check", str(out)], capture_output=True, timeout=30).returncode == 0
    assert "Brasserie Kowalski" in subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, timeout=30).stdout
    assert open_document(out).info.customer == "CLI002"


def test_sniffed_by_content_whatever_the_name(quote_ps: Path, tmp_path: Path) -> None:
    odd = tmp_path / "job-0042.prn"
    odd.write_bytes(quote_ps.read_bytes())
    assert sniff(odd.read_bytes()[:8192], odd) == "ps"
    assert open_document(odd, cache_dir=tmp_path / "c").source == "ps"


def test_eps_is_cropped_to_its_bounding_box(tmp_path: Path) -> None:
    eps = tmp_path / "logo.eps"
    eps.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 200 100\n/Helvetica findfont 20 scalefont setfont\n"
                   "10 40 moveto (LOGO EPS) show\nshowpage\n")
    doc = open_document(eps, cache_dir=tmp_path / "c")
    assert (round(doc.page(0).width), round(doc.page(0).height)) == (200, 100)
    assert "LOGO EPS" in page_text(doc, 0)


def test_broken_postscript_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ps"
    bad.write_text("%!PS-Adobe-3.0\n/Helvetica findfont 12 scalefont setfont\n72 72 moveto (x) show\nnosuchoperator\nshowpage\n")
    with pytest.raises(DocumentError) as err:
        open_document(bad, cache_dir=tmp_path / "c")
    text = str(err.value)
    assert text.startswith(str(bad)) and "not valid PostScript" in text and "undefined" in text and "nosuchoperator" in text
    assert not list((tmp_path / "c").iterdir())  # nothing half-made left in the cache


def test_missing_ghostscript_says_how_to_install_it(quote_ps: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(DocumentError) as err:
        open_document(quote_ps, cache_dir=tmp_path / "c")
    assert "Ghostscript is needed" in str(err.value) and "sudo apt install ghostscript" in str(err.value)


def test_page_limit_applies_to_postscript(quote_ps: Path, tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="max_pages = 1"):
        open_document(quote_ps, cache_dir=tmp_path / "c", limits=Limits(max_pages=1))
