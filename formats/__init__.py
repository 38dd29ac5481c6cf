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

# The distribution's version (pyproject.toml, viewer.__version__; tests/formats/test_pdfmeta.py
# checks they agree), written as the PDFs' producer without a metadata look-up at run time.
__version__ = "0.1.0"

if TYPE_CHECKING:
    from formats.limits import Limits

__all__ = ["DocInfo", "Document", "DocumentError", "Page", "PasswordRequired", "open_document"]


def _defer_pymupdf_tables() -> None:
    """PyMuPDF imports its table finder (``pymupdf.table`` and four helper modules, about as much as
    the interpreter's own start) when it starts, for ``Page.find_tables`` only, which spoolview never
    calls: its module is put in place empty and filled from its file on the first attribute asked."""
    import importlib.util

    package = importlib.util.find_spec("pymupdf")  # found, not imported
    folders = package.submodule_search_locations if package is not None else None
    folder = folders[0] if folders else None
    if folder is None or "pymupdf.table" in sys.modules or not os.path.isfile(os.path.join(folder, "table.py")):
        return
    spec = importlib.util.spec_from_file_location("pymupdf.table", os.path.join(folder, "table.py"))
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def load(name: str) -> object:
        del module.__dict__["__getattr__"]
        loader.exec_module(module)  # the module's own code, in the module pymupdf already holds
        return getattr(module, name)

    module.__dict__["__getattr__"] = load
    sys.modules["pymupdf.table"] = module


class _BeforePyMuPDF:
    """A meta path finder that finds nothing: it puts the table finder's module in place when
    PyMuPDF is about to be imported, so a process that never imports PyMuPDF has no trace of it."""

    done = False

    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> None:
        if name == "pymupdf" and not cls.done:
            cls.done = True  # stays in sys.meta_path: removing it while the import runs would skip a finder
            _defer_pymupdf_tables()


if "pymupdf" not in sys.modules:
    sys.meta_path.insert(0, _BeforePyMuPDF)


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
