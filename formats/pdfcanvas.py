"""A small PDF canvas: the part of reportlab's Canvas that formats.draw uses, written by formats.pdfobj.

Pages are content streams of text (BT/Tf/Tm/Tj in embedded TrueType subsets: simple
TrueType fonts of at most 255 characters each, printable ASCII under its own code, with
widths and a ToUnicode map so text can be extracted), lines, rectangles and image XObjects. Coordinates are PDF points from the bottom-left corner, as
on reportlab's canvas. ``objects`` writes the page tree into a formats.pdfobj.Writer.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from formats.pdfimage import Picture
from formats.pdfobj import Name, Obj, Ref, Stream, Writer, fmt_number
from formats.ttfsubset import TrueType

__all__ = ["Canvas", "Rgb"]

Rgb = tuple[float, float, float]
_BLACK: Rgb = (0.0, 0.0, 0.0)


def _n(v: float) -> bytes:
    return fmt_number(v).encode("ascii")


def _rgb(c: Rgb) -> bytes:
    return b"%s %s %s" % (_n(c[0]), _n(c[1]), _n(c[2]))


# Codes of the first subset of a face: printable ASCII keeps its own code (text stays readable
# by tools that ignore /ToUnicode, e.g. after a round trip through PostScript), other
# characters take the free ones; later subsets use every code but 0.
_FIRST_POOL = [*range(128, 256), *range(1, 32), 127]
_NEXT_POOL = list(range(1, 256))


class _Subset:
    """Up to 255 characters of one face, as one simple TrueType font: code -> character."""

    def __init__(self, resource: str, pool: list[int]) -> None:
        self.resource = resource
        self.free = list(reversed(pool))
        self.chars: dict[int, str] = {}


class _FontUse:
    """One face in one document: its subsets and where each character went."""

    def __init__(self, face: TrueType, resource: str) -> None:
        self.face = face
        self.resource = resource
        self.subsets = [_Subset(resource, _FIRST_POOL)]
        self.where: dict[str, tuple[_Subset, int]] = {}

    def _place(self, ch: str) -> tuple[_Subset, int]:
        code = ord(ch)
        first = self.subsets[0]
        if 0x20 <= code <= 0x7E:
            placed = (first, code)
        else:
            last = self.subsets[-1]
            if not last.free:
                last = _Subset(f"{self.resource}s{len(self.subsets) + 1}", _NEXT_POOL)
                self.subsets.append(last)
            placed = (last, last.free.pop())
        placed[0].chars[placed[1]] = ch
        self.where[ch] = placed
        return placed

    def runs(self, text: str) -> list[tuple[_Subset, bytes]]:
        """``text`` as runs of one subset each: (subset, its codes as a hexadecimal string)."""
        out: list[tuple[_Subset, bytes]] = []
        current: _Subset | None = None
        codes = bytearray()
        where = self.where
        for ch in text:
            placed = where.get(ch) or self._place(ch)
            if placed[0] is not current:
                if current is not None:
                    out.append((current, b"<" + codes.hex().upper().encode() + b">"))
                current, codes = placed[0], bytearray()
            codes.append(placed[1])
        if current is not None:
            out.append((current, b"<" + codes.hex().upper().encode() + b">"))
        return out


class Canvas:
    """Pages being drawn; ``objects`` writes them (see module doc)."""

    def __init__(self, fonts: Callable[[str], TrueType]) -> None:
        """``fonts(name)`` gives the TrueType face registered under ``name`` (formats.fonts.face)."""
        self._fonts = fonts
        self._uses: dict[int, _FontUse] = {}
        self._images: dict[int, tuple[str, Picture]] = {}
        self.pages: list[tuple[float, float, bytes]] = []
        self._size = (595.2756, 841.8898)
        self._reset()

    def _reset(self) -> None:
        self._ops: list[bytes] = []
        self._fill: Rgb = _BLACK
        self._stroke: Rgb = _BLACK
        self._width = 1.0
        self._font: _FontUse | None = None
        self._font_size = 10.0

    # -- state --------------------------------------------------------------------------------
    def setPageSize(self, size: tuple[float, float]) -> None:  # noqa: N802 - reportlab's name
        self._size = (float(size[0]), float(size[1]))

    def setFont(self, name: str, size: float, leading: float | None = None) -> None:  # noqa: N802
        face: TrueType = self._fonts(name)
        use = self._uses.get(id(face))
        if use is None:
            use = self._uses[id(face)] = _FontUse(face, f"F{len(self._uses) + 1}")
        self._font, self._font_size = use, float(size)

    def setFillColor(self, color: Rgb) -> None:  # noqa: N802
        if color != self._fill:
            self._fill = color
            self._ops.append(_rgb(color) + b" rg")

    def setStrokeColor(self, color: Rgb) -> None:  # noqa: N802
        if color != self._stroke:
            self._stroke = color
            self._ops.append(_rgb(color) + b" RG")

    def setLineWidth(self, width: float) -> None:  # noqa: N802
        if width != self._width:
            self._width = width
            self._ops.append(_n(width) + b" w")

    def stringWidth(self, text: str, name: str | None = None, size: float | None = None) -> float:  # noqa: N802
        """The width of ``text`` in the current font (or ``name`` at ``size``)."""
        if name is not None:
            face: TrueType = self._fonts(name)
        else:
            if self._font is None:
                raise ValueError("no font set")
            face = self._font.face
        return face.string_width(text, self._font_size if size is None else size)

    # -- drawing -------------------------------------------------------------------------------
    def drawString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        use = self._font
        if use is None:
            raise ValueError("no font set")
        size = _n(self._font_size)
        parts = [b"BT 1 0 0 1 %s %s Tm" % (_n(x), _n(y))]
        for subset, codes in use.runs(text):
            parts.append(b"/%s %s Tf %s Tj" % (subset.resource.encode(), size, codes))
        parts.append(b"ET")
        self._ops.append(b" ".join(parts))

    def drawCentredString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.drawString(x - self.stringWidth(text) / 2, y, text)

    def drawRightString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.drawString(x - self.stringWidth(text), y, text)

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self._ops.append(b"n %s %s m %s %s l S" % (_n(x1), _n(y1), _n(x2), _n(y2)))

    def rect(self, x: float, y: float, width: float, height: float, stroke: int = 1, fill: int = 0) -> None:
        op = b"B" if stroke and fill else b"f" if fill else b"S" if stroke else b"n"
        self._ops.append(b"n %s %s %s %s re %s" % (_n(x), _n(y), _n(width), _n(height), op))

    def drawImage(self, image: Picture, x: float, y: float, width: float, height: float,  # noqa: N802
                  mask: str | None = "auto") -> None:
        entry = self._images.get(id(image))
        if entry is None:
            entry = self._images[id(image)] = (f"Im{len(self._images) + 1}", image)
        self._ops.append(b"q %s 0 0 %s %s %s cm /%s Do Q" % (_n(width), _n(height), _n(x), _n(y), entry[0].encode()))

    def showPage(self) -> None:  # noqa: N802
        self.pages.append((self._size[0], self._size[1], b"\n".join(self._ops)))
        self._reset()

    # -- output -----------------------------------------------------------------------------------
    def objects(self, w: Writer) -> Ref:
        """Write the pages, fonts and images into ``w``; the reference of the page tree."""
        resources: dict[str, Obj] = {"ProcSet": [Name("PDF"), Name("Text"), Name("ImageB"), Name("ImageC"),
                                                 Name("ImageI")]}
        if self._uses:
            resources["Font"] = {sub.resource: _write_font(w, use.face, sub)
                                 for use in self._uses.values() for sub in use.subsets if sub.chars}
        if self._images:
            xobjects: dict[str, Obj] = {}
            for name, picture in self._images.values():
                smask = w.reserve() if picture.has_mask else None
                image, mask = picture.xobject(smask)
                xobjects[name] = w.add(image)
                if smask is not None and mask is not None:
                    w.put(smask, mask)
            resources["XObject"] = xobjects
        res = w.add(resources)
        tree = w.reserve()
        kids: list[Obj] = []
        for width, height, content in self.pages:
            stream = w.add(Stream({}, content))
            kids.append(w.add({"Type": Name("Page"), "Parent": tree, "MediaBox": [0, 0, width, height],
                               "Resources": res, "Contents": stream}))
        w.put(tree, {"Type": Name("Pages"), "Kids": kids, "Count": len(kids)})
        return tree


def _tag(order: list[int], name: str) -> str:
    """The subset's six-letter tag, from its glyphs (zlib's checksums: hashlib would load OpenSSL)."""
    key = repr((order, name)).encode()
    n = zlib.crc32(key) << 32 | zlib.adler32(key)
    letters = []
    for _ in range(6):
        n, r = divmod(n, 26)
        letters.append(chr(65 + r))
    return "".join(letters)


def _to_unicode(chars: dict[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
             b"1 begincodespacerange <00> <FF> endcodespacerange"]
    items = sorted(chars.items())
    for start in range(0, len(items), 100):
        chunk = items[start:start + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines += [b"<%02X> <%s>" % (code, ch.encode("utf-16-be").hex().upper().encode()) for code, ch in chunk]
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"\n".join(lines)


def _write_font(w: Writer, face: TrueType, sub: _Subset) -> Ref:
    """One subset as a simple TrueType font: the font program (glyphs renumbered, a one-byte
    cmap), its descriptor, widths and ToUnicode map, as reportlab wrote them."""
    last = max(sub.chars)
    first = min(sub.chars)
    old_of_code = {code: face.gid(ch) for code, ch in sub.chars.items()}
    order = face.closure([0, *old_of_code.values()])
    new_of_old = {old: new for new, old in enumerate(order)}
    program = face.subset(order, [new_of_old[old_of_code[c]] if c in old_of_code else 0 for c in range(last + 1)])
    base = f"{_tag(order, face.postscript_name)}+{face.postscript_name}"
    flags = 4 | (1 if face.fixed_pitch else 0) | (64 if face.italic_angle else 0)  # symbolic: its own cmap
    descriptor = w.add({
        "Type": Name("FontDescriptor"), "FontName": Name(base), "Flags": flags,
        "FontBBox": [round(face.scaled(v)) for v in face.bbox], "ItalicAngle": face.italic_angle,
        "Ascent": round(face.scaled(face.ascent)), "Descent": round(face.scaled(face.descent)),
        "CapHeight": round(face.scaled(face.cap_height)), "StemV": 87,
        "MissingWidth": round(face.glyph_width(0), 3),
        "FontFile2": w.add(Stream({"Length1": len(program)}, program)),
    })
    widths: list[Obj] = [round(face.glyph_width(old_of_code[c]), 3) if c in old_of_code else 0
                         for c in range(first, last + 1)]
    return w.add({
        "Type": Name("Font"), "Subtype": Name("TrueType"), "BaseFont": Name(base), "FirstChar": first,
        "LastChar": last, "Widths": widths, "FontDescriptor": descriptor,
        "ToUnicode": w.add(Stream({}, _to_unicode(sub.chars))),
    })
