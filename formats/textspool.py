"""Line-printer text spools (.txt, .prn, .lst): form feed = new page; utf-8, cp1252, cp850."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from formats.document import Document, DocumentError, Page
from formats.drawn import DrawnPages
from formats.meta import read_sidecar
from formats.native import MM

ENCODINGS = ("utf-8", "cp1252", "cp850")
LINES_PER_PAGE = 66  # 11 inches at 6 lines per inch; longer pages continue on the next
MARGIN_MM = 10.0
MONO_ADVANCE = 0.6021  # DejaVu Sans Mono advance width, in em
_ESCAPES = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z]|[@-Z\\-_]|.)")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode(data: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    """Decode the spool; returns (text, encoding used)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise DocumentError(f"unknown encoding {encoding!r}", code="text.unknown_encoding",
                                params={"encoding": encoding}, file=path, hint="use utf-8, cp1252 or cp850") from None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DocumentError(
                f"the text cannot be decoded as {encoding} (line {line}, byte 0x{data[exc.start]:02x})",
                code="text.decode",
                params={"encoding": encoding, "line": line, "byte": f"0x{data[exc.start]:02x}"},
                file=path,
                hint="give the right encoding, e.g. cp1252 or cp850",
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[int, str, str] | None = None
    for enc in ("cp1252", "cp850"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, text, enc)
    if best is None:  # pragma: no cover - cp850 decodes any byte
        raise DocumentError("the text cannot be decoded", code="text.undecodable", file=path, hint="give its encoding")
    return best[1], best[2]


def _plausibility(text: str) -> int:
    """How much a decoding looks like Western-European prose and line-printer art."""
    score = 0
    n = len(text)
    for i, ch in enumerate(text):
        if ord(ch) < 128:
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        if "\u2500" <= ch <= "\u259f":
            score += 1
        elif ch.isalpha():
            if ch.islower() and (prev.isalpha() or nxt.isalpha()):
                score += 2
            elif ch.isupper() and (prev.islower() or nxt.islower()):
                score -= 2
        elif ch in "€£°§«»’“”–—…":
            score += 1
        else:
            score -= 1
    return score


def paginate(text: str) -> list[list[str]]:
    """Pages of lines: form feed starts a page; more than LINES_PER_PAGE lines continue."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = text.split("\f")
    if len(chunks) > 1 and not chunks[-1].strip("\n"):
        chunks.pop()  # a final form feed does not start a blank page
    pages: list[list[str]] = []
    for chunk in chunks:
        lines = [_clean(line) for line in chunk.split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
        if not lines:
            lines = [""]
        for start in range(0, len(lines), LINES_PER_PAGE):
            pages.append(lines[start : start + LINES_PER_PAGE])
    return pages or [[""]]


def _clean(line: str) -> str:
    line = _ESCAPES.sub("", line)
    if "\b" in line:  # overstrike: keep the last character written
        out: list[str] = []
        for ch in line:
            if ch == "\b":
                if out:
                    out.pop()
            else:
                out.append(ch)
        line = "".join(out)
    return _CONTROLS.sub("", line.expandtabs(8)).rstrip()


class TextBackend:
    """Decoded pages of a text spool and their layout (80 or 132 columns)."""

    def __init__(self, path: Path, pages: list[list[str]], encoding: str) -> None:
        self.path = path
        self.pages = pages
        self.encoding = encoding
        widest = max((len(line) for page in pages for line in page), default=0)
        self.columns = 80 if widest <= 80 else max(132, widest)
        landscape = self.columns > 80
        self.size_mm = (297.0, 210.0) if landscape else (210.0, 297.0)
        usable_w = (self.size_mm[0] - 2 * MARGIN_MM) * MM
        usable_h = (self.size_mm[1] - 2 * MARGIN_MM) * MM
        self.leading = usable_h / LINES_PER_PAGE
        self.font_size = min(usable_w / (self.columns * MONO_ADVANCE), self.leading / 1.15)
        self._drawn = DrawnPages(self._page_pdf)

    def _page_pdf(self, index: int) -> bytes:
        from formats.draw import text_page_pdf

        return text_page_pdf(self, index)

    def mupdf_page(self, index: int) -> Any:
        """A PyMuPDF page showing page ``index`` (a one-page PDF drawn on demand)."""
        return self._drawn.page(index)

    def close(self) -> None:
        self.__dict__.pop("_render_cache", None)
        self._drawn.close()


def open_text(path: Path, *, encoding: str | None = None) -> Document:
    """Open a line-printer text spool; DocInfo comes from ``NAME.meta.json`` if present."""
    text, used = decode(path.read_bytes(), encoding, path)
    backend = TextBackend(path, paginate(text), used)
    w, h = backend.size_mm
    return Document(
        path=path,
        source="text",
        info=read_sidecar(path),
        page_count=len(backend.pages),
        backend=backend,
        _page_loader=lambda i: Page(index=i, width=w * MM, height=h * MM),
    )
