"""One process-wide lock around PyMuPDF: it is not thread-safe, so formats' entry points
(open, render, text, search, to_pdf, protect) take turns when called from several threads."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

MUPDF_LOCK = threading.RLock()


def locked(fn: F) -> F:
    """Run ``fn`` while holding the PyMuPDF lock (re-entrant)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with MUPDF_LOCK:
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
