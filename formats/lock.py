"""One process-wide lock around PyMuPDF: it is not thread-safe, so formats' entry points
(open, render, text, search, to_pdf, protect) take turns when called from several threads."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

MUPDF_LOCK = threading.RLock()


def locked(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` while holding the PyMuPDF lock (re-entrant)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with MUPDF_LOCK:
            return fn(*args, **kwargs)

    return wrapper
