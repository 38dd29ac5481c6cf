"""AES-256 protection of an existing, well-formed PDF without PyMuPDF: read by formats.pdfparse, rewritten encrypted by formats.pdfobj.

``protect`` of a PDF (a PDF sent with "no-modify" or a password) had PyMuPDF open the file and
write it again encrypted: ``import pymupdf`` alone costs about twelve times the interpreter's
start. Here every object reachable from the trailer's /Root and /Info is read by the strict
reader and written again, renumbered from 1, through the same writer and AES-256 hook as a
spool's PDF (``formats.pdfobj.Writer`` with ``formats.encrypt.Aes256``): strings and stream
data encrypted (a stream's data stays encoded with its own filters), object and
cross-reference streams written out as plain objects and a classic table, whatever nothing
references (an old linearization dictionary and its hints, older versions of updated objects)
left out, as a garbage-collecting save does. Anything unusual raises ParseError and the caller
uses PyMuPDF as before: what the reader declines (damage, encryption, size), names or keys that
are not ASCII, a signature (rewriting a signed file breaks its signature: PyMuPDF's road says
so in its own way), a /Crypt filter or a stream kept in an external file.
"""

from __future__ import annotations

import os

from formats import pdfobj
from formats.pdfparse import Name, ParseError, Pdf, Ref, Stream

__all__ = ["protect_parsed"]

_MIN_VERSION = "1.7"  # AES-256 (revision 6) is PDF 1.7 with Adobe's extension level 8, or PDF 2.0


def protect_parsed(data: bytes, user_password: str, permissions: int) -> bytes:
    """``data`` (a well-formed, unencrypted PDF) rewritten with AES-256: ``user_password`` ("" opens
    without one), no owner password anyone knows, ``permissions`` (formats.pdf.PERMISSIONS).
    Raises ParseError for anything this road does not handle (the caller falls back to PyMuPDF)."""
    from formats.encrypt import EXTENSIONS, Aes256

    pdf = Pdf(data)
    pdf.page_sizes()  # the page tree walked and checked as for `info`: an unusual one goes to PyMuPDF
    trailer = pdf.file.trailer
    if "Info" in trailer and not isinstance(trailer["Info"], Ref):
        raise ParseError("a direct /Info dictionary in the trailer")
    hook = Aes256(user_password, None, permissions)
    hook.prepare()
    w = pdfobj.Writer(_version(data), encrypt=hook.encode, compress=False)
    copier = _Copier(pdf, w)
    root_ref = trailer.get("Root")
    if not isinstance(root_ref, Ref):
        raise ParseError("the catalog is not an indirect object")
    root = copier.ref(root_ref)
    if root is None:
        raise ParseError("no catalog")
    info_ref = trailer.get("Info")
    info = copier.ref(info_ref) if isinstance(info_ref, Ref) else None
    copier.copy_all()
    catalog = copier.written[root_ref]
    assert isinstance(catalog, dict)
    extensions = catalog.get("Extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise ParseError("/Extensions that is not a direct dictionary")
    catalog["Extensions"] = {**(extensions or {}), **EXTENSIONS}
    version = catalog.get("Version")
    if isinstance(version, pdfobj.Name) and _older(version, _MIN_VERSION):
        del catalog["Version"]  # the header says 1.7 now; an older /Version would claim less
    copier.put_all()
    encrypt = w.add(hook.info(), plain=True)
    return w.finish(root, info, os.urandom(16), encrypt)


def _version(data: bytes) -> str:
    """The header's version, raised to 1.7 (2.0 stays 2.0)."""
    found = data[5:8].decode("latin-1")
    return found if len(found) == 3 and found[1] == "." and found[::2].isdigit() and not _older(found, _MIN_VERSION) \
        else _MIN_VERSION


def _older(version: str, than: str) -> bool:
    try:
        return tuple(int(p) for p in version.split(".")) < tuple(int(p) for p in than.split("."))
    except ValueError:
        return True  # not a version at all: replaced


class _Copier:
    """Reads the objects reachable from what it is asked for and converts them to formats.pdfobj's types."""

    def __init__(self, pdf: Pdf, writer: pdfobj.Writer) -> None:
        self.pdf = pdf
        self.writer = writer
        self.refs: dict[Ref, pdfobj.Ref] = {}
        self.written: dict[Ref, pdfobj.Obj] = {}
        self._pending: list[Ref] = []

    def ref(self, old: Ref) -> pdfobj.Ref | None:
        """The new reference of object ``old`` (None: a free or missing object, which reads as null)."""
        new = self.refs.get(old)
        if new is None:
            if self.pdf.file.get(old) is None:
                return None
            new = self.refs[old] = self.writer.reserve()
            self._pending.append(old)
        return new

    def copy_all(self) -> None:
        while self._pending:
            old = self._pending.pop()
            self.written[old] = self.convert(self.pdf.file.get(old), 0)

    def put_all(self) -> None:
        for old, new in self.refs.items():
            self.writer.put(new, self.written[old])

    def convert(self, value: object, depth: int) -> pdfobj.Obj:
        if depth > 64:
            raise ParseError("objects nested too deeply")
        if isinstance(value, Ref):
            return self.ref(value)
        if isinstance(value, Name):
            return _name(value)
        if isinstance(value, bool) or value is None or type(value) is int or isinstance(value, bytes):
            return value
        if type(value) is float:
            return pdfobj.Raw(_number(value))
        if isinstance(value, list):
            return [self.convert(v, depth + 1) for v in value]
        if isinstance(value, dict):
            return self._dict(value, depth)
        if isinstance(value, Stream):
            d = value.dict
            if "F" in d or "Crypt" in _filters(self.pdf, d):
                raise ParseError("a stream in an external file or with a /Crypt filter")
            converted = self._dict({k: v for k, v in d.items() if k != "Length"}, depth)
            return pdfobj.Stream(converted, value.raw, compress=False)  # still encoded: written as read
        raise ParseError(f"cannot copy a {type(value).__name__}")

    def _dict(self, value: dict[str, object], depth: int) -> dict[str, pdfobj.Obj]:
        if value.get("Type") == "Sig" or "ByteRange" in value:
            raise ParseError("a signed PDF (rewriting it would break the signature)")
        return {_key(k): self.convert(v, depth + 1) for k, v in value.items()}


def _filters(pdf: Pdf, d: dict[str, object]) -> list[object]:
    found = pdf.file.get(d.get("Filter"))
    return [pdf.file.get(f) for f in found] if isinstance(found, list) else [found]


def _key(key: str) -> str:
    if not key.isascii():
        raise ParseError("a dictionary key that is not ASCII")
    return key


def _name(name: str) -> pdfobj.Name:
    # pdfparse decodes a name's bytes as Latin-1 and pdfobj writes UTF-8: only ASCII is the same both ways.
    if not name.isascii():
        raise ParseError("a name that is not ASCII")
    return pdfobj.Name(name)


def _number(value: float) -> bytes:
    """A real number as read, without an exponent (PDF has none) and without losing digits."""
    text = repr(value)
    if "e" in text or "inf" in text or "nan" in text:
        if value != value or abs(value) == float("inf"):
            raise ParseError("a number that is not finite")
        text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text.encode("ascii")
