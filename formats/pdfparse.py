"""A strict, small reader of a PDF's structure: xref, trailer, objects, page count, Info and XMP.

It reads what ``convert`` and ``info`` need from a well-formed, unencrypted PDF without
importing PyMuPDF (~90 ms). It is strict on purpose: anything it does not expect (no header,
a broken startxref or xref, an offset that does not point at ``N G obj``, encryption, a
damaged stream, too deep a structure) raises ParseError, and the caller hands the file to
PyMuPDF, which repairs it or says why it cannot. What it accepts, it reads as MuPDF does.
"""

from __future__ import annotations

import re
import struct
import zlib

MAX_DEPTH = 64  # nested arrays/dictionaries, and references followed in a row
MAX_SECTIONS = 256  # xref sections in the /Prev chain (incremental updates)
MAX_PAGE_TREE = 64  # depth of the page tree
MAX_ENTRIES = 4000  # cross-reference entries (~1,300 pages): beyond, pure Python reads slower than PyMuPDF imports
MAX_STREAM = 64 << 20  # decoded size of one stream we read (xref, object stream, XMP)
_FLOAT = struct.Struct("f")


class ParseError(Exception):
    """The file is not the well-formed PDF this reader expects (the caller falls back to PyMuPDF)."""


class Name(str):
    """A PDF name (``/Type`` is ``Name("Type")``); a PDF string is ``bytes``."""

    __slots__ = ()


# Plain tuple classes, not typing.NamedTuple: three of those cost ~2 M instructions to create
# at import, 5% of the interpreter's own start.
class Ref(tuple[int, int]):
    """An indirect reference ``num gen R``."""

    __slots__ = ()

    def __new__(cls, num: int, gen: int) -> Ref:
        return tuple.__new__(cls, (num, gen))

    @property
    def num(self) -> int:
        return self[0]

    @property
    def gen(self) -> int:
        return self[1]

    def __repr__(self) -> str:
        return f"Ref({self[0]}, {self[1]})"


class Stream:
    """A stream object: its dictionary and its raw (still encoded) data."""

    __slots__ = ("dict", "raw")

    def __init__(self, d: dict[str, object], raw: bytes) -> None:
        self.dict = d
        self.raw = raw


_WS = b"\x00\t\n\x0c\r "
_SKIP = re.compile(rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)*")
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_REF = re.compile(rb"(\d+)[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]+R")
_HEX = re.compile(rb"<([0-9A-Fa-f\x00\t\n\x0c\r ]*)>")
_LITERAL_CHUNK = re.compile(rb"[^()\\]*")
_OBJ = re.compile(rb"[\x00\t\n\x0c\r ]*(\d+)[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]+obj")
_SUBSECTION = re.compile(rb"(\d+) (\d+)[ \t]*(?:\r\n|\n|\r)")
_ENDS = frozenset(b"\x00\t\n\x0c\r ()<>[]{}/%")  # white space and delimiters: where a keyword ends
_EOL_PAIRS = (b" \r", b" \n", b"\r\n")


def _ends(data: bytes, pos: int) -> bool:
    """Whether a token ends at ``pos`` (end of data, white space or a delimiter)."""
    return pos >= len(data) or data[pos] in _ENDS


def _after_ws(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in _WS:
        pos += 1
    return pos


def _keyword(data: bytes, pos: int, word: bytes) -> int:
    """The end of ``word`` at ``pos`` (after white space), or -1."""
    pos = _after_ws(data, pos)
    end = pos + len(word)
    return end if data.startswith(word, pos) and _ends(data, end) else -1


def _obj_header(data: bytes, offset: int) -> re.Match[bytes] | None:
    """``num gen obj`` at ``offset`` (after white space)."""
    m = _OBJ.match(data, offset)
    return m if m is not None and _ends(data, m.end()) else None
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f",
            ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}


class _Lexer:
    """Parses direct objects from ``data`` starting at ``pos``."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def skip(self) -> None:
        self.pos = _SKIP.match(self.data, self.pos).end()  # type: ignore[union-attr]  # matches empty

    def value(self, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise ParseError("objects nested too deeply")
        self.skip()
        data, pos = self.data, self.pos
        c = data[pos:pos + 1]
        if c == b"/":
            m = _NAME.match(data, pos)
            assert m is not None
            self.pos = m.end()
            return Name(_name(m.group(1)))
        if c == b"<":
            if data[pos:pos + 2] == b"<<":
                return self._dict(depth)
            m = _HEX.match(data, pos)
            if m is None:
                raise ParseError(f"bad hex string at {pos}")
            self.pos = m.end()
            digits = bytes(b for b in m.group(1) if b not in _WS)
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
        if c == b"(":
            return self._literal()
        if c == b"[":
            self.pos += 1
            items: list[object] = []
            while True:
                self.skip()
                if self.data[self.pos:self.pos + 1] == b"]":
                    self.pos += 1
                    return items
                items.append(self.value(depth + 1))
        if c and c in b"0123456789":
            m = _REF.match(data, pos)
            if m is not None and _ends(data, m.end()):
                self.pos = m.end()
                return Ref(int(m.group(1)), int(m.group(2)))
        if c and c in b"+-.0123456789":
            m = _NUMBER.match(data, pos)
            if m is None:
                raise ParseError(f"bad number at {pos}")
            self.pos = m.end()
            text = m.group()
            return float(text) if b"." in text else int(text)
        for word, value in ((b"true", True), (b"false", False), (b"null", None)):
            if data.startswith(word, pos) and _ends(data, pos + len(word)):
                self.pos = pos + len(word)
                return value
        raise ParseError(f"unexpected {data[pos:pos + 12]!r} at {pos}")

    def _dict(self, depth: int) -> dict[str, object]:
        self.pos += 2
        items: dict[str, object] = {}
        while True:
            self.skip()
            if self.data[self.pos:self.pos + 2] == b">>":
                self.pos += 2
                return items
            key = self.value(depth + 1)
            if not isinstance(key, Name):
                raise ParseError(f"dictionary key is not a name at {self.pos}")
            items[key] = self.value(depth + 1)

    def _literal(self) -> bytes:
        data = self.data
        pos = self.pos + 1
        out = bytearray()
        nesting = 1
        while True:
            m = _LITERAL_CHUNK.match(data, pos)
            assert m is not None
            out += m.group()
            pos = m.end()
            c = data[pos:pos + 1]
            if not c:
                raise ParseError("unterminated string")
            pos += 1
            if c == b"(":
                nesting += 1
                out += c
            elif c == b")":
                nesting -= 1
                if not nesting:
                    break
                out += c
            else:  # backslash
                e = data[pos:pos + 1]
                if not e:
                    raise ParseError("unterminated string")
                if e in b"01234567":
                    digits = re.match(rb"[0-7]{1,3}", data[pos:pos + 3])
                    assert digits is not None
                    out.append(int(digits.group(), 8) & 0xFF)
                    pos += len(digits.group())
                elif e == b"\r":
                    pos += 2 if data[pos + 1:pos + 2] == b"\n" else 1
                elif e == b"\n":
                    pos += 1
                else:
                    out += _ESCAPES.get(e[0], e)
                    pos += 1
        self.pos = pos
        return bytes(out)


def _name(raw: bytes) -> str:
    if b"#" in raw:
        try:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        except ValueError:
            raise ParseError("bad name escape") from None
    return raw.decode("latin-1")


class Entry:
    """One cross-reference entry: kind 1 (offset, gen) or 2 (object stream number, index)."""

    __slots__ = ("kind", "a", "b")

    def __init__(self, kind: int, a: int, b: int) -> None:
        self.kind, self.a, self.b = kind, a, b


class PdfFile:
    """The structure of one PDF: its cross-reference, trailer and objects, read on demand."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(b"%PDF-"):
            raise ParseError("no %PDF header at the start of the file")
        self.data = data
        self.entries: dict[int, Entry | None] = {}  # None: a free entry
        self.trailer: dict[str, object] = {}
        self.startxref = 0
        self.last_is_stream = False
        self._objects: dict[int, object] = {}
        self._objstms: dict[int, tuple[bytes, list[tuple[int, int]]]] = {}
        self._loading: set[int] = set()  # objects being read: one needed to read itself is a loop
        self._entries_read = 0
        self._read_xref()

    # -- cross-reference -------------------------------------------------------------------------
    def _read_xref(self) -> None:
        at = self.data.rfind(b"startxref", max(0, len(self.data) - 1024))
        number = self.data[at + 9:at + 40].split(None, 1)[:1] if at >= 0 else []
        if not number or not number[0].isdigit() or self.data[at + 9] not in _WS:
            raise ParseError("no startxref at the end of the file")
        offset = self.startxref = int(number[0])
        seen: set[int] = set()
        first = True
        while True:
            if offset in seen or len(seen) >= MAX_SECTIONS:
                raise ParseError("the /Prev chain of cross-reference sections loops")
            seen.add(offset)
            if not 0 < offset < len(self.data):
                raise ParseError(f"cross-reference offset {offset} outside the file")
            if self.data.startswith(b"xref", offset):
                trailer = self._read_table(offset)
                stream = False
            else:
                trailer = self._read_xref_stream(offset)
                stream = True
            if first:
                self.trailer, self.last_is_stream, first = trailer, stream, False
            if "XRefStm" in trailer:
                raise ParseError("hybrid cross-reference (/XRefStm)")
            prev = trailer.get("Prev")
            if prev is None:
                break
            if type(prev) is not int:
                raise ParseError("bad /Prev")
            offset = prev
        size = self.trailer.get("Size")
        if type(size) is not int or size < 1 or any(n >= size for n in self.entries):
            raise ParseError("bad /Size")
        if "Encrypt" in self.trailer:
            raise ParseError("encrypted")
        for num, entry in self.entries.items():  # every object where the xref says it is
            if entry is not None and entry.kind == 1:
                m = _obj_header(self.data, entry.a)
                if m is None or int(m.group(1)) != num or int(m.group(2)) != entry.b:
                    raise ParseError(f"object {num} is not at offset {entry.a}")

    def _count(self, count: int) -> None:
        """Count ``count`` more cross-reference entries; a large file goes to PyMuPDF."""
        self._entries_read += count
        if self._entries_read > MAX_ENTRIES:
            raise ParseError(f"more than {MAX_ENTRIES} cross-reference entries: PyMuPDF reads it faster")

    def _set(self, num: int, entry: Entry | None) -> None:
        if num not in self.entries:  # the newest section read first wins
            self.entries[num] = entry

    def _read_table(self, offset: int) -> dict[str, object]:
        data = self.data
        pos = _after_ws(data, offset + 4)
        while True:
            sub = _SUBSECTION.match(data, pos)
            if sub is None:
                break
            start, count = int(sub.group(1)), int(sub.group(2))
            self._count(count)
            pos = sub.end()
            end = pos + 20 * count
            if end > len(data):
                raise ParseError(f"cross-reference entries cut short at {pos}")
            for k in range(count):
                row = data[pos + 20 * k:pos + 20 * k + 20]
                kind = row[17:18]
                if not (row[:10].isdigit() and row[11:16].isdigit() and row[10] == row[16] == 32
                        and kind in (b"n", b"f") and row[18:] in _EOL_PAIRS):
                    raise ParseError(f"bad cross-reference entry at {pos + 20 * k}")
                if kind == b"n":
                    self._set(start + k, Entry(1, int(row[:10]), int(row[11:16])))
                else:
                    self._set(start + k, None)
            pos = end
        lex = _Lexer(data, pos)
        lex.skip()
        if not data.startswith(b"trailer", lex.pos):
            raise ParseError(f"no trailer after the cross-reference at {offset}")
        lex.pos += 7
        trailer = lex.value()
        if not isinstance(trailer, dict):
            raise ParseError("the trailer is not a dictionary")
        return trailer

    def _read_xref_stream(self, offset: int) -> dict[str, object]:
        m = _obj_header(self.data, offset)
        if m is None:
            raise ParseError(f"startxref {offset} points at neither xref nor an object")
        obj = self._parse_object(offset, int(m.group(1)), int(m.group(2)))
        if not isinstance(obj, Stream) or obj.dict.get("Type") != "XRef":
            raise ParseError("the cross-reference stream is not /Type /XRef")
        d = obj.dict
        widths, size = d.get("W"), d.get("Size")
        if not (isinstance(widths, list) and len(widths) == 3 and all(type(w) is int and 0 <= w <= 8 for w in widths)):
            raise ParseError("bad /W")
        if type(size) is not int:
            raise ParseError("bad /Size")
        index = d.get("Index", [0, size])
        if not (isinstance(index, list) and len(index) % 2 == 0 and all(type(i) is int and i >= 0 for i in index)):
            raise ParseError("bad /Index")
        self._count(sum(index[1::2]))
        raw = self.decode(obj)
        w0, w1, w2 = widths
        row = w0 + w1 + w2
        pos = 0
        for start, count in zip(index[0::2], index[1::2], strict=True):
            if pos + row * count > len(raw):
                raise ParseError("cross-reference stream too short")
            for k in range(count):
                kind = int.from_bytes(raw[pos:pos + w0], "big") if w0 else 1
                a = int.from_bytes(raw[pos + w0:pos + w0 + w1], "big")
                b = int.from_bytes(raw[pos + w0 + w1:pos + row], "big")
                pos += row
                if kind == 0:
                    self._set(start + k, None)
                elif kind in (1, 2):
                    self._set(start + k, Entry(kind, a, b))
                else:
                    raise ParseError(f"cross-reference entry of type {kind}")
        return d

    # -- objects ---------------------------------------------------------------------------------
    def _parse_object(self, offset: int, num: int, gen: int) -> object:
        """The object ``num gen obj`` at ``offset`` (a Stream for a stream)."""
        data = self.data
        m = _obj_header(data, offset)
        if m is None or int(m.group(1)) != num or int(m.group(2)) != gen:
            raise ParseError(f"object {num} is not at offset {offset}")
        lex = _Lexer(data, m.end())
        value = lex.value()
        lex.skip()
        if not data.startswith(b"stream", lex.pos):
            if _keyword(data, lex.pos, b"endobj") < 0:
                raise ParseError(f"object {num} does not end with endobj")
            return value
        start = lex.pos + 6
        start += 2 if data.startswith(b"\r\n", start) else 1 if data[start:start + 1] in (b"\n", b"\r") else 0
        if start == lex.pos + 6:
            raise ParseError(f"stream {num}: no end of line after the stream keyword")
        if not isinstance(value, dict):
            raise ParseError(f"stream {num} without a dictionary")
        length = value.get("Length")
        if isinstance(length, Ref):
            if length.num == num:
                raise ParseError("a stream's /Length refers to itself")
            length = self.get(length)
        if type(length) is not int or length < 0:
            raise ParseError(f"bad /Length of stream {num}")
        end = _keyword(data, start + length, b"endstream") if start + length <= len(data) else -1
        if end < 0 or _keyword(data, end, b"endobj") < 0:
            raise ParseError(f"stream {num}: no endstream after /Length bytes")
        return Stream(value, data[start:start + length])

    def get(self, ref: object, depth: int = 0) -> object:
        """``ref`` resolved (an object that is not a Ref is returned as it is); null when free or missing."""
        while isinstance(ref, Ref):
            if depth > MAX_DEPTH:
                raise ParseError("references loop")
            depth += 1
            ref = self._load(ref)
        return ref

    def _load(self, ref: Ref) -> object:
        if ref.num in self._objects:
            return self._objects[ref.num]
        entry = self.entries.get(ref.num)
        if entry is None or ref.gen != (entry.b if entry.kind == 1 else 0):
            return None  # free, absent or another generation: null, as the standard says
        if ref.num in self._loading:
            raise ParseError(f"object {ref.num} needs itself to be read")
        self._loading.add(ref.num)
        try:
            if entry.kind == 1:
                value = self._parse_object(entry.a, ref.num, entry.b)
            else:
                value = self._from_objstm(entry.a, entry.b, ref.num)
        finally:
            self._loading.discard(ref.num)
        self._objects[ref.num] = value
        return value

    def _from_objstm(self, stm: int, index: int, num: int) -> object:
        if stm not in self._objstms:
            if stm in self._loading:
                raise ParseError(f"object stream {stm} needs itself to be read")
            self._loading.add(stm)
            try:
                self._objstms[stm] = self._read_objstm(stm)
            finally:
                self._loading.discard(stm)
        raw, pairs = self._objstms[stm]
        if index >= len(pairs) or pairs[index][0] != num:
            raise ParseError(f"object {num} is not at index {index} of object stream {stm}")
        lex = _Lexer(raw, pairs[index][1])
        value = lex.value()
        if isinstance(value, Ref):
            raise ParseError("an object stream holds a bare reference")
        return value

    def _read_objstm(self, stm: int) -> tuple[bytes, list[tuple[int, int]]]:
        """An object stream's decoded data and its (object number, offset) pairs."""
        entry = self.entries.get(stm)
        if entry is None or entry.kind != 1:
            raise ParseError(f"object stream {stm} is not a plain object")
        obj = self._parse_object(entry.a, stm, entry.b)
        if not isinstance(obj, Stream) or obj.dict.get("Type") != "ObjStm":
            raise ParseError(f"object {stm} is not an object stream")
        n, first = obj.dict.get("N"), obj.dict.get("First")
        if type(n) is not int or type(first) is not int or n < 0 or first < 0:
            raise ParseError(f"bad /N or /First in object stream {stm}")
        raw = self.decode(obj)
        lex = _Lexer(raw[:first])
        pairs = []
        for _ in range(n):
            a, b = lex.value(), lex.value()
            if type(a) is not int or type(b) is not int:
                raise ParseError(f"bad header of object stream {stm}")
            pairs.append((a, first + b))
        return raw, pairs

    def decode(self, stream: Stream) -> bytes:
        """A stream's data with its filters undone (FlateDecode, PNG predictors, or none)."""
        d = stream.dict
        filters = self.get(d.get("Filter"))
        parms = self.get(d.get("DecodeParms"))
        if isinstance(filters, list):
            if len(filters) > 1:
                raise ParseError("more than one filter")
            filters = self.get(filters[0]) if filters else None
            parms = self.get(parms[0]) if isinstance(parms, list) and parms else parms
        if filters is None:
            if parms is not None:
                raise ParseError("/DecodeParms without a filter")
            return stream.raw
        if filters != "FlateDecode":
            raise ParseError(f"filter {filters}")
        try:
            z = zlib.decompressobj()
            out = z.decompress(stream.raw, MAX_STREAM)
            if z.unconsumed_tail or not z.eof:
                raise ParseError("damaged or too large compressed stream")
        except zlib.error:
            raise ParseError("damaged compressed stream") from None
        if parms is None:
            return out
        if not isinstance(parms, dict):
            raise ParseError("bad /DecodeParms")
        return _unpredict(out, parms)


def _unpredict(data: bytes, parms: dict[str, object]) -> bytes:
    """Undo a PNG predictor (/Predictor 10..15); 1 is none; TIFF's 2 is not accepted."""
    predictor = parms.get("Predictor", 1)
    if predictor == 1:
        return data
    colors, bpc, columns = parms.get("Colors", 1), parms.get("BitsPerComponent", 8), parms.get("Columns", 1)
    if type(predictor) is not int or not 10 <= predictor <= 15 or colors != 1 or bpc != 8 or type(columns) is not int or columns < 1:
        raise ParseError("unsupported predictor")
    row = columns
    if len(data) % (row + 1):
        raise ParseError("predicted data not a whole number of rows")
    out = bytearray()
    prior = bytes(row)
    for k in range(0, len(data), row + 1):
        kind, line = data[k], bytearray(data[k + 1:k + 1 + row])
        if kind == 0:
            pass
        elif kind == 1:
            for i in range(1, row):
                line[i] = (line[i] + line[i - 1]) & 0xFF
        elif kind == 2:
            for i in range(row):
                line[i] = (line[i] + prior[i]) & 0xFF
        elif kind == 3:
            for i in range(row):
                line[i] = (line[i] + ((line[i - 1] if i else 0) + prior[i]) // 2) & 0xFF
        elif kind == 4:
            for i in range(row):
                a, b, c = (line[i - 1] if i else 0), prior[i], (prior[i - 1] if i else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            raise ParseError(f"PNG filter type {kind}")
        out += line
        prior = bytes(line)
    return bytes(out)


# -- what the document says about itself ---------------------------------------------------------
_PDFDOC_HIGH = (
    "\u2022\u2020\u2021\u2026\u2014\u2013\u0192\u2044\u2039\u203a\u2212\u2030\u201e\u201c\u201d\u2018"
    "\u2019\u201a\u2122\ufb01\ufb02\u0141\u0152\u0160\u0178\u017d\u0131\u0142\u0153\u0161\u017e"
)  # 0x80..0x9e
_PDFDOC = {0x18 + i: c for i, c in enumerate("\u02d8\u02c7\u02c6\u02d9\u02dd\u02db\u02da\u02dc")}
_PDFDOC.update({0x80 + i: c for i, c in enumerate(_PDFDOC_HIGH)})
_PDFDOC[0xA0] = "\u20ac"
_PDFDOC_TABLE = str.maketrans({k: v for k, v in _PDFDOC.items()})
_UNDEFINED = frozenset((0x00, 0x7F, 0x9F, 0xAD))


def text_string(raw: bytes) -> str:
    """A PDF text string: UTF-16BE or UTF-8 after a byte order mark, else PDFDocEncoding."""
    try:
        if raw.startswith(b"\xfe\xff"):
            text = raw[2:].decode("utf-16-be")
        elif raw.startswith(b"\xef\xbb\xbf"):
            text = raw[3:].decode("utf-8")
        else:
            if _UNDEFINED.intersection(raw) or raw.startswith(b"\xff\xfe"):
                raise ParseError("a text string with bytes PDFDocEncoding leaves undefined")
            return raw.decode("latin-1").translate(_PDFDOC_TABLE)
    except UnicodeDecodeError:
        raise ParseError("a text string that does not decode") from None
    if "\x00" in text:
        raise ParseError("a text string with NUL")
    return text


def pdf_string(text: str) -> bytes:
    """``text`` written as a PDF string: literal ASCII, else hex UTF-16BE with its byte order mark."""
    if text.isascii() and text.isprintable():
        return b"(" + text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<" + ("\ufeff" + text).encode("utf-16-be").hex().upper().encode("ascii") + b">"


INFO_KEYS = ("Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate")


class Pdf:
    """What convert and info read from a well-formed PDF: pages, Info, XMP, page sizes."""

    def __init__(self, data: bytes) -> None:
        self.file = PdfFile(data)
        self.data = data
        root = self.file.get(self.file.trailer.get("Root"))
        if not isinstance(root, dict):
            raise ParseError("no catalog (/Root)")
        self.catalog: dict[str, object] = root
        pages = self.file.get(root.get("Pages"))
        if not isinstance(pages, dict):
            raise ParseError("no page tree (/Pages)")
        count = self.file.get(pages.get("Count"))
        if type(count) is not int or count < 1:
            raise ParseError("no pages or a bad /Count")
        if count >= min(self.file.trailer["Size"], max(self.file.entries) + 1):  # type: ignore[call-overload]
            raise ParseError("a /Count of more pages than objects")  # MuPDF: "Invalid number of pages"
        self.page_count: int = count
        self._pages = pages

    def info_dict(self) -> dict[str, object]:
        """The trailer's /Info dictionary (empty when there is none)."""
        info = self.file.get(self.file.trailer.get("Info"))
        if info is None:
            return {}
        if not isinstance(info, dict):
            raise ParseError("/Info is not a dictionary")
        return info

    def info(self) -> dict[str, str]:
        """The Info dictionary's text entries (Title, Author, ...), decoded as PyMuPDF does."""
        found = {}
        for key, value in self.info_dict().items():
            value = self.file.get(value)
            if isinstance(value, bytes):
                found[key] = text_string(value)
        return found

    def xmp(self) -> str:
        """The catalog's /Metadata stream as text ("" when there is none), as PyMuPDF reads it."""
        meta = self.file.get(self.catalog.get("Metadata"))
        if meta is None:
            return ""
        if not isinstance(meta, Stream):
            raise ParseError("/Metadata is not a stream")
        text = self.file.decode(meta).decode("utf-8", errors="replace")
        return text.split("\x00", 1)[0]

    def page_sizes(self) -> list[tuple[float, float]]:
        """Each page's (width, height) in points as PyMuPDF's ``page.rect`` gives them; a page
        tree or a page box out of the ordinary (UserUnit, an empty box, a /Parent that is not
        the node above, ...) raises ParseError."""
        root = self.catalog.get("Pages")
        if not isinstance(root, Ref):
            raise ParseError("a page tree root that is not an indirect object")
        sizes: list[tuple[float, float]] = []
        self._walk(root, self._pages, {}, sizes, {root.num}, 0)
        if len(sizes) != self.page_count:
            raise ParseError("/Count differs from the pages in the tree")
        return sizes

    def _walk(self, ref: Ref, node: dict[str, object], inherited: dict[str, object], sizes: list[tuple[float, float]],
              seen: set[int], depth: int) -> None:
        if depth > MAX_PAGE_TREE:
            raise ParseError("page tree too deep")
        here: dict[str, object] = {k: node[k] for k in ("MediaBox", "CropBox", "Rotate") if k in node}
        inherited = {**inherited, **here}
        kind = node.get("Type")
        if kind == "Page":
            sizes.append(_page_size(self.file, node, inherited))
            return
        kids = self.file.get(node.get("Kids"))
        if kind != "Pages" or not isinstance(kids, list):
            raise ParseError("a page tree node that is neither /Pages with /Kids nor /Page")
        start = len(sizes)
        for kid in kids:
            if not isinstance(kid, Ref) or kid.num in seen:
                raise ParseError("a page tree kid that is not a reference, or a loop")
            seen.add(kid.num)
            child = self.file.get(kid)
            if not isinstance(child, dict):
                raise ParseError("a page tree kid that is not a dictionary")
            if child.get("Parent") != ref:
                raise ParseError("a page whose /Parent is not the node above it")  # MuPDF inherits through /Parent
            self._walk(kid, child, inherited, sizes, seen, depth + 1)
        if self.file.get(node.get("Count")) != len(sizes) - start:
            raise ParseError("a /Count differs from the pages under it")


def _f32(value: float) -> float:
    """``value`` rounded to a C float, as MuPDF keeps coordinates."""
    return _FLOAT.unpack(_FLOAT.pack(value))[0]  # type: ignore[no-any-return]  # a float


def _box(pdf: PdfFile, value: object) -> tuple[float, float, float, float]:
    """A rectangle as MuPDF reads it: four numbers as C floats, corners ordered."""
    box = pdf.get(value)
    values = [pdf.get(v) for v in box] if isinstance(box, list) else []
    if len(values) != 4 or not all(type(v) in (int, float) and abs(v) < 1e7 for v in values):  # type: ignore[arg-type]
        raise ParseError("a page box that is not four numbers")
    a, b, c, d = (_f32(v) for v in values)  # type: ignore[arg-type]  # numbers, checked above
    return min(a, c), min(b, d), max(a, c), max(b, d)


def _page_size(pdf: PdfFile, page: dict[str, object], inherited: dict[str, object]) -> tuple[float, float]:
    """A page's size as PyMuPDF's ``page.rect``: the MediaBox cut by the CropBox, rotated."""
    if "UserUnit" in page:
        raise ParseError("/UserUnit")
    x0, y0, x1, y1 = _box(pdf, inherited.get("MediaBox"))
    if "CropBox" in inherited:
        c0, d0, c1, d1 = _box(pdf, inherited["CropBox"])
        x0, y0, x1, y1 = max(x0, c0), max(y0, d0), min(x1, c1), min(y1, d1)
    w, h = _f32(x1 - x0), _f32(y1 - y0)
    if w < 1 or h < 1:
        raise ParseError("an empty page box")
    rotate = pdf.get(inherited.get("Rotate", 0))
    if type(rotate) is not int or rotate % 90:
        raise ParseError("a /Rotate that is not a multiple of 90")
    return (h, w) if rotate % 180 else (w, h)
