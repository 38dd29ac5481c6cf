"""A PDF page rendered by PyMuPDF's own MuPDF library through ctypes, without importing PyMuPDF.

For the viewer's first-page child (viewer/firstpage.py) only: ``import pymupdf`` costs about
250 M instructions (its 2.7 MB SWIG wrapper, its package, the table and layout modules) before
page 1 of a PDF can be drawn, the longer side of a cold start. The wheel's ``libmupdf.so.MINOR.PATCH``
is the library PyMuPDF itself calls; its C API draws the page the way ``formats.render`` does
(the page and its annotations, RGB, no alpha, on white, at ``dpi / 72`` zoom), and
tests/formats/test_mupdfc.py checks the PPM byte for byte against ``formats.render.render_ppm``.

MuPDF reports an error by ``longjmp`` to its caller's ``fz_try``; ctypes has none, so an error
ends the process (MuPDF's "uncaught error": ``exit(1)``). That is why this is for a disposable
process only: the child dies, and the viewer draws the page the ordinary way. ``Renderer``
returns None where it can tell beforehand (no library, another platform, a version it does not
know, a password).
"""

from __future__ import annotations

import ctypes
import os
import sys
from importlib.util import find_spec
from pathlib import Path

__all__ = ["Renderer", "library"]

_STORE = 256 << 20  # MuPDF's FZ_STORE_DEFAULT


class _Matrix(ctypes.Structure):
    _fields_ = [(name, ctypes.c_float) for name in "abcdef"]


def library() -> tuple[Path, str] | None:
    """PyMuPDF's ``libmupdf`` and the MuPDF version it was built from (``libmupdf.so.28.5`` is
    MuPDF 1.28.5, the wheel's naming), found without importing PyMuPDF; None off Linux or when absent."""
    if not sys.platform.startswith("linux"):
        return None
    spec = find_spec("pymupdf")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for lib in sorted(Path(folder).glob("libmupdf.so.*.*")):
            minor, _, patch = lib.name.removeprefix("libmupdf.so.").partition(".")
            if minor.isdigit() and patch.isdigit():
                return lib, f"1.{minor}.{patch}"
    return None


class Renderer:
    """Page ``index`` of the PDF at ``path`` as binary PPM, at any dpi (``render``)."""

    def __init__(self, lib: ctypes.CDLL, ctx: int, doc: int, page: int) -> None:
        self._lib, self._ctx, self._doc, self._page = lib, ctx, doc, page
        self._data: bytes | None = None  # the PDF in memory, read in place by MuPDF's stream

    @classmethod
    def open(cls, path: str | os.PathLike[str], index: int = 0) -> Renderer | None:
        """The renderer of page ``index`` of a PDF file (None: no library, an unknown version, a password asked)."""
        return cls._open(os.fsencode(path), None, index)

    @classmethod
    def from_pdf_bytes(cls, data: bytes, index: int = 0) -> Renderer | None:
        """The renderer of page ``index`` of a PDF in memory (a spool's page drawn by formats.draw),
        as ``pymupdf.open(stream=data, filetype="pdf")`` reads it."""
        return cls._open(None, data, index)

    @classmethod
    def _open(cls, path: bytes | None, data: bytes | None, index: int) -> Renderer | None:
        found = library()
        if found is None:
            return None
        lib_path, version = found
        lib = ctypes.CDLL(str(lib_path))
        vp = ctypes.c_void_p
        lib.fz_new_context_imp.restype = vp
        lib.fz_new_context_imp.argtypes = [vp, vp, ctypes.c_size_t, ctypes.c_char_p]
        ctx = lib.fz_new_context_imp(None, None, _STORE, version.encode("ascii"))
        if not ctx:  # built from another version than the file's name says
            return None
        for name, restype, argtypes in (
            ("fz_register_document_handlers", None, [vp]),
            ("fz_open_document", vp, [vp, ctypes.c_char_p]),
            ("fz_needs_password", ctypes.c_int, [vp, vp]),
            ("fz_load_page", vp, [vp, vp, ctypes.c_int]),
            ("fz_device_rgb", vp, [vp]),
            ("fz_new_pixmap_from_page", vp, [vp, vp, _Matrix, vp, ctypes.c_int]),
            ("fz_pixmap_width", ctypes.c_int, [vp, vp]),
            ("fz_pixmap_height", ctypes.c_int, [vp, vp]),
            ("fz_pixmap_stride", ctypes.c_int, [vp, vp]),
            ("fz_pixmap_components", ctypes.c_int, [vp, vp]),
            ("fz_pixmap_samples", vp, [vp, vp]),
            ("fz_drop_pixmap", None, [vp, vp]),
            ("fz_open_memory", vp, [vp, ctypes.c_char_p, ctypes.c_size_t]),
            ("fz_open_document_with_stream", vp, [vp, ctypes.c_char_p, vp]),
        ):
            function = getattr(lib, name)  # cached on the library (lib[name] would be a new object each time)
            function.restype = restype
            function.argtypes = argtypes
        lib.fz_register_document_handlers(ctx)
        if data is not None:  # the stream reads ``data`` in place: the renderer keeps it alive
            doc = lib.fz_open_document_with_stream(ctx, b"application/pdf", lib.fz_open_memory(ctx, data, len(data)))
        else:
            doc = lib.fz_open_document(ctx, path)
        if lib.fz_needs_password(ctx, doc):
            return None
        renderer = cls(lib, ctx, doc, lib.fz_load_page(ctx, doc, index))
        renderer._data = data
        return renderer

    def render(self, dpi: float) -> bytes:
        """The page at ``dpi`` as PPM (P6), as ``formats.render.render_ppm`` makes it."""
        if not 1 <= dpi <= 2400:
            raise ValueError("dpi must be between 1 and 2400")
        lib, ctx = self._lib, self._ctx
        zoom = dpi / 72.0
        pix = lib.fz_new_pixmap_from_page(ctx, self._page, _Matrix(zoom, 0, 0, zoom, 0, 0), lib.fz_device_rgb(ctx), 0)
        try:
            width, height = lib.fz_pixmap_width(ctx, pix), lib.fz_pixmap_height(ctx, pix)
            stride, components = lib.fz_pixmap_stride(ctx, pix), lib.fz_pixmap_components(ctx, pix)
            if components != 3:
                raise ValueError(f"{components} components, RGB expected")
            samples = ctypes.string_at(lib.fz_pixmap_samples(ctx, pix), stride * height)
        finally:
            lib.fz_drop_pixmap(ctx, pix)
        row = width * 3
        if stride != row:
            samples = b"".join(samples[y * stride:y * stride + row] for y in range(height))
        return b"P6\n%d %d\n255\n" % (width, height) + samples
