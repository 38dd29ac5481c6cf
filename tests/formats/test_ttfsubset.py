"""formats.ttfsubset: DejaVu read without reportlab; widths as reportlab measures them; valid subsets."""

from __future__ import annotations

import struct
from pathlib import Path

import pymupdf
import pytest
from reportlab.pdfbase.ttfonts import TTFont

from formats.fonts import font_file
from formats.ttfsubset import FontError, TrueType

FACES = sorted(font_file("sans").parent.glob("DejaVu*.ttf"))
TEXT = "Menuiseries Beaumont & Fils — 1 234,56 € « œuvre » Łódź ǅ\u00a0x ﬁ 日本"


@pytest.mark.parametrize("path", FACES, ids=lambda p: p.stem)
def test_widths_are_reportlabs_for_every_character(path: Path) -> None:
    ours, theirs = TrueType(path.read_bytes()), TTFont("t", str(path)).face
    for code in range(0x20, 0x2200):  # Latin, Greek, Cyrillic, punctuation, the euro sign and more
        assert ours.char_width(chr(code)) == theirs.charWidths.get(code, theirs.defaultWidth), hex(code)
    assert ours.string_width(TEXT, 9.5) == pytest.approx(TTFont("t", str(path)).stringWidth(TEXT, 9.5), abs=1e-9)
    assert ours.gid("\u00a0") == ours.gid(" ")  # a no-break space drawn and measured as a space, as reportlab does


def _sum32(data: bytes) -> int:
    data += bytes(-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def test_a_subset_is_a_valid_font_with_composite_glyphs_components() -> None:
    face = TrueType(font_file("sans").read_bytes())
    e_acute = face.gid("é")
    comps = [g for _, g in face._components(face._glyph(e_acute))]
    assert len(comps) == 2  # DejaVu builds é from e and the acute accent
    order = face.closure([0, face.gid("A"), e_acute])
    assert order[:3] == [0, face.gid("A"), e_acute] and set(comps) <= set(order[3:])
    data = face.subset(order, [0] * 65 + [1] + [0] * 167 + [2])  # code 65 -> A, code 233 -> é
    sub = TrueType(data)
    assert sub.gid("A") == 1 and sub.gid("é") == 2  # read back through its own cmap
    assert sub.num_glyphs == len(order) and sub.units_per_em == face.units_per_em
    # The whole file sums to the magic number and each table to its directory entry (checksums valid).
    assert _sum32(data) == 0xB1B0AFBA
    count = struct.unpack_from(">H", data, 4)[0]
    for i in range(count):
        tag, checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        body = data[offset:offset + length]
        if tag == b"head":
            body = body[:8] + bytes(4) + body[12:]
        assert _sum32(body) == checksum, tag
    # The components now point at their new numbers, and hold the same outlines.
    for _, new in sub._components(sub._glyph(2)):
        assert sub._glyph(new) == face._glyph(order[new])
    assert [sub.advances[g] for g in range(len(order))] == [face.advances[g] for g in order]
    # An independent reader (MuPDF's FreeType) loads it (pages drawn with subsets: test_pdfcanvas).
    font = pymupdf.Font(fontbuffer=data)
    assert font.glyph_count == len(order)


def test_what_is_not_a_truetype_font_is_refused() -> None:
    good = font_file("mono").read_bytes()
    for bad in (b"", b"garbage" * 10, b"OTTO" + good[4:], good[:2000]):
        with pytest.raises(FontError):
            TrueType(bad)


def test_the_names_and_metrics_a_descriptor_needs() -> None:
    oblique = TrueType(font_file("mono", True, True).read_bytes())
    assert oblique.postscript_name == "DejaVuSansMono-BoldOblique"
    assert oblique.fixed_pitch and oblique.italic_angle < 0
    sans = TrueType(font_file("sans").read_bytes())
    assert not sans.fixed_pitch and sans.italic_angle == 0 and 0 < sans.cap_height <= sans.ascent


def test_a_damaged_composite_glyph_does_not_break_the_subset() -> None:
    face = TrueType(font_file("sans").read_bytes())
    e_acute = face.gid("é")
    glyph = face._glyph(e_acute)
    truncated = glyph[:16]  # the first component and half of the second
    assert len(face._components(truncated)) == 1
    assert face._components(b"\xff\xff" + bytes(8)) == []  # a header and no component at all
