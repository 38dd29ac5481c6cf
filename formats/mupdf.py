"""PDF, XPS and images (PNG, JPEG, TIFF incl. multi-page) through PyMuPDF.

A well-formed, unencrypted PDF is opened without PyMuPDF: formats.pdfparse reads its page
count, document info and (simple) page sizes, and PyMuPDF (~90 ms to import) opens it only
when a page is drawn, searched or read (``MupdfBackend.doc``). Anything else is opened by
PyMuPDF at once, which repairs it or says why it cannot.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path
from typing import Any

from formats.document import DocInfo, Document, DocumentError, Page, PasswordRequired
from formats.meta import read_sidecar


@cache
def mupdf() -> Any:
    """The pymupdf module, imported on first use, with MuPDF's messages on stderr turned off."""
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    return pymupdf


class MupdfBackend:
    """A PyMuPDF document; pages are loaded by PyMuPDF on demand. Without ``doc``, PyMuPDF opens
    ``data`` (a PDF formats.pdfparse accepted) the first time ``doc`` is asked for."""

    def __init__(self, doc: Any, data: bytes | None = None, path: Path | None = None) -> None:
        self._doc = doc
        self.path = path
        self.data = data  # original bytes when known (PDF pass-through)
        self.encrypted = False  # opened with a password: to_pdf writes a decrypted copy
        self.embedded_info = DocInfo()  # the document info the file itself carries (XMP)
        self.sizes: list[tuple[float, float]] | None = None  # page sizes read without PyMuPDF
        self._pages: dict[int, Any] = {}

    @property
    def doc(self) -> Any:
        """The PyMuPDF document (opened now when the file was read by formats.pdfparse)."""
        if self._doc is None:
            try:
                self._doc = mupdf().open(stream=self.data, filetype="pdf")
            except Exception as exc:  # noqa: BLE001 - PyMuPDF raises various types on bad input
                raise DocumentError(f"cannot read this PDF file ({reason(exc)})", code="file.damaged",
                                    params={"kind": "PDF", "reason": reason(exc)}, file=self.path, hint=_DAMAGED) from None
        return self._doc

    def mupdf_page(self, index: int) -> Any:
        page = self._pages.get(index)
        if page is None:
            if len(self._pages) >= 16:
                self._pages.pop(next(iter(self._pages)))
            try:
                page = self.doc[index]
            except Exception as exc:  # noqa: BLE001 - damaged content
                raise DocumentError(f"cannot read this page ({reason(exc)})", code="page.unreadable",
                                    params={"reason": reason(exc)}, file=self.path, page=index + 1, hint=_DAMAGED) from None
            self._pages[index] = page
        return page

    def close(self) -> None:
        self.__dict__.pop("_render_cache", None)
        self._pages.clear()
        if self._doc is not None:
            self._doc.close()


def check_image_file(path: Path) -> None:
    """Refuse images (every frame of a TIFF) too large to decode safely."""
    from PIL import Image

    from formats.native import MAX_IMAGE_PIXELS, check_image_size  # the spool reader: not needed for a PDF

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as img:
                frames = getattr(img, "n_frames", 1)
                for k in range(min(frames, 10_000)):
                    if k:
                        img.seek(k)
                    check_image_size(*img.size, what="the image", file=path, page=k + 1 if frames > 1 else None)
        except DocumentError:
            raise
        except Image.DecompressionBombError:
            check_image_size(MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS, what="the image", file=path)
        except Exception:  # noqa: BLE001 - PIL cannot parse it; let PyMuPDF say what it thinks
            return


def open_mupdf(path: Path, kind: str, *, password: str | None = None) -> Document:
    """Open a PDF ("pdf"), XPS ("xps") or image ("image") file."""
    if kind == "image":
        check_image_file(path)
    data = path.read_bytes() if kind == "pdf" else None
    if data is not None:
        quick = open_parsed(path, data)
        if quick is not None:
            return quick
    pymupdf = mupdf()
    repaired = False
    embedded = DocInfo()
    try:
        if kind == "pdf":
            doc = pymupdf.open(stream=data, filetype="pdf")
        elif kind == "xps":
            doc = pymupdf.open(path, filetype="xps")
        else:
            doc = pymupdf.open(path)
    except Exception as exc:  # noqa: BLE001 - PyMuPDF raises various types on bad input
        what = "image" if kind == "image" else kind.upper()
        fixed = repair(data, password) if data is not None else None
        if fixed is None:
            raise DocumentError(f"cannot read this {what} file ({reason(exc)})", code="file.damaged",
                                params={"kind": what, "reason": reason(exc)}, file=path, hint=_DAMAGED) from None
        doc, data, repaired = pymupdf.open(stream=fixed, filetype="pdf"), fixed, True
    encrypted = bool(doc.needs_pass)  # asked once: asking again after authenticate() breaks decryption
    if encrypted:
        if not password:
            doc.close()
            raise PasswordRequired("the document is protected by a password", code="password.required", file=path, hint="give the password to open it")
        if not doc.authenticate(password):
            doc.close()
            raise PasswordRequired("wrong password", code="password.wrong", file=path, hint="check the password and try again")
    if kind == "pdf":
        from formats.pdfmeta import doc_info

        embedded = doc_info(doc)
    if _page_count(doc) < 1 and data is not None and not repaired:
        fixed = repair(data, password)  # MuPDF finds no page: PDFium may (e.g. a wrong /Count)
        if fixed is not None:
            doc.close()
            doc, data, repaired, encrypted = pymupdf.open(stream=fixed, filetype="pdf"), fixed, True, False
    if _page_count(doc) < 1:
        doc.close()
        raise DocumentError("the document has no pages", code="document.no_pages", file=path)
    backend = MupdfBackend(doc, data, path)
    backend.encrypted = encrypted
    info = read_sidecar(path)
    if kind == "pdf":
        backend.embedded_info = DocInfo() if repaired else embedded  # the repaired copy lost its XMP
        # The sidecar, written for this file, wins field by field over what the PDF carries.
        info = DocInfo.from_dict({**embedded.to_dict(), **info.to_dict()})
    if kind == "image":
        try:
            backend.mupdf_page(0)  # decode errors show at open, not later in a view
        except DocumentError:
            doc.close()
            raise

    def load(index: int) -> Page:
        rect = backend.mupdf_page(index).rect
        return Page(index=index, width=rect.width, height=rect.height)

    return Document(
        path=path,
        source=kind,  # type: ignore[arg-type]  # detect passes only pdf, xps or image
        info=info,
        page_count=doc.page_count,
        backend=backend,
        repaired=repaired,
        _page_loader=load,
    )


# Page sizes are read by formats.pdfparse for documents up to this many pages (its walk of the
# whole page tree costs ~0.12 ms a page); longer ones are measured page by page by PyMuPDF.
WALK_PAGES = 256


def _page_count(doc: Any) -> int:
    """PyMuPDF's page count; 0 when MuPDF refuses to count (a /Count beyond the file's objects)."""
    try:
        return int(doc.page_count)
    except Exception:  # noqa: BLE001 - MuPDF raises RuntimeError("Invalid number of pages")
        return 0


def open_parsed(path: Path, data: bytes) -> Document | None:
    """The PDF read by formats.pdfparse, PyMuPDF left unimported; None when the reader declines
    (damaged, encrypted, unusual): then PyMuPDF opens it."""
    from formats.pdfparse import ParseError, Pdf

    try:
        parsed = Pdf(data)
        xmp = parsed.xmp()
    except ParseError:
        return None
    embedded = DocInfo()
    if "spoolview" in xmp:  # no spoolview block (its namespace), no info: formats.pdfmeta not even imported
        from formats.pdfmeta import read_xmp

        embedded = read_xmp(xmp)
    backend = MupdfBackend(None, data, path)
    backend.embedded_info = embedded
    # The sidecar, written for this file, wins field by field over what the PDF carries.
    info = DocInfo.from_dict({**embedded.to_dict(), **read_sidecar(path).to_dict()})
    simple = parsed.page_count <= WALK_PAGES

    def load(index: int) -> Page:
        nonlocal simple
        if simple and backend.sizes is None:
            try:
                backend.sizes = parsed.page_sizes()
            except ParseError:
                simple = False  # an unusual page tree or page box: PyMuPDF measures the pages
        if backend.sizes is not None:
            return Page(index, *backend.sizes[index])
        rect = backend.mupdf_page(index).rect
        return Page(index=index, width=rect.width, height=rect.height)

    return Document(path=path, source="pdf", info=info, page_count=parsed.page_count, backend=backend, _page_loader=load)


def repair(data: bytes, password: str | None = None) -> bytes | None:
    """The pages PDFium (the second engine) reads in a damaged PDF, copied into a new PDF; None
    when it reads none either. The copy is unencrypted: it only lives in memory."""
    import io

    import pypdfium2 as pdfium  # type: ignore[import-untyped]  # ships no type information

    try:
        damaged = pdfium.PdfDocument(data, password=password)
        try:
            if len(damaged) < 1:
                return None
            fresh = pdfium.PdfDocument.new()
            fresh.import_pages(damaged)
            buf = io.BytesIO()
            fresh.save(buf)
            fresh.close()
        finally:
            damaged.close()
    except Exception:  # noqa: BLE001 - PDFium cannot read it either: the caller says the file is damaged
        return None
    return buf.getvalue()


_DAMAGED = "the file may be incomplete or damaged: produce or copy it again"
_CODE = re.compile(r"^code=\d+:\s*")


def reason(exc: Exception) -> str:
    """MuPDF's message, first line only, without its internal error code."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _CODE.sub("", text)[:120]
