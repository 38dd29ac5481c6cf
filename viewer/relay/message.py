"""Reading a pickup-format message: x-sender/x-receiver lines, else From/To/Cc/Bcc (Bcc removed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import getaddresses, parseaddr

from viewer.mail.routes.base import Envelope, PermanentError

__all__ = ["Parsed", "MalformedMessage", "parse_message", "pickup_bytes", "strip_headers", "has_envelope_lines", "valid_address"]

_X_LINE = re.compile(rb"^x-(sender|receiver)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_FIELD = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")


class MalformedMessage(ValueError):
    """The file is not a message the relay can send; ``str()`` says why."""


@dataclass(frozen=True)
class Parsed:
    """A message ready for the smart host: envelope, content without x- lines and Bcc, subject."""

    sender: str  # "" is the null reverse-path (a report)
    recipients: tuple[str, ...]
    content: bytes
    subject: str
    headers: bytes  # the header block of ``content`` (for reports)


def valid_address(address: str) -> bool:
    """An address the smart-host route will send to: one bare local@domain (Envelope.check's rule)."""
    local, _, domain = address.partition("@")
    if not local or not domain:
        return False
    try:
        Envelope("", (address,)).check()
    except PermanentError:
        return False
    return True


def _address(value: str) -> str:
    value = value.strip()
    if value in ("<>", ""):
        return ""
    name, addr = parseaddr(value)
    return addr or value.strip("<>")


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _split_lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _header_fields(lines: list[bytes]) -> tuple[list[list[bytes]], int]:
    """Group the header block into fields (first line + continuations); return them and the body index."""
    fields: list[list[bytes]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line in (b"\r\n", b"\n", b"\r"):
            return fields, i
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise MalformedMessage("the message starts with a folded line instead of a header field")
            fields[-1].append(line)
        elif _FIELD.match(line):
            fields.append([line])
        else:
            if not fields:
                raise MalformedMessage("the first line is not a header field (expected e.g. 'From: ...')")
            return fields, i  # a body without the blank line: tolerated like most MTAs
        i += 1
    return fields, i


def _name(field: list[bytes]) -> str:
    return field[0].split(b":", 1)[0].strip().decode("ascii", "replace").lower()


def _value(field: list[bytes]) -> str:
    raw = b"".join(field).split(b":", 1)[1]
    return _text(raw).replace("\r", "").replace("\n", "").strip()


def strip_headers(content: bytes, names: set[str]) -> bytes:
    """``content`` without the header fields named in ``names`` (lower case); body untouched."""
    lines = _split_lines(content)
    fields, body_at = _header_fields(lines)
    kept = [b"".join(f) for f in fields if _name(f) not in names]
    return b"".join(kept) + b"".join(lines[body_at:])


def _split_head(content: bytes) -> tuple[list[bytes], bytes]:
    """The lines up to the first blank line (included), and the rest untouched (no per-line work)."""
    ends = [i for i in (content.find(b"\n\n"), content.find(b"\n\r\n")) if i >= 0]
    if content.startswith((b"\n", b"\r\n")):
        ends.append(-1)
    if not ends:
        return _split_lines(content), b""
    cut = min(ends) + 1
    return _split_lines(content[:cut]), content[cut:]


def parse_message(raw: bytes) -> Parsed:
    """Parse a pickup file (IIS/Exchange format) or a listener-queued message."""
    if not raw.strip():
        raise MalformedMessage("the file is empty")
    sender: str | None = None
    receivers: list[str] = []
    start = 0
    while True:  # leading x-sender / x-receiver lines
        end = raw.find(b"\n", start)
        line = raw[start:] if end < 0 else raw[start:end]
        m = _X_LINE.match(line.rstrip(b"\r"))
        if not m:
            break
        kind, value = m.group(1).lower(), _text(m.group(2))
        if kind == b"sender":
            sender = _address(value)
        else:
            addr = _address(value)
            if addr:
                receivers.append(addr)
        if end < 0:
            start = len(raw)
            break
        start = end + 1
    content = raw[start:]
    if not content.strip():
        raise MalformedMessage("the file holds an envelope but no message")
    head_lines, rest = _split_head(content)
    fields, body_at = _header_fields(head_lines)
    values: dict[str, list[str]] = {}
    for f in fields:
        values.setdefault(_name(f), []).append(_value(f))
    if sender is None:
        froms = [a for _, a in getaddresses(values.get("sender", []) or values.get("from", [])) if a]
        if not froms:
            raise MalformedMessage("no sender: add a From header or an x-sender line")
        sender = froms[0]
    if not receivers:
        found = [a for _, a in getaddresses(values.get("to", []) + values.get("cc", []) + values.get("bcc", [])) if a]
        receivers = list(dict.fromkeys(found))
    if not receivers:
        raise MalformedMessage("no recipient: add To/Cc/Bcc headers or x-receiver lines")
    bad = [r for r in receivers if not valid_address(r)]
    if bad:
        raise MalformedMessage(f"recipient address {bad[0]!r} is not valid")
    if sender and not valid_address(sender):
        raise MalformedMessage(f"sender address {sender!r} is not valid")
    if "bcc" in values:
        headers = b"".join(b"".join(f) for f in fields if _name(f) != "bcc")
        content = headers + b"".join(head_lines[body_at:]) + rest
    else:
        headers = b"".join(b"".join(f) for f in fields)
    subject = ""
    if values.get("subject"):
        try:
            subject = str(make_header(decode_header(values["subject"][0])))
        except Exception:  # noqa: BLE001 - a badly encoded subject only matters for the journal
            subject = values["subject"][0]
    return Parsed(sender, tuple(receivers), content, subject, headers)


def has_envelope_lines(content: bytes) -> bool:
    """True when ``content`` itself starts with an x-sender/x-receiver line (it would change the envelope)."""
    first = content.split(b"\n", 1)[0].rstrip(b"\r")
    return bool(_X_LINE.match(first))


def pickup_bytes(sender: str, recipients: list[str] | tuple[str, ...], content: bytes) -> bytes:
    """A message in pickup format: x-sender/x-receiver lines, then the message as it is."""
    head = f"x-sender: <{sender}>\r\n" + "".join(f"x-receiver: <{r}>\r\n" for r in recipients)
    return head.encode("utf-8") + content
