"""open_document: pick the reader from the file's content (the extension only breaks ties)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from formats.document import Document, DocumentError
from formats.limits import DEFAULT, Limits
from formats.lock import locked

HEAD = 8192
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{0,76}:[ \t]?")
_MAIL_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"received", b"return-path", b"x-sender", b"x-receiver")
TEXT_EXTENSIONS = {".txt", ".prn", ".lst", ".spl", ".log", ""}


def sniff(head: bytes, path: Path) -> str | None:
    """The kind of a file from its first bytes: spv, ps, pdf, xps, image, eml, text or None."""
    from formats.postscript import is_postscript

    if is_postscript(head):
        return "ps"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a", b"BM")):
        if head.startswith(b"BM") and len(head) < 26:
            return None
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return "xps" if _is_xps(path) else None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "spv"
    if b"\x00" in head:
        return None  # binary: no text format has NUL bytes
    if _looks_like_mail(head):
        return "eml"
    if _looks_like_text(head):
        return "text"
    return None


def _is_xps(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = {n.lower() for n in z.namelist()}
    except (zipfile.BadZipFile, OSError):
        return False
    return "[content_types].xml" in names and any(n.endswith(".fdseq") or n.endswith(".fpage") for n in names)


def _looks_like_mail(head: bytes) -> bool:
    if head.startswith(b"From "):  # an mbox separator line before the headers
        head = head.split(b"\n", 1)[-1]
    lines = head.split(b"\n", 40)[:40]
    seen = 0
    for line in lines:
        line = line.rstrip(b"\r")
        if not line:
            break  # end of the header block
        if line[:1] in (b" ", b"\t"):
            continue  # folded header
        if not _HEADER_LINE.match(line):
            return False
        if line.split(b":", 1)[0].lower() in _MAIL_HEADERS:
            seen += 1
    return seen >= 2


def _looks_like_text(head: bytes) -> bool:
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 26, 27, 8))
    return controls <= max(2, len(head) // 200)


@locked
def open_document(
    path: str | os.PathLike[str],
    *,
    password: str | None = None,
    encoding: str | None = None,
    limits: Limits = DEFAULT,
    cache_dir: Path | None = None,
) -> Document:
    """Open any supported spool or document; the reader is chosen by content.

    ``limits`` bounds what a file may hold; ``cache_dir`` keeps PostScript files converted to PDF.
    """
    doc = _open(Path(path), password, encoding, limits, cache_dir)
    try:
        limits.check_pages(doc.page_count, doc.path)
    except DocumentError:
        doc.close()
        raise
    return doc


def _open(path: Path, password: str | None, encoding: str | None, limits: Limits, cache_dir: Path | None) -> Document:
    if path.is_dir():
        raise DocumentError("is a folder, not a document", code="file.folder", file=path, hint="choose a file")
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(HEAD)
    except FileNotFoundError:
        raise DocumentError("file not found", code="file.not_found", file=path) from None
    except PermissionError:
        raise DocumentError("permission denied", code="file.permission", file=path, hint="check the file's access rights") from None
    except OSError as exc:
        raise DocumentError(f"cannot read the file ({exc.strerror or exc})", code="file.unreadable",
                            params={"reason": str(exc.strerror or exc)}, file=path) from None
    if size == 0:
        raise DocumentError("the file is empty", code="file.empty", file=path, hint="the program that wrote it may have failed")
    limits.check_size(size, path)
    kind = sniff(head, path)
    if kind is None and head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(
            "UTF-16 text is not supported", code="file.utf16", file=path, hint="save the spool as UTF-8, cp1252 or cp850 text"
        )
    if kind is None:
        raise DocumentError(
            "not a recognised document",
            code="file.unknown_kind",
            file=path,
            hint="spoolview reads .spv spools, text spools, PDF, PostScript, XPS, PNG/JPEG/TIFF images and .eml mails",
        )
    if kind == "spv":
        from formats.native import open_spv

        return open_spv(path, limits=limits)
    if kind in ("pdf", "xps", "image"):
        from formats.mupdf import open_mupdf

        return open_mupdf(path, kind, password=password)
    if kind == "ps":
        from formats.postscript import open_postscript

        return open_postscript(path, cache_dir=cache_dir, limits=limits)
    if kind == "eml":
        from formats.eml import open_eml

        return open_eml(path)
    from formats.textspool import open_text

    return open_text(path, encoding=encoding)
