"""Small PDFs written byte by byte, for the readers' edge cases no PDF library would write."""

from __future__ import annotations


def classic_pdf(objects: list[bytes], trailer: bytes, *, startxref: int | None = None) -> bytes:
    """A PDF 1.4 with a classic xref table over ``objects`` (numbered from 1) and ``trailer``'s dictionary.

    ``startxref``: the offset written at the end instead of the xref table's own (a damaged file)."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n\r\n" % o for o in offsets)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % (xref if startxref is None else startxref)
    return bytes(out)
