"""PDF objects written by hand: names, strings, dictionaries, streams, the cross-reference table and trailer.

``Writer`` numbers objects as they are added and writes a classic PDF (header, objects,
xref, trailer with /ID). With ``encrypt`` (a function of bytes, formats.encrypt's AESV3),
every string and stream of every object is encrypted, except the /Encrypt dictionary and
the trailer's /ID, as ISO 32000 7.6 asks; AESV3 keys do not depend on the object number.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import TypeAlias

__all__ = ["Name", "Raw", "Ref", "Stream", "Writer", "fmt_number", "pdf_string", "serialize"]


class Name(str):
    """A PDF name (``/Type``); written with # escapes for characters outside regular ones."""

    __slots__ = ()


class Raw(bytes):
    """Bytes written as they are (a hexadecimal string made by the caller, an operator)."""

    __slots__ = ()


class Ref:
    """An indirect reference ``n 0 R``."""

    __slots__ = ("num",)

    def __init__(self, num: int) -> None:
        self.num = num

    def __repr__(self) -> str:
        return f"Ref({self.num})"


class Stream:
    """A stream object: its dictionary and data, compressed with Flate when written unless
    ``compress`` is False, the writer compresses nothing, or the dictionary names a filter already."""

    __slots__ = ("compress", "data", "dict")

    def __init__(self, d: dict[str, Obj], data: bytes, compress: bool = True) -> None:
        self.dict = d
        self.data = data
        self.compress = compress and "Filter" not in d


Obj: TypeAlias = "None | bool | int | float | str | bytes | Name | Raw | Ref | list[Obj] | dict[str, Obj] | Stream"
_NAME_OK = frozenset(b"!\"$&'*+,-.0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ\\^_`abcdefghijklmnopqrstuvwxyz|~")
_STRING_ESCAPES = {ord("("): b"\\(", ord(")"): b"\\)", ord("\\"): b"\\\\", ord("\r"): b"\\r"}


def fmt_number(v: float) -> str:
    """A number as PDF writes it: an integer when whole, else at most 4 decimals, no exponent."""
    if v == int(v):
        return str(int(v))
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _name(n: str) -> bytes:
    raw = n.encode("utf-8")
    return b"/" + b"".join(bytes((c,)) if c in _NAME_OK else b"#%02X" % c for c in raw)


def pdf_string(text: str) -> bytes:
    """A text string's bytes: PDFDocEncoding for ASCII, UTF-16BE with its BOM otherwise."""
    if text.isascii():
        return text.encode("ascii")
    return b"\xfe\xff" + text.encode("utf-16-be")


def _literal(data: bytes) -> bytes:
    return b"(" + b"".join(_STRING_ESCAPES.get(c, bytes((c,))) for c in data) + b")"


def serialize(obj: Obj, enc: Callable[[bytes], bytes] | None = None) -> bytes:
    """``obj`` as PDF syntax; ``enc`` encrypts its strings (hexadecimal when encrypted)."""
    if isinstance(obj, Name):
        return _name(obj)
    if isinstance(obj, Raw):
        return bytes(obj)
    if isinstance(obj, Ref):
        return b"%d 0 R" % obj.num
    if isinstance(obj, bool):
        return b"true" if obj else b"false"
    if isinstance(obj, int):
        return b"%d" % obj
    if isinstance(obj, float):
        return fmt_number(obj).encode("ascii")
    if isinstance(obj, (str, bytes)):
        data = pdf_string(obj) if isinstance(obj, str) else obj
        if enc is not None:
            return b"<" + enc(data).hex().upper().encode("ascii") + b">"
        return _literal(data)
    if isinstance(obj, dict):
        return b"<<" + b"".join(_name(k) + b" " + serialize(v, enc) for k, v in obj.items() if v is not None) + b">>"
    if isinstance(obj, list):
        return b"[" + b" ".join(serialize(v, enc) for v in obj) + b"]"
    if obj is None:
        return b"null"
    raise TypeError(f"cannot write {type(obj).__name__} in a PDF")


class Writer:
    """A PDF being written: objects added one by one, then ``finish``."""

    def __init__(self, version: str = "1.4", encrypt: Callable[[bytes], bytes] | None = None,
                 compress: bool = True) -> None:
        self.version = version
        self._encrypt = encrypt
        self.compress = compress
        self._objects: list[bytes | None] = []

    def reserve(self) -> Ref:
        """A number for an object written later with ``put``."""
        self._objects.append(None)
        return Ref(len(self._objects))

    def add(self, obj: Obj, *, plain: bool = False) -> Ref:
        """Write ``obj`` as a new indirect object (``plain``: never encrypted, for /Encrypt)."""
        ref = self.reserve()
        self.put(ref, obj, plain=plain)
        return ref

    def put(self, ref: Ref, obj: Obj, *, plain: bool = False) -> None:
        enc = None if plain else self._encrypt
        if isinstance(obj, Stream):
            data = obj.data
            d = dict(obj.dict)
            if obj.compress and self.compress:
                data = zlib.compress(data, 6)
                d["Filter"] = Name("FlateDecode")
            if enc:
                data = enc(data)
            d["Length"] = len(data)
            body = serialize(d, enc) + b"\nstream\n" + data + b"\nendstream"
        else:
            body = serialize(obj, enc)
        self._objects[ref.num - 1] = b"%d 0 obj\n" % ref.num + body + b"\nendobj\n"

    def finish(self, root: Ref, info: Ref | None, file_id: bytes, encrypt: Ref | None = None) -> bytes:
        """The whole file: header, objects, xref table and trailer (``file_id``: 16 bytes, both /ID halves)."""
        out = bytearray(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % self.version.encode("ascii"))
        offsets = []
        for num, body in enumerate(self._objects, 1):
            if body is None:
                raise ValueError(f"object {num} reserved but never written")
            offsets.append(len(out))
            out += body
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
        out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
        trailer: dict[str, Obj] = {"Size": len(offsets) + 1, "Root": root, "Info": info, "Encrypt": encrypt,
                                   "ID": [Raw(b"<" + file_id.hex().encode() + b">")] * 2}
        out += b"trailer\n" + serialize(trailer, None) + b"\nstartxref\n%d\n%%%%EOF\n" % xref
        return bytes(out)
