"""Reading print spools, rendering pages, making and protecting PDFs (no Tk, no mail)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# PyMuPDF 2 imports its optional layout analyser and pymupdf4llm (onnxruntime, numpy) on
# start-up when installed: over a second that spoolview never uses. Skip them unless
# something imported PyMuPDF first.
if "pymupdf" not in sys.modules:
    sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]  # None blocks the import
    sys.modules.setdefault("pymupdf4llm", None)  # type: ignore[arg-type]  # None blocks the import

from formats.document import DocInfo, Document, DocumentError, Page, PasswordRequired

if TYPE_CHECKING:
    from formats.limits import Limits

__all__ = ["DocInfo", "Document", "DocumentError", "Page", "PasswordRequired", "open_document"]


def open_document(
    path: str | os.PathLike[str],
    *,
    password: str | None = None,
    encoding: str | None = None,
    limits: Limits | None = None,
    cache_dir: Path | None = None,
) -> Document:
    """Open any supported spool or document; the reader is chosen by content.

    ``limits`` (formats.limits.Limits) bounds sizes; ``cache_dir`` holds PostScript converted to PDF.
    """
    from formats.detect import open_document as _open
    from formats.limits import DEFAULT

    return _open(path, password=password, encoding=encoding, limits=limits or DEFAULT, cache_dir=cache_dir)
