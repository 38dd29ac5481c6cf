"""The IPP message encoding (RFC 8010) as a flat list of attributes: enough to read and rewrite requests and answers."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

END_TAG = 0x03
OPERATION_TAG = 0x01
JOB_TAG = 0x02
UNSUPPORTED_TAG = 0x05
TAG_URI = 0x45
TAG_KEYWORD = 0x44
TAG_NAME = 0x42
TAG_TEXT = 0x41
TAG_CHARSET = 0x47
TAG_LANGUAGE = 0x48

OP_PRINT_JOB = 0x0002
OP_VALIDATE_JOB = 0x0004
OP_CREATE_JOB = 0x0005
OP_SEND_DOCUMENT = 0x0006
OP_GET_PRINTER_ATTRIBUTES = 0x000B

STATUS_NOT_AUTHORIZED = 0x0403  # client-error-not-authorized
STATUS_TOO_LARGE = 0x0409  # client-error-request-entity-too-large
STATUS_BAD_REQUEST = 0x0400
STATUS_SERVER_ERROR = 0x0500  # server-error-internal-error
STATUS_UNAVAILABLE = 0x0502  # server-error-service-unavailable


class IppError(ValueError):
    """The bytes are not an IPP message."""


@dataclass
class Attribute:
    """One value: its group (the delimiter tag before it), value tag, name ("" for an additional value), raw value."""

    group: int
    tag: int
    name: str
    value: bytes


@dataclass
class Message:
    """An IPP request or answer: version, operation or status code, request id and its attributes in order."""

    version: tuple[int, int]
    code: int
    request_id: int
    attributes: list[Attribute] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)  # delimiter tags that had no attribute (kept as they were)

    def find(self, name: str, group: int | None = None) -> Attribute | None:
        """The first value of the attribute ``name`` (in ``group`` when given)."""
        for attr in self.attributes:
            if attr.name == name and (group is None or attr.group == group):
                return attr
        return None

    def text(self, name: str, group: int | None = None) -> str:
        """The first value of ``name`` as text ("" when absent)."""
        attr = self.find(name, group)
        return attr.value.decode("utf-8", "replace") if attr is not None else ""


def decode(data: bytes) -> tuple[Message, int]:
    """The message at the start of ``data`` and the offset where the document data begins."""
    if len(data) < 9:
        raise IppError("shorter than an IPP header")
    major, minor, code, request_id = struct.unpack(">BBHI", data[:8])
    msg = Message((major, minor), code, request_id)
    pos, group, name = 8, 0, ""
    empty_group = False
    while True:
        if pos >= len(data):
            raise IppError("no end-of-attributes tag")
        tag = data[pos]
        pos += 1
        if tag == END_TAG:
            if empty_group:
                msg.groups.append(group)
            return msg, pos
        if tag < 0x10:  # a new group
            if empty_group:
                msg.groups.append(group)
            group, empty_group = tag, True
            continue
        if pos + 2 > len(data):
            raise IppError("attribute cut short")
        (nlen,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        raw_name = data[pos:pos + nlen]
        pos += nlen
        if pos + 2 > len(data):
            raise IppError("attribute cut short")
        (vlen,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        value = data[pos:pos + vlen]
        if len(value) != vlen or len(raw_name) != nlen:
            raise IppError("attribute cut short")
        pos += vlen
        name = raw_name.decode("utf-8", "replace")
        msg.attributes.append(Attribute(group, tag, name, value))
        empty_group = False


def encode(msg: Message) -> bytes:
    """The bytes of ``msg`` (attributes in order; one delimiter each time the group changes)."""
    out = bytearray(struct.pack(">BBHI", msg.version[0], msg.version[1], msg.code, msg.request_id))
    group = 0
    for attr in msg.attributes:
        if attr.group != group:
            out.append(attr.group)
            group = attr.group
        raw = attr.name.encode("utf-8")
        out += struct.pack(">BH", attr.tag, len(raw)) + raw + struct.pack(">H", len(attr.value)) + attr.value
    for extra in msg.groups:
        out.append(extra)
    out.append(END_TAG)
    return bytes(out)


def answer(request: Message, status: int, message: str) -> bytes:
    """A complete answer to ``request`` with ``status`` and a status-message."""
    attrs = [
        Attribute(OPERATION_TAG, TAG_CHARSET, "attributes-charset", b"utf-8"),
        Attribute(OPERATION_TAG, TAG_LANGUAGE, "attributes-natural-language", b"en"),
        Attribute(OPERATION_TAG, TAG_TEXT, "status-message", message.encode("utf-8")[:1023]),
    ]
    return encode(Message(request.version, status, request.request_id, attrs))


def set_value(msg: Message, group: int, tag: int, name: str, value: str) -> None:
    """Give ``name`` the one value ``value`` in ``group``: replaced in place, else added at the group's end."""
    raw = value.encode("utf-8")
    for index, attr in enumerate(msg.attributes):
        if attr.name == name and attr.group == group:
            attr.tag, attr.value = tag, raw
            follow = index + 1
            while follow < len(msg.attributes) and msg.attributes[follow].name == "" and msg.attributes[follow].group == group:
                del msg.attributes[follow]  # its additional values
            return
    last = max((i for i, a in enumerate(msg.attributes) if a.group == group), default=len(msg.attributes) - 1)
    msg.attributes.insert(last + 1, Attribute(group, tag, name, raw))
