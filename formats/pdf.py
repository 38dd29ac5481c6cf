"""PDF output: to_pdf (reportlab for spools, pass-through or conversion otherwise) and protect.

A spool or text document is written in one pass with its properties, XMP and, when asked,
its AES-256 protection (formats.pdfwrite): PyMuPDF is not even imported on that road. A
well-formed PDF is protected by formats.pdfprotect, also without PyMuPDF. PDF/A, very long
spools and ``protect`` of a PDF that formats.pdfparse declines go through PyMuPDF.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from formats.document import Document, DocumentError
from formats.lock import locked
from formats.records import record

if TYPE_CHECKING:
    import pymupdf

MODES = ("none", "no-modify", "password")
MAX_PASSWORD_BYTES = 127  # AES-256 (PDF 2.0, revision 6) uses at most 127 UTF-8 bytes
MAX_PASSWORD_CHARS = 40  # and PyMuPDF accepts at most 40 characters
# Always allowed: printing, copying text, and accessibility (screen readers). The values of
# PyMuPDF's PDF_PERM_* and PDF_ENCRYPT_* (tests/formats/test_pdf.py checks them), written out
# so that importing this module does not import PyMuPDF.
PERM_PRINT, PERM_COPY, PERM_ACCESSIBILITY, PERM_PRINT_HQ = 4, 16, 512, 2048
PERMISSIONS: int = PERM_ACCESSIBILITY | PERM_PRINT | PERM_PRINT_HQ | PERM_COPY
ENCRYPT_NONE: int = 1
ENCRYPT_AES_256: int = 5
ONE_PASS_PAGES = 250  # longer spools are drawn in chunks and joined by PyMuPDF (formats.draw.CHUNK)
_CACHE_KEY = os.urandom(32)  # the password's part of the cache key is an HMAC, never the password


class ProtectionError(DocumentError):
    """The protection asked for cannot be applied (bad mode, bad password, bad PDF)."""


@record
class Protection:
    """How to protect a PDF: "none", "no-modify" (no password to open) or "password"."""

    mode: str = "none"
    password: str = ""

    def __repr__(self) -> str:  # never show the password
        return f"Protection(mode={self.mode!r}, password={'***' if self.password else ''!r})"

    def check(self) -> None:
        """Raise ProtectionError when the mode or password is unusable."""
        if self.mode not in MODES:
            raise ProtectionError(f"unknown protection {self.mode!r}", code="protect.unknown_mode", params={"mode": self.mode}, hint="use none, no-modify or password")
        if self.mode == "password":
            if not self.password:
                raise ProtectionError("a password is needed to protect the PDF", code="protect.no_password", hint="enter a password or choose no-modify")
            if len(self.password) > MAX_PASSWORD_CHARS or len(self.password.encode("utf-8")) > MAX_PASSWORD_BYTES:
                raise ProtectionError(
                    f"the password is too long for a PDF ({len(self.password)} characters, at most {MAX_PASSWORD_CHARS})",
                    code="protect.too_long",
                    params={"length": len(self.password), "limit": MAX_PASSWORD_CHARS},
                    hint="choose a shorter password",
                )
            if any(ord(ch) < 32 for ch in self.password):
                raise ProtectionError("the password contains control characters", code="protect.control_chars", hint="use printable characters only")


KEEP_PDF = 20_000_000  # a converted PDF up to this size is kept with its document


def _owner_password() -> str:
    """120 random bits, never shown; longer owner passwords only slow the AES-256 key derivation."""
    import base64  # secrets.token_urlsafe(15), without importing secrets (and hmac) for it

    return base64.urlsafe_b64encode(os.urandom(15)).rstrip(b"=").decode("ascii")


def _one_pass(doc: Document, pdfa: bool) -> bool:
    """Whether the document is drawn by spoolview and written by reportlab alone."""
    return doc.source in ("spv", "text") and not pdfa and doc.page_count <= ONE_PASS_PAGES


@locked
def to_pdf(doc: Document, *, pdfa: bool = False, protection: Protection | None = None) -> bytes:
    """The document as PDF bytes (see _to_pdf), protected as ``protection`` says (see ``protect``;
    a spool is drawn, described and encrypted in one pass). The same bytes each time for one
    opened document (its creation date is that of the first conversion), so a message composed
    twice is the same."""
    protection = protection or Protection()
    protection.check()
    if protection.mode != "none" and not _one_pass(doc, pdfa):
        return protect(to_pdf(doc, pdfa=pdfa), protection)
    secret = _password_key(protection.password) if protection.password else b""
    key = (pdfa, protection.mode, secret, *sorted(doc.info.to_dict().items()))  # a changed info makes a new PDF
    kept = doc._pdf.get(key)
    if kept is None:
        kept = _to_pdf(doc, pdfa, protection)
        doc._pdf.clear()
        if len(kept) <= KEEP_PDF:
            doc._pdf[key] = kept
    return kept


def _password_key(password: str) -> bytes:
    """The password's part of the cache key: an HMAC (hashlib is imported only when a password is given)."""
    import hashlib
    import hmac

    return hmac.new(_CACHE_KEY, password.encode("utf-8"), hashlib.sha256).digest()


def _to_pdf(doc: Document, pdfa: bool, protection: Protection | None = None) -> bytes:
    """The document as PDF bytes with its properties and document info (formats.pdfmeta).

    Spools are drawn with embedded fonts (``pdfa``: identified as PDF/A-2b with an sRGB output
    intent); PDFs pass through, with the document info added when it did not come from them.
    ``protection`` (not "none") is only for documents written in one pass (``_one_pass``).
    """
    fallback = doc.path.stem
    if _one_pass(doc, pdfa):
        from formats.draw import spv_pages, text_pages
        from formats.pdfwrite import Lock, write

        lock = None
        if protection is not None and protection.mode != "none":
            user = protection.password if protection.mode == "password" else ""
            lock = Lock(user, None, PERMISSIONS)  # no owner password: the one PyMuPDF needs is random and forgotten
        draw_page, count = spv_pages(doc.backend) if doc.source == "spv" else text_pages(doc.backend)
        return write(draw_page, count, doc.info, fallback_title=fallback, lock=lock)
    if doc.source in ("pdf", "eml", "ps"):
        from formats.mupdf import MupdfBackend

        if not isinstance(doc.backend, MupdfBackend):
            raise DocumentError("this document cannot be converted to PDF", code="pdf.not_convertible", file=doc.path)
        if not doc.backend.encrypted and doc.backend.data is not None:
            data: bytes = doc.backend.data  # PyMuPDF not even opened when formats.pdfparse read the file
        else:
            # Decrypted copy. Never query ``needs_pass`` after authenticating: with PyMuPDF 2.0
            # that resets the decryption key and the copy comes out blank.
            data = doc.backend.doc.tobytes(encryption=ENCRYPT_NONE, garbage=1, deflate=True)
        if doc.info == doc.backend.embedded_info:
            return data  # the file already says what the document is
        from formats.pdfmeta import add_info

        return add_info(data, doc.info)
    import pymupdf

    from formats.pdfmeta import finish

    if doc.source == "spv":
        from formats.draw import spv_document

        return finish(spv_document(doc.backend), doc.info, fallback_title=fallback, pdfa=pdfa)
    if doc.source == "text":
        from formats.draw import text_document

        return finish(text_document(doc.backend), doc.info, fallback_title=fallback, pdfa=pdfa)
    mdoc = getattr(doc.backend, "doc", None)
    if mdoc is None:
        raise DocumentError("this document cannot be converted to PDF", code="pdf.not_convertible", file=doc.path)
    try:
        converted: bytes = mdoc.convert_to_pdf()
    except Exception as exc:  # noqa: BLE001 - PyMuPDF raises many types on a broken document
        raise DocumentError(f"cannot convert to PDF ({exc})", code="pdf.convert_failed", params={"reason": str(exc)},
                            file=doc.path) from None
    return finish(pymupdf.open(stream=converted, filetype="pdf"), doc.info, fallback_title=fallback)


def _was_encrypted(mdoc: pymupdf.Document) -> bool:
    return bool((mdoc.metadata or {}).get("encryption"))


@locked
def protect(pdf: bytes, protection: Protection) -> bytes:
    """Apply ``protection`` to a PDF (AES-256; printing, copying and accessibility allowed)."""
    protection.check()
    if protection.mode == "none":
        return pdf
    from formats.pdfparse import ParseError
    from formats.pdfprotect import protect_parsed

    user = protection.password if protection.mode == "password" else ""
    try:
        return protect_parsed(pdf, user, PERMISSIONS)  # a well-formed PDF: no PyMuPDF
    except ParseError:
        pass  # damaged, encrypted already, signed, unusual: PyMuPDF repairs it or says why not
    import pymupdf

    try:
        doc = pymupdf.open(stream=pdf, filetype="pdf")
    except Exception:  # noqa: BLE001 - PyMuPDF raises many types on data that is not a PDF
        raise ProtectionError("the data to protect is not a readable PDF", code="protect.not_pdf") from None
    try:
        if doc.needs_pass or _was_encrypted(doc):
            raise ProtectionError("the PDF is already protected", code="protect.already", hint="protect the unprotected original")
        owner = _owner_password()
        protected: bytes = doc.tobytes(
            encryption=ENCRYPT_AES_256,
            owner_pw=owner,
            user_pw=user,
            permissions=PERMISSIONS,
        )
        return protected
    finally:
        doc.close()
