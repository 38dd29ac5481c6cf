"""Reading a pickup-format message (grammar in viewer.mail.pickupfile): envelope lines, else From/To/Cc/Bcc (Bcc removed)."""

from __future__ import annotations

from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import getaddresses

from viewer.mail import pickupfile
from viewer.mail.routes.base import Envelope, PermanentError

__all__ = ["Parsed", "MalformedMessage", "parse_message", "parse_received", "pickup_bytes", "strip_headers", "has_envelope_lines", "valid_address"]


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


def strip_headers(content: bytes, names: set[str]) -> bytes:
    """``content`` without the header fields named in ``names`` (lower case); body untouched."""
    return pickupfile.strip_fields(content, names)


def parse_message(raw: bytes) -> Parsed:
    """Parse a pickup file (IIS/Exchange format) or a listener-queued message."""
    try:
        return _parse(raw)
    except pickupfile.PickupFormatError as exc:
        raise MalformedMessage(str(exc)) from None


def parse_received(sender: str, recipients: list[str], content: bytes) -> Parsed:
    """What ``parse_message(pickup_bytes(sender, recipients, content))`` gives, for an envelope
    already checked (the listener's MAIL and RCPT): the envelope lines are not read back."""
    try:
        return _parse_content(sender, list(recipients), content, checked=True)
    except pickupfile.PickupFormatError as exc:
        raise MalformedMessage(str(exc)) from None


def _parse(raw: bytes) -> Parsed:
    if not raw.strip():
        raise MalformedMessage("the file is empty")
    sender, receivers, start = pickupfile.read_envelope(raw)
    return _parse_content(sender, receivers, raw[start:] if start else raw)


def _parse_content(sender: str | None, receivers: list[str], content: bytes, *, checked: bool = False) -> Parsed:
    if not content.strip():
        raise MalformedMessage("the file holds an envelope but no message")
    head_lines, rest = pickupfile.split_head(content)
    fields, body_at = pickupfile.header_fields(head_lines)
    values: dict[str, list[str]] = {}
    for f in fields:
        values.setdefault(pickupfile.name_of(f), []).append(pickupfile.field_value(f))
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
    bad = [] if checked else [r for r in receivers if not valid_address(r)]
    if bad:
        raise MalformedMessage(f"recipient address {bad[0]!r} is not valid")
    if sender and not checked and not valid_address(sender):
        raise MalformedMessage(f"sender address {sender!r} is not valid")
    if "bcc" in values:
        headers = b"".join(b"".join(f) for f in fields if pickupfile.name_of(f) != "bcc")
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
    try:
        return pickupfile.has_envelope_lines(content)
    except pickupfile.PickupFormatError:
        return True  # a control character where an envelope line could be: never passed on


def pickup_bytes(sender: str, recipients: list[str] | tuple[str, ...], content: bytes) -> bytes:
    """A message in pickup format: x-sender/x-receiver lines, then the message as it is."""
    return pickupfile.envelope_lines(sender, recipients) + content
