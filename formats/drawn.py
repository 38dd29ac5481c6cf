"""Spool pages drawn on demand as one-page PDFs for display (a small LRU per document)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

KEEP = 4  # one-page PDFs kept per document (each holds its own fonts in MuPDF)


class DrawnPages:
    """PyMuPDF pages of one-page PDFs made by ``make(index) -> bytes``, the last ``KEEP`` kept."""

    def __init__(self, make: Callable[[int], bytes]) -> None:
        self._make = make
        self._pages: OrderedDict[int, tuple[Any, Any]] = OrderedDict()

    def page(self, index: int) -> Any:
        """The PyMuPDF page showing page ``index``, drawn on first use."""
        if index in self._pages:
            self._pages.move_to_end(index)
            return self._pages[index][0]
        import pymupdf

        pdf = pymupdf.open(stream=self._make(index), filetype="pdf")
        page = pdf[0]
        page._spoolview_owner = pdf  # the page keeps its one-page document alive
        self._pages[index] = (page, pdf)
        while len(self._pages) > KEEP:
            self._pages.popitem(last=False)  # not closed: a cached page may still use it
        return page

    def close(self) -> None:
        for _, pdf in self._pages.values():
            pdf.close()
        self._pages.clear()
