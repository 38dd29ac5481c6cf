"""The pickup file format (IIS/Exchange): one header grammar for the writer and the reader.

A pickup file is an RFC 5322 message, optionally preceded by ``x-sender:`` and
``x-receiver:`` lines giving the envelope. The route that drops files and the relay that
reads them both go through this module, so a line one side reads as an envelope line is
exactly a line the other side writes or strips (issue 12.13: a header ``X-Receiver\\x0c:``
was left by the writer and read as a recipient by the relay).

The grammar: lines end with CRLF, LF or a lone CR; a header field starts with a name of
printable ASCII except ``:`` (RFC 5322 ftext), optional spaces or tabs, then ``:``;
a line starting with a space or a tab continues the field above. A line whose would-be
name holds a control character is refused (``PickupFormatError``), never guessed at.
"""

from __future__ import annotations

import re

__all__ = [
    "PickupFormatError",
    "ENVELOPE_FIELDS",
    "split_lines",
    "split_head",
    "field_name",
    "header_fields",
    "field_value",
    "strip_fields",
    "read_envelope",
    "has_envelope_lines",
    "envelope_lines",
    "write",
]

ENVELOPE_FIELDS = frozenset({"x-sender", "x-receiver"})

_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_EOL = re.compile(rb"\r\n|\r|\n")


class PickupFormatError(ValueError):
    """The bytes break the pickup grammar; ``str()`` says where and what to do."""


def _shown(name: bytes) -> str:
    return repr(name.decode("latin-1"))


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their ends (CRLF, LF or a lone CR), as both sides read them."""
    return data.splitlines(keepends=True)


_EOL_ONE = rb"(?:\r\n|\n|\r(?!\n))"
# Compiled on first use (re's cache): writing a pickup file does not split a head from its body.
_BLANK = _EOL_ONE + b"(" + _EOL_ONE + b")"
_LEADING_BLANK = _EOL_ONE


def split_head(content: bytes) -> tuple[list[bytes], bytes]:
    """The lines up to the first blank line (included), and the rest untouched (no per-line work)."""
    first = re.match(_LEADING_BLANK, content)
    if first:
        return [first.group(0)], content[first.end():]
    blank = re.search(_BLANK, content)
    if blank is None:
        return split_lines(content), b""
    return split_lines(content[:blank.end()]), content[blank.end():]


def field_name(line: bytes) -> str | None:
    """The lower-case name of the field ``line`` starts, or None when it starts none.

    Raises PickupFormatError when the part before the first ``:`` holds a control
    character (``X-Receiver\\x0c:``): such a line is neither a field nor body text.
    """
    if line[:1] in (b" ", b"\t"):
        return None
    name, colon, _ = line.partition(b":")
    if not colon:
        return None
    name = name.rstrip(b" \t")
    if _NAME.fullmatch(name):
        return name.decode("ascii").lower()
    if _CONTROL.search(name):
        raise PickupFormatError(f"the header field name {_shown(name)} holds a control character: "
                                "remove or rename that header")
    return None


def header_fields(lines: list[bytes]) -> tuple[list[list[bytes]], int]:
    """Group a header block into fields (first line + continuations); return them and the body index.

    A line that is neither a field nor a continuation ends the block (a body without the
    blank line, tolerated like most MTAs), except as the very first line.
    """
    fields: list[list[bytes]] = []
    for i, line in enumerate(lines):
        if line in (b"\r\n", b"\n", b"\r"):
            return fields, i
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise PickupFormatError("the message starts with a folded line instead of a header field")
            fields[-1].append(line)
        elif field_name(line.rstrip(b"\r\n")) is not None:
            fields.append([line])
        else:
            if not fields:
                raise PickupFormatError("the first line is not a header field (expected e.g. 'From: ...')")
            return fields, i
    return fields, len(lines)


def name_of(field: list[bytes]) -> str:
    """The lower-case name of a field grouped by ``header_fields``."""
    return field[0].split(b":", 1)[0].rstrip(b" \t").decode("ascii").lower()


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def field_value(field: list[bytes]) -> str:
    """The unfolded value of a field (UTF-8, else Latin-1), without the line ends."""
    raw = b"".join(field).split(b":", 1)[1]
    return _text(raw).replace("\r", "").replace("\n", "").strip()


def strip_fields(message: bytes, names: set[str] | frozenset[str]) -> bytes:
    """``message`` without the header fields named in ``names`` (lower case); body untouched."""
    head, rest = split_head(message)
    fields, body_at = header_fields(head)
    kept = [b"".join(f) for f in fields if name_of(f) not in names]
    return b"".join(kept) + b"".join(head[body_at:]) + rest


def _address(value: str) -> str:
    value = value.strip()
    if value in ("<>", ""):
        return ""
    from email.utils import parseaddr  # reading an envelope back, not writing one

    _, addr = parseaddr(value)
    return addr or value.strip("<>")


def read_envelope(raw: bytes) -> tuple[str | None, list[str], int]:
    """The leading x-sender / x-receiver lines: (sender or None, recipients, offset of the message).

    ``""`` is the null reverse-path (``x-sender: <>``). Only lines this grammar reads as
    fields named exactly x-sender or x-receiver count; a folded envelope line is refused.
    """
    sender: str | None = None
    receivers: list[str] = []
    start = 0
    size = len(raw)
    while start < size:
        end = raw.find(b"\n", start)
        cr = raw.find(b"\r", start, end if end >= 0 else size)
        if cr >= 0 and cr + 1 != end:  # a lone CR ends the line too
            end = cr
        stop = size if end < 0 else end + 1
        line = raw[start:stop]
        name = field_name(line.rstrip(b"\r\n"))
        if name not in ENVELOPE_FIELDS:
            break
        if raw[stop:stop + 1] in (b" ", b"\t"):
            raise PickupFormatError(f"the {name} line is folded: write one address per line")
        value = _address(_text(line.split(b":", 1)[1]))
        if name == "x-sender":
            sender = value
        elif value:
            receivers.append(value)
        start = stop
    return sender, receivers, start


def has_envelope_lines(content: bytes) -> bool:
    """True when ``content`` itself starts with an x-sender/x-receiver line (it would change the envelope)."""
    return read_envelope(content)[2] > 0


def envelope_lines(sender: str, recipients: list[str] | tuple[str, ...]) -> bytes:
    """The envelope lines of a pickup file (``x-sender: <>`` for the null reverse-path)."""
    for address in (sender, *recipients):
        if _CONTROL.search(address.encode("utf-8", "surrogateescape")) or "\t" in address:
            raise PickupFormatError(f"the envelope address {address!r} holds a control character")
    head = f"x-sender: {sender or '<>'}\r\n" + "".join(f"x-receiver: {r}\r\n" for r in recipients)
    return head.encode("utf-8")


def write(message: bytes, sender: str | None, recipients: list[str] | tuple[str, ...] = ()) -> bytes:
    """A pickup file: CRLF lines; x-sender/x-receiver fields inside the message removed; with
    ``sender`` (not None) the envelope lines first and no Bcc.

    Raises PickupFormatError when the message's header block breaks the grammar.
    """
    crlf = message.count(b"\r\n")
    # A composed message has CRLF lines already: counted in C, not rewritten line by line.
    data = message if message.count(b"\r") == crlf == message.count(b"\n") else _EOL.sub(b"\r\n", message)
    drop = set(ENVELOPE_FIELDS)
    if sender is None:
        return strip_fields(data, drop)
    drop.add("bcc")
    return envelope_lines(sender, recipients) + strip_fields(data, drop)
