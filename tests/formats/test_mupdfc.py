"""formats.mupdfc: a PDF page drawn through PyMuPDF's libmupdf by ctypes, byte for byte as formats.render draws it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from formats import mupdfc, render
from viewer.docopen import open_document

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def _viewer_ppm(path: Path, dpi: float) -> bytes:
    with open_document(path) as doc:
        return render.render_ppm(doc, 0, dpi=dpi)


def _annotated(tmp_path: Path) -> Path:
    """A rotated, cropped page with annotations and a form field: what the viewer draws too."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 100), "Devis D2026-0042 : Zoé Müller", fontsize=16)
    page.draw_rect(pymupdf.Rect(50, 150, 250, 250), color=(0.1, 0.3, 0.5), fill=(0.12, 0.3, 0.47))
    page.add_highlight_annot(pymupdf.Rect(70, 85, 300, 105))
    page.add_text_annot((400, 400), "Note")
    page.add_freetext_annot(pymupdf.Rect(300, 500, 500, 560), "Bon pour accord", fontsize=12)
    widget = pymupdf.Widget()
    widget.field_name, widget.field_type, widget.field_value = "nom", pymupdf.PDF_WIDGET_TYPE_TEXT, "Dupont"
    widget.rect = pymupdf.Rect(72, 600, 300, 630)
    page.add_widget(widget)
    page.set_cropbox(pymupdf.Rect(20, 20, 580, 820))
    page.set_rotation(90)
    path = tmp_path / "annotated.pdf"
    doc.save(path)
    return path


@pytest.mark.parametrize("dpi", [72.0, 96.5, 150.0])
def test_the_sample_and_an_annotated_rotated_page_are_drawn_as_the_viewer_draws_them(tmp_path, dpi):
    for path in (SAMPLES / "notice.pdf", _annotated(tmp_path)):
        renderer = mupdfc.Renderer.open(path)
        assert renderer is not None, "PyMuPDF's libmupdf not found"
        assert renderer.render(dpi) == _viewer_ppm(path, dpi), (path, dpi)


def test_every_pdf_of_the_corpus_is_drawn_as_the_viewer_draws_it(pdf_corpus):
    for name, path in pdf_corpus.items():
        renderer = mupdfc.Renderer.open(path)
        assert renderer is not None, name
        assert renderer.render(96.0) == _viewer_ppm(path, 96.0), name


def test_a_pdf_that_asks_for_a_password_is_left_to_the_viewer(damaged_corpus, tmp_path):
    path = tmp_path / "aes.pdf"
    path.write_bytes(damaged_corpus["aes-256"])
    assert mupdfc.Renderer.open(path) is None


def test_out_of_range_dpi_is_refused():
    renderer = mupdfc.Renderer.open(SAMPLES / "notice.pdf")
    assert renderer is not None
    for dpi in (0.5, 2401):
        with pytest.raises(ValueError, match="dpi"):
            renderer.render(dpi)


def test_the_library_is_pymupdfs_own_and_its_version_the_one_pymupdf_reports():
    found = mupdfc.library()
    assert found is not None
    lib, version = found
    assert lib.parent == Path(pymupdf.__file__).parent and version == pymupdf.mupdf_version


def test_no_library_off_linux_or_without_pymupdf(monkeypatch):
    monkeypatch.setattr(mupdfc, "find_spec", lambda name: None)
    assert mupdfc.library() is None and mupdfc.Renderer.open(SAMPLES / "notice.pdf") is None
    monkeypatch.undo()
    monkeypatch.setattr(mupdfc.sys, "platform", "win32")
    assert mupdfc.library() is None


def test_a_library_of_another_version_is_not_used(monkeypatch):
    lib, _version = mupdfc.library() or (None, None)
    assert lib is not None
    monkeypatch.setattr(mupdfc, "library", lambda: (lib, "1.0.0"))  # MuPDF refuses a context for another version
    assert mupdfc.Renderer.open(SAMPLES / "notice.pdf") is None


def test_an_unreadable_file_ends_the_process_without_importing_pymupdf(tmp_path):
    """No fz_try under ctypes: MuPDF's error ends the (disposable) process at once, status 1."""
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a PDF at all, just text\n" * 20)
    good = SAMPLES / "notice.pdf"
    code = ("import sys; from formats.mupdfc import Renderer; "
            "r = Renderer.open(sys.argv[1]); assert r is not None and r.render(96.0).startswith(b'P6'); "
            "assert 'pymupdf' not in sys.modules, 'PyMuPDF imported'; Renderer.open(sys.argv[2]); print('not reached')")
    done = subprocess.run([sys.executable, "-c", code, str(good), str(bad)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and "not reached" not in done.stdout and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("dpi", [96.0, 133.3])
def test_a_spools_page_drawn_in_memory_is_drawn_as_the_viewer_draws_it(dpi):
    from formats.draw import spv_page_pdf

    quote = SAMPLES / "devis-D2026-0042.spv"
    with open_document(quote) as doc:
        renderer = mupdfc.Renderer.from_pdf_bytes(spv_page_pdf(doc.backend, 0))
        assert renderer is not None
        assert renderer.render(dpi) == render.render_ppm(doc, 0, dpi=dpi)
