"""Incremental update of a PDF read by formats.pdfparse: new objects appended after the original bytes.

The standard way to change a finished PDF without rewriting it (ISO 32000-1, 7.5.6): the
changed objects, a new cross-reference section (a table, or a stream when the file's last
one is a stream) and a trailer whose /Prev points at the previous section are appended; the
original bytes stay a prefix of the result, byte for byte.
"""

from __future__ import annotations

from formats.pdfparse import Name, ParseError, Pdf, Ref, pdf_string

_REGULAR = frozenset(range(0x21, 0x7F)) - frozenset(b"()<>[]{}/%#")


def serialize(value: object) -> bytes:
    """One direct object as PDF syntax (strings as hex, names escaped)."""
    if value is None:
        return b"null"
    if value is True or value is False:
        return b"true" if value else b"false"
    if isinstance(value, Name):
        raw = value.encode("latin-1")
        return b"/" + b"".join(bytes([c]) if c in _REGULAR else b"#%02X" % c for c in raw)
    if isinstance(value, Ref):
        return b"%d %d R" % (value.num, value.gen)
    if type(value) is int:
        return b"%d" % value
    if type(value) is float:
        text = repr(value)
        return (text if "e" not in text else f"{value:.10f}".rstrip("0").rstrip(".")).encode("ascii")
    if isinstance(value, bytes):
        return b"<" + value.hex().upper().encode("ascii") + b">"
    if isinstance(value, list):
        return b"[" + b" ".join(serialize(v) for v in value) + b"]"
    if isinstance(value, dict):
        return b"<<" + b"".join(serialize(Name(k)) + b" " + serialize(v) for k, v in value.items()) + b">>"
    raise ParseError(f"cannot write a {type(value).__name__} back")


def set_info(pdf: Pdf, *, info: dict[str, str] | None = None, xmp: str | None = None) -> bytes:
    """The PDF with ``info`` (Title, Author, ...) set in its Info dictionary (other entries kept)
    and ``xmp`` as its catalog's /Metadata stream, as an incremental update."""
    f = pdf.file
    trailer = f.trailer
    size = trailer["Size"]
    assert type(size) is int
    next_num = size
    objects: dict[Ref, bytes] = {}
    new_trailer: dict[str, object] = {}
    if xmp is not None:
        body = xmp.encode("utf-8")
        stream = b"<</Type/Metadata/Subtype/XML/Length %d>>\nstream\n" % len(body) + body + b"\nendstream"
        old = pdf.catalog.get("Metadata")
        if isinstance(old, Ref) and f.entries.get(old.num) is not None and f.get(old) is not None:
            objects[old] = stream  # a new version of the same object
        else:
            root = trailer.get("Root")
            if not isinstance(root, Ref):
                raise ParseError("the catalog is not an indirect object")
            meta = Ref(next_num, 0)
            next_num += 1
            objects[meta] = stream
            objects[root] = serialize({**pdf.catalog, "Metadata": meta})
    if info:
        entries = dict(pdf.info_dict())
        entries.update({Name(k): _raw_string(v) for k, v in info.items()})
        ref = Ref(next_num, 0)
        next_num += 1
        objects[ref] = serialize(entries)
        new_trailer["Info"] = ref
    if not objects:
        return pdf.data
    for key in ("Root", "Info", "ID"):
        if key not in new_trailer and key in trailer:
            new_trailer[key] = trailer[key]
    return _append(pdf, objects, new_trailer, next_num)


def _raw_string(text: str) -> bytes:
    """The bytes a PDF string holds for ``text`` (pdf_string without its delimiters, unescaped)."""
    if text.isascii() and text.isprintable():
        return text.encode("ascii")
    written = pdf_string(text)
    return bytes.fromhex(written[1:-1].decode("ascii"))


def _append(pdf: Pdf, objects: dict[Ref, bytes], trailer: dict[str, object], next_num: int) -> bytes:
    out = bytearray(pdf.data)
    if not out.endswith((b"\n", b"\r")):
        out += b"\n"
    offsets: dict[Ref, int] = {}
    for ref in sorted(objects):
        offsets[ref] = len(out)
        out += b"%d %d obj\n" % ref + objects[ref] + b"\nendobj\n"
    prev = pdf.file.startxref
    if pdf.file.last_is_stream:
        xref = Ref(next_num, 0)
        size = next_num + 1
        offsets[xref] = len(out)
        width = max(4, (len(out).bit_length() + 7) // 8)
        rows = b"".join(b"\x01" + off.to_bytes(width, "big") + ref.gen.to_bytes(2, "big") for ref, off in sorted(offsets.items()))
        head = {"Type": Name("XRef"), "Size": size, "W": [1, width, 2], "Index": _index(sorted(offsets)),
                "Prev": prev, **trailer, "Length": len(rows)}
        out += b"%d 0 obj\n" % xref.num + serialize(head) + b"\nstream\n" + rows + b"\nendstream\nendobj\n"
        out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref]
        return bytes(out)
    start = len(out)
    out += b"xref\n"
    refs = sorted(offsets)
    for first, count in _runs(refs):
        out += b"%d %d\n" % (first, count)
        for ref in refs:
            if first <= ref.num < first + count:
                out += b"%010d %05d n\r\n" % (offsets[ref], ref.gen)
    out += b"trailer\n" + serialize({"Size": next_num, **trailer, "Prev": prev}) + b"\n"
    out += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def _runs(refs: list[Ref]) -> list[tuple[int, int]]:
    """Consecutive object numbers grouped as (first, count) subsections."""
    runs: list[list[int]] = []
    for ref in refs:
        if runs and runs[-1][0] + runs[-1][1] == ref.num:
            runs[-1][1] += 1
        else:
            runs.append([ref.num, 1])
    return [(a, b) for a, b in runs]


def _index(refs: list[Ref]) -> list[object]:
    return [n for run in _runs(refs) for n in run]
