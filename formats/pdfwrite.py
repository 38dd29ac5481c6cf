"""Drawn documents (spv, text) written as the finished PDF in one pass: pages, properties, XMP, AES-256.

The pages are drawn on formats.pdfcanvas (our own writer: embedded DejaVu subsets, no
reportlab), the document gets the Info dictionary and XMP packet formats.pdfmeta.finish
writes, and with a ``Lock`` every string and stream is encrypted (formats.encrypt).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

from formats.document import DocInfo
from formats.pdfcanvas import Canvas
from formats.pdfmeta import Properties, pdf_date, producer, xmp
from formats.pdfobj import Name, Obj, Stream, Writer

__all__ = ["Lock", "write"]


class Lock:
    """The AES-256 protection of a written PDF: the user password ("" opens without one), the
    owner password (None: none that anyone knows) and the permission bits (formats.pdf.PERMISSIONS)."""

    def __init__(self, user_password: str, owner_password: str | None, permissions: int) -> None:
        self.user_password = user_password
        self.owner_password = owner_password
        self.permissions = permissions

    def __repr__(self) -> str:  # never show the passwords
        return f"Lock(permissions={self.permissions})"


def new_canvas() -> Canvas:
    """A canvas drawing with the faces of formats.fonts."""
    from formats.fonts import face

    return Canvas(face)


def info_dict(props: Properties) -> dict[str, Obj]:
    """The Info dictionary as formats.pdfmeta.finish writes it: empty properties left out."""
    date = pdf_date(props.created)
    values = {"Title": props.title, "Author": props.author, "Subject": props.subject, "Creator": "spoolview",
              "Producer": producer(), "CreationDate": date, "ModDate": date}
    return {k: v for k, v in values.items() if v}


def write(draw_page: Callable[[Canvas, int], None], count: int, info: DocInfo, *, fallback_title: str = "",
          lock: Lock | None = None, now: datetime | None = None) -> bytes:
    """``count`` pages drawn by ``draw_page`` as one finished PDF: the document info and XMP of
    formats.pdfmeta (as ``finish`` writes them) and, with ``lock``, AES-256 protection."""
    props = Properties.of(info, fallback_title, now)
    c = new_canvas()
    for i in range(count):
        draw_page(c, i)
        c.showPage()
    hook = None
    if lock is not None:
        from formats.encrypt import Aes256

        hook = Aes256(lock.user_password, lock.owner_password, lock.permissions)
        hook.prepare()
    # The catalog's /Metadata is PDF 1.4; AES-256 is PDF 1.7 with Adobe's extension level 8.
    w = Writer("1.7" if hook else "1.4", encrypt=hook.encode if hook else None)
    pages = c.objects(w)
    # The metadata stream is not compressed: PDF/A and XMP scanners read it as is.
    metadata = w.add(Stream({"Type": Name("Metadata"), "Subtype": Name("XML")}, xmp(info, props).encode("utf-8"),
                            compress=False))
    catalog: dict[str, Obj] = {"Type": Name("Catalog"), "Pages": pages, "Metadata": metadata}
    encrypt = None
    if hook is not None:
        from formats.encrypt import EXTENSIONS

        catalog["Extensions"] = EXTENSIONS
        encrypt = w.add(hook.info(), plain=True)
    root = w.add(catalog)
    info_ref = w.add(info_dict(props))
    return w.finish(root, info_ref, os.urandom(16), encrypt)
