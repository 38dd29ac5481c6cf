"""Reading print spools, rendering pages, making and protecting PDFs (no Tk, no mail)."""

from formats.document import DocInfo, Document, DocumentError, Page

__all__ = ["DocInfo", "Document", "DocumentError", "Page", "open_document"]


def open_document(path, *, password: str | None = None, encoding: str | None = None) -> Document:
    """Open any supported spool or document; the reader is chosen by content."""
    from formats.detect import open_document as _open

    return _open(path, password=password, encoding=encoding)
