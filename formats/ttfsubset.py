"""TrueType fonts read for PDF: metrics, character map, widths and glyph subsets (no reportlab).

A face is parsed lazily and cheaply: the table directory, ``head``/``hhea``/``maxp``, the
advance widths and glyph offsets as C arrays, and the character map looked up segment by
segment (bisect) instead of expanded; a DejaVu face costs well under a millisecond. Widths
are those reportlab's ``stringWidth`` gives (advance x 1000 / unitsPerEm per character,
glyph 0's for a character the font lacks, U+00A0 measured as the space), so text centred or
right-aligned lands where it did. ``subset`` writes a valid TrueType file holding the glyphs
asked for (and the components of composite glyphs), renumbered from 1 in the order given.
"""

from __future__ import annotations

import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from functools import cached_property

__all__ = ["FontError", "TrueType"]

_BIG = sys.byteorder == "little"  # arrays read from the file need their bytes swapped
# Tables a PDF viewer needs from an embedded TrueType program (ISO 32000-1 9.9: the cmap is
# optional for CIDFontType2; name and OS/2 are not used).
_KEPT = ("cvt ", "fpgm", "prep")
_ARG_WORDS, _SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x1, 0x8, 0x20, 0x40, 0x80


class FontError(ValueError):
    """The data is not a TrueType font this module can read."""


def _ushorts(data: bytes, offset: int, count: int) -> array[int]:
    out = array("H", data[offset:offset + 2 * count])
    if len(out) != count:
        raise FontError("table truncated")
    if _BIG:
        out.byteswap()
    return out


def _checksum(data: bytes) -> int:
    if len(data) % 4:
        data += bytes(4 - len(data) % 4)
    words = array("I", data)
    if _BIG:
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


class TrueType:
    """One TrueType face (glyf outlines), read from its bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        try:
            version, count = struct.unpack_from(">IH", data, 0)
            if version not in (0x00010000, 0x74727565):  # 1.0, 'true'
                raise FontError("not a TrueType font (CFF outlines or another format)")
            self.tables: dict[str, tuple[int, int]] = {}
            for i in range(count):
                tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
                if offset + length > len(data):
                    raise FontError(f"table {tag.decode('latin-1')!r} lies beyond the end of the file")
                self.tables[tag.decode("latin-1")] = (offset, length)
            for tag in ("head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"):
                if tag not in self.tables:
                    raise FontError(f"no {tag} table")
            head = self._table("head")
            if struct.unpack_from(">I", head, 12)[0] != 0x5F0F3CF5:
                raise FontError("bad head table")
            self.units_per_em = struct.unpack_from(">H", head, 18)[0]
            if not 16 <= self.units_per_em <= 16384:
                raise FontError("bad unitsPerEm")
            self.bbox = struct.unpack_from(">hhhh", head, 36)
            self._long_loca = struct.unpack_from(">h", head, 50)[0] == 1
            hhea = self._table("hhea")
            self.ascent: int
            self.descent: int
            self.ascent, self.descent = struct.unpack_from(">hh", hhea, 4)
            n_metrics = struct.unpack_from(">H", hhea, 34)[0]
            self.num_glyphs = struct.unpack_from(">H", self._table("maxp"), 4)[0]
            if not 1 <= n_metrics <= self.num_glyphs:
                raise FontError("bad numberOfHMetrics")
            off, _ = self.tables["hmtx"]
            metrics = _ushorts(data, off, 2 * n_metrics)
            advances = metrics[0::2]
            advances.extend([advances[-1]] * (self.num_glyphs - n_metrics))
            self.advances = advances
            lsbs = metrics[1::2]
            lsbs.extend(_ushorts(data, off + 4 * n_metrics, self.num_glyphs - n_metrics))
            self._lsbs = lsbs
            off, _ = self.tables["loca"]
            if self._long_loca:
                loca = array("I", data[off:off + 4 * (self.num_glyphs + 1)])
                if len(loca) != self.num_glyphs + 1:
                    raise FontError("table loca truncated")
                if _BIG:
                    loca.byteswap()
            else:
                loca = array("I", (2 * v for v in _ushorts(data, off, self.num_glyphs + 1)))
            self._loca = loca
            self._cmap_lookup = self._read_cmap()
        except struct.error:
            raise FontError("truncated font file") from None
        self._scale = 1000 / self.units_per_em
        self._widths: dict[str, float] = {}
        self._gids: dict[str, int] = {}

    def _table(self, tag: str) -> bytes:
        off, length = self.tables[tag]
        return self.data[off:off + length]

    # -- character map ---------------------------------------------------------------
    def _read_cmap(self) -> dict[str, object]:
        cmap_off, _ = self.tables["cmap"]
        data = self.data
        count = struct.unpack_from(">H", data, cmap_off + 2)[0]
        found: dict[tuple[int, int], int] = {}
        for i in range(count):
            platform, encoding, sub = struct.unpack_from(">HHI", data, cmap_off + 4 + 8 * i)
            found.setdefault((platform, encoding), cmap_off + sub)
        for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0), (3, 0), (1, 0)):
            if key not in found:
                continue
            off = found[key]
            fmt = struct.unpack_from(">H", data, off)[0]
            if fmt == 12:
                n = struct.unpack_from(">I", data, off + 12)[0]
                groups = array("I", data[off + 16:off + 16 + 12 * n])
                if _BIG:
                    groups.byteswap()
                return {"fmt": 12, "starts": groups[0::3], "ends": groups[1::3], "gids": groups[2::3]}
            if fmt == 4:
                seg2 = struct.unpack_from(">H", data, off + 6)[0]
                segs = seg2 // 2
                ends = _ushorts(data, off + 14, segs)
                starts = _ushorts(data, off + 16 + seg2, segs)
                deltas = _ushorts(data, off + 16 + 2 * seg2, segs)
                ranges_at = off + 16 + 3 * seg2
                ranges = _ushorts(data, ranges_at, segs)
                length = struct.unpack_from(">H", data, off + 2)[0]
                return {"fmt": 4, "starts": starts, "ends": ends, "deltas": deltas, "ranges": ranges,
                        "ranges_at": ranges_at, "limit": off + length}
            if fmt == 6:  # one trimmed array (what ``subset`` writes for a one-byte code)
                first, n = struct.unpack_from(">HH", data, off + 6)
                gids = _ushorts(data, off + 10, n)
                return {"fmt": 6, "starts": array("I", [first]), "ends": array("I", [first + n - 1]), "gids": gids}
        raise FontError("no Unicode character map")

    def _lookup(self, code: int) -> int:
        c = self._cmap_lookup
        ends = c["ends"]
        assert isinstance(ends, array)
        i = bisect_left(ends, code)
        if i >= len(ends):
            return 0
        start = c["starts"][i]  # type: ignore[index]  # arrays of the dict
        if code < start:
            return 0
        if c["fmt"] == 12:
            gid = int(c["gids"][i]) + code - start  # type: ignore[index]
        elif c["fmt"] == 6:
            gid = int(c["gids"][code - start])  # type: ignore[index]
        else:
            delta, rng = c["deltas"][i], c["ranges"][i]  # type: ignore[index]
            if rng == 0:
                gid = (code + delta) & 0xFFFF
            else:
                at = int(c["ranges_at"]) + 2 * i + rng + 2 * (code - start)  # type: ignore[call-overload]
                if at + 2 > int(c["limit"]):  # type: ignore[call-overload]
                    return 0
                gid = struct.unpack_from(">H", self.data, at)[0]
                if gid:
                    gid = (gid + delta) & 0xFFFF
        return gid if gid < self.num_glyphs else 0

    def gid(self, char: str) -> int:
        """The glyph of a character (0, the missing glyph, when the font lacks it)."""
        g = self._gids.get(char)
        if g is None:
            code = ord(char)
            g = self._lookup(code)
            if code == 0xA0:
                g = self._lookup(0x20) or g  # reportlab draws and measures a no-break space as a space
            elif code == 0x20 and g == 0:
                g = self._lookup(0xA0)
            self._gids[char] = g
        return g

    # -- metrics ------------------------------------------------------------------------
    def glyph_width(self, gid: int) -> float:
        """The advance of a glyph in thousandths of the font size."""
        return float(self.advances[gid] * self._scale)

    def char_width(self, char: str) -> float:
        w = self._widths.get(char)
        if w is None:
            w = self._widths[char] = self.advances[self.gid(char)] * self._scale
        return w

    def string_width(self, text: str, size: float) -> float:
        """The width of ``text`` at ``size`` points, as reportlab's stringWidth computes it."""
        widths = self._widths
        total = 0.0
        for ch in text:
            w = widths.get(ch)
            total += w if w is not None else self.char_width(ch)
        return total * size * 0.001

    @cached_property
    def postscript_name(self) -> str:
        """The PostScript name (name ID 6), letters and digits kept; "Font" when absent."""
        if "name" in self.tables:
            table = self._table("name")
            try:
                count, strings = struct.unpack_from(">HH", table, 2)
                for i in range(count):
                    platform, _, _, name_id, length, offset = struct.unpack_from(">HHHHHH", table, 6 + 12 * i)
                    if name_id != 6:
                        continue
                    raw = table[strings + offset:strings + offset + length]
                    text = raw.decode("utf-16-be", "replace") if platform in (0, 3) else raw.decode("latin-1")
                    clean = "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in "-_"))
                    if clean:
                        return clean[:60]
            except struct.error:
                pass
        return "Font"

    @cached_property
    def italic_angle(self) -> float:
        if "post" not in self.tables:
            return 0.0
        fixed: int = struct.unpack_from(">i", self._table("post"), 4)[0]
        return round(fixed / 65536, 2)

    @cached_property
    def cap_height(self) -> int:
        if "OS/2" in self.tables:
            os2 = self._table("OS/2")
            if struct.unpack_from(">H", os2, 0)[0] >= 2 and len(os2) >= 90:
                return int(struct.unpack_from(">h", os2, 88)[0])
        return int(self.ascent)

    @cached_property
    def fixed_pitch(self) -> bool:
        if "post" not in self.tables:
            return False
        return bool(struct.unpack_from(">I", self._table("post"), 12)[0])

    def scaled(self, value: float) -> float:
        """A value in font units, in thousandths of the font size."""
        return float(value * self._scale)

    # -- subsetting ------------------------------------------------------------------------
    def _glyph(self, gid: int) -> bytes:
        off = self.tables["glyf"][0]
        return self.data[off + self._loca[gid]:off + self._loca[gid + 1]]

    @staticmethod
    def _components(glyph: bytes) -> list[tuple[int, int]]:
        """(offset of the glyph index, glyph index) of each component of a composite glyph."""
        if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
            return []
        out = []
        pos = 10
        while pos + 4 <= len(glyph):  # a damaged glyph ends its list where its data ends
            flags, gid = struct.unpack_from(">HH", glyph, pos)
            out.append((pos + 2, gid))
            pos += 4 + (4 if flags & _ARG_WORDS else 2)
            if flags & _SCALE:
                pos += 2
            elif flags & _XY_SCALE:
                pos += 4
            elif flags & _TWO_BY_TWO:
                pos += 8
            if not flags & _MORE:
                break
        return out

    def closure(self, gids: Iterable[int]) -> list[int]:
        """``gids`` followed by the components their composite glyphs need (each glyph once)."""
        order = list(dict.fromkeys(gids))
        seen = set(order)
        k = 0
        while k < len(order):
            for _, comp in self._components(self._glyph(order[k])):
                if comp not in seen and comp < self.num_glyphs:
                    seen.add(comp)
                    order.append(comp)
            k += 1
        return order

    def subset(self, order: list[int], codes: list[int] | None = None) -> bytes:
        """A TrueType file of the glyphs ``order`` (new glyph i is old glyph ``order[i]``;
        ``order`` starts with 0 and already holds composite glyphs' components, see ``closure``);
        ``codes`` (new glyph of each one-byte code from 0) becomes a (1, 0) format 6 cmap, what a
        symbolic TrueType font in a PDF is read with."""
        new_index = {old: new for new, old in enumerate(order)}
        n = len(order)
        glyf = bytearray()
        loca = array("I", [0])
        for old in order:
            glyph = self._glyph(old)
            comps = self._components(glyph)
            if comps:
                g = bytearray(glyph)
                for at, comp in comps:
                    struct.pack_into(">H", g, at, new_index.get(comp, 0))
                glyph = bytes(g)
            glyf += glyph
            glyf += bytes(-len(glyf) % 4)
            loca.append(len(glyf))
        if _BIG:
            loca.byteswap()
        hmtx = array("H")
        for old in order:
            hmtx.append(self.advances[old])
            hmtx.append(self._lsbs[old])
        if _BIG:
            hmtx.byteswap()
        head = bytearray(self._table("head")[:54])
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
        struct.pack_into(">h", head, 50, 1)  # long offsets
        hhea = bytearray(self._table("hhea")[:36])
        struct.pack_into(">H", hhea, 34, n)
        maxp = bytearray(self._table("maxp"))
        struct.pack_into(">H", maxp, 4, n)
        post = struct.pack(">I", 0x00030000) + self._table("post")[4:32] if "post" in self.tables else b""
        tables = {"head": bytes(head), "hhea": bytes(hhea), "maxp": bytes(maxp), "hmtx": hmtx.tobytes(),
                  "loca": loca.tobytes(), "glyf": bytes(glyf)}
        if post:
            tables["post"] = post
        if codes is not None:
            entries = array("H", codes)
            if _BIG:
                entries.byteswap()
            tables["cmap"] = struct.pack(">HHHHIHHHHH", 0, 1, 1, 0, 12, 6, 10 + 2 * len(codes), 0, 0,
                                         len(codes)) + entries.tobytes()
        for tag in _KEPT:
            if tag in self.tables:
                tables[tag] = self._table(tag)
        return _assemble(tables)


def _assemble(tables: dict[str, bytes]) -> bytes:
    """A font file of ``tables`` with its directory, checksums and head's checkSumAdjustment."""
    tags = sorted(tables)
    count = len(tags)
    power = 1
    while power * 2 <= count:
        power *= 2
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, count * 16 - power * 16)
    offset = 12 + 16 * count
    directory = bytearray()
    body = bytearray()
    head_at = 0
    for tag in tags:
        data = tables[tag]
        if tag == "head":
            head_at = offset + len(body)
        directory += struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data), offset + len(body), len(data))
        body += data
        body += bytes(-len(body) % 4)
    font = bytearray(header + directory + body)
    struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)
