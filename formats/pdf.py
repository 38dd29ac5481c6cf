"""PDF output: to_pdf (reportlab for spools, pass-through or conversion otherwise) and protect."""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf

from formats.document import Document, DocumentError
from formats.lock import locked

MODES = ("none", "no-modify", "password")
MAX_PASSWORD_BYTES = 127  # AES-256 (PDF 2.0, revision 6) uses at most 127 UTF-8 bytes
MAX_PASSWORD_CHARS = 40  # and PyMuPDF accepts at most 40 characters
# Always allowed: printing, copying text, and accessibility (screen readers).
PERMISSIONS: int = (
    pymupdf.PDF_PERM_ACCESSIBILITY
    | pymupdf.PDF_PERM_PRINT
    | pymupdf.PDF_PERM_PRINT_HQ
    | pymupdf.PDF_PERM_COPY
)
ENCRYPT_NONE: int = pymupdf.PDF_ENCRYPT_NONE
ENCRYPT_AES_256: int = pymupdf.PDF_ENCRYPT_AES_256


class ProtectionError(DocumentError):
    """The protection asked for cannot be applied (bad mode, bad password, bad PDF)."""


@dataclass
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


@locked
def to_pdf(doc: Document, *, pdfa: bool = False) -> bytes:
    """The document as PDF bytes (see _to_pdf); the same bytes each time for one opened document
    (its creation date is that of the first conversion), so a message composed twice is the same."""
    key = (pdfa, *sorted(doc.info.to_dict().items()))  # a changed info makes a new PDF
    kept = doc._pdf.get(key)
    if kept is None:
        kept = _to_pdf(doc, pdfa)
        doc._pdf.clear()
        if len(kept) <= KEEP_PDF:
            doc._pdf[key] = kept
    return kept


def _to_pdf(doc: Document, pdfa: bool) -> bytes:
    """The document as PDF bytes with its properties and document info (formats.pdfmeta).

    Spools are drawn with embedded fonts (``pdfa``: identified as PDF/A-2b with an sRGB output
    intent); PDFs pass through, with the document info added when it did not come from them.
    """
    from formats.pdfmeta import add_info, finish

    fallback = doc.path.stem
    if doc.source == "spv":
        from formats.draw import spv_document

        return finish(spv_document(doc.backend), doc.info, fallback_title=fallback, pdfa=pdfa)
    if doc.source == "text":
        from formats.draw import text_document

        return finish(text_document(doc.backend), doc.info, fallback_title=fallback, pdfa=pdfa)
    mdoc = getattr(doc.backend, "doc", None)
    if mdoc is None:
        raise DocumentError("this document cannot be converted to PDF", code="pdf.not_convertible", file=doc.path)
    if doc.source in ("pdf", "eml", "ps"):
        if not getattr(doc.backend, "encrypted", False) and doc.backend.data is not None:
            data: bytes = doc.backend.data
        else:
            # Decrypted copy. Never query ``needs_pass`` after authenticating: with PyMuPDF 2.0
            # that resets the decryption key and the copy comes out blank.
            data = mdoc.tobytes(encryption=ENCRYPT_NONE, garbage=1, deflate=True)
        if doc.info == doc.backend.embedded_info:
            return data  # the file already says what the document is
        return add_info(data, doc.info)
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
    try:
        doc = pymupdf.open(stream=pdf, filetype="pdf")
    except Exception:  # noqa: BLE001 - PyMuPDF raises many types on data that is not a PDF
        raise ProtectionError("the data to protect is not a readable PDF", code="protect.not_pdf") from None
    try:
        if doc.needs_pass or _was_encrypted(doc):
            raise ProtectionError("the PDF is already protected", code="protect.already", hint="protect the unprotected original")
        import secrets

        # 120 random bits, never shown; longer owner passwords only slow the AES-256 key derivation
        owner = secrets.token_urlsafe(15)
        user = protection.password if protection.mode == "password" else ""
        protected: bytes = doc.tobytes(
            encryption=ENCRYPT_AES_256,
            owner_pw=owner,
            user_pw=user,
            permissions=PERMISSIONS,
        )
        return protected
    finally:
        doc.close()
