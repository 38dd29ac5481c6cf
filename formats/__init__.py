"""Reading print spools, rendering pages, making and protecting PDFs (no Tk, no mail)."""

import sys
from pathlib import Path

# PyMuPDF 2 imports its optional layout analyser and pymupdf4llm (onnxruntime, numpy) on
# start-up when installed: over a second that spoolview never uses. Skip them unless
# something imported PyMuPDF first.
if "pymupdf" not in sys.modules:
    sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]  # None blocks the import
    sys.modules.setdefault("pymupdf4llm", None)  # type: ignore[arg-type]  # None blocks the import

from formats.document import DocInfo, Document, DocumentError, Page, PasswordRequired

__all__ = ["DocInfo", "Document", "DocumentError", "Page", "PasswordRequired", "open_document"]


def open_document(path: str | Path, *, password: str | None = None, encoding: str | None = None) -> Document:
    """Open any supported spool or document; the reader is chosen by content."""
    from formats.detect import open_document as _open

    return _open(path, password=password, encoding=encoding)
