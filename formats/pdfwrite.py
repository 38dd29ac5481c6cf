"""Drawn documents (spv, text) written as the finished PDF in one reportlab pass: properties, XMP, AES-256."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFInfo, PDFName, PDFStream, PDFString
from reportlab.pdfgen.canvas import Canvas

from formats.document import DocInfo
from formats.draw import plain_canvas
from formats.pdfmeta import Properties, pdf_date, producer, xmp

__all__ = ["Lock", "write"]


class Lock:
    """The AES-256 protection of a written PDF: the user password ("" opens without one), the
    owner password and the permission bits (formats.pdf.PERMISSIONS)."""

    def __init__(self, user_password: str, owner_password: str, permissions: int) -> None:
        self.user_password = user_password
        self.owner_password = owner_password
        self.permissions = permissions

    def __repr__(self) -> str:  # never show the passwords
        return f"Lock(permissions={self.permissions})"


class _Info(PDFInfo):
    """The Info dictionary as formats.pdfmeta.finish writes it: empty properties left out."""

    def __init__(self, props: Properties) -> None:
        super().__init__()
        self.props = props

    def digest(self, md5object: Any) -> None:
        # The trailer /ID comes from this digest: random bytes make it unique per file.
        md5object.update(f"{self.props.title}\0{self.props.author}\0{self.props.created}".encode() + os.urandom(16))

    def format(self, document: Any) -> bytes:
        p = self.props
        date = pdf_date(p.created)
        values = {"Title": p.title, "Author": p.author, "Subject": p.subject, "Creator": "spoolview",
                  "Producer": producer(), "CreationDate": date, "ModDate": date}
        out: bytes = PDFDictionary({k: PDFString(v) for k, v in values.items() if v}).format(document)
        return out


def _metadata(text: str) -> PDFStream:
    """The catalog's /Metadata stream (not compressed: PDF/A and XMP scanners read it as is)."""
    return PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}), text.encode("utf-8"))


def write(draw_page: Callable[[Canvas, int], None], count: int, info: DocInfo, *, fallback_title: str = "",
          lock: Lock | None = None, now: datetime | None = None) -> bytes:
    """``count`` pages drawn by ``draw_page`` as one finished PDF: the document info and XMP of
    formats.pdfmeta (as ``finish`` writes them) and, with ``lock``, AES-256 protection."""
    props = Properties.of(info, fallback_title, now)
    buf = io.BytesIO()
    c = plain_canvas(buf, pdf_version=(1, 4))  # the catalog's /Metadata is PDF 1.4
    c._doc.info = _Info(props)  # type: ignore[attr-defined]  # reportlab's document; the stubs leave it out
    c.setCatalogEntry("Metadata", _metadata(xmp(info, props)))
    if lock is not None:
        from formats.encrypt import use

        use(c, lock.user_password, lock.owner_password, lock.permissions)
    for i in range(count):
        draw_page(c, i)
        c.showPage()
    c.save()
    return buf.getvalue()
