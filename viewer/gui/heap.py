"""Give freed memory back to the system (glibc only): a fixed mmap threshold, a trim once paging settles."""

from __future__ import annotations

import sys
from collections.abc import Callable

M_MMAP_THRESHOLD = -3  # mallopt parameter number (glibc malloc.h)
MMAP_THRESHOLD = 256 * 1024


def _glibc(name: str) -> Callable[..., int] | None:
    """The C library's function ``name`` when the process runs on glibc, else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here: called once the first page is painted, not before

    try:
        function: Callable[..., int] = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):  # not glibc (musl has neither mallopt nor malloc_trim): its own policy
        return None
    return function


def return_freed_memory() -> bool:
    """Have glibc give freed page images (1-10 MB each) back to the system; True when set.

    glibc raises its mmap threshold each time a big block is freed; afterwards page-sized
    buffers come from the heap and, once freed, stay in the process's memory (measured:
    ~20 MB more RSS after paging 60 pages). A fixed threshold keeps them mmapped.
    """
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return False
    import ctypes

    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]  # type: ignore[attr-defined]  # a ctypes function
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def trim() -> bool:
    """Return the free pages inside the heap to the system (``malloc_trim(0)``); True when some went.

    Rendering a page allocates and frees many small blocks (PyMuPDF's display lists, the
    drawn one-page PDFs, Tk's dithering buffers); the holes they leave stay resident until
    trimmed (measured: 7-11 MB after paging 60 pages of the 500-page spool). Cheap (a few
    ms), so it runs once the page view has nothing left to render.
    """
    malloc_trim = _glibc("malloc_trim")
    if malloc_trim is None:
        return False
    import ctypes

    malloc_trim.argtypes = [ctypes.c_size_t]  # type: ignore[attr-defined]  # a ctypes function
    return bool(malloc_trim(0))
