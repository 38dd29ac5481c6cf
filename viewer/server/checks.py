"""Checks on what a viewer posts to /send: addresses, header block, control characters."""

from __future__ import annotations

import re
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

# addr-spec as an SMTP envelope takes it: dot-atom local part, host name domain (or IP literal).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS = re.compile(rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9.]+\])$")
HEADER_NAME = re.compile(rb"^[!-9;-~]+:")
MAX_ADDRESS = 254
MAX_HEADER_LINE = 998  # RFC 5322 2.1.1


class MessageRejected(ValueError):
    """The posted message or envelope cannot be sent as it is; ``str()`` says why."""


def check_address(address: str, role: str) -> str:
    """``address`` when it is a plain addr-spec; MessageRejected naming ``role`` otherwise."""
    if any(ch in address for ch in "\r\n\0"):
        raise MessageRejected(f"{role} {address!r} contains a line break: header injection refused")
    if not address or len(address) > MAX_ADDRESS or not ADDRESS.match(address):
        raise MessageRejected(f"{role} {address!r} is not a valid e-mail address (expected local@domain)")
    return address


def check_text(value: str, field: str) -> str:
    """``value`` when it holds no control character (it goes into journals on one line)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise MessageRejected(f"{field} contains a control character or line break: refused")
    return value


def check_message(raw: bytes) -> tuple[str, str]:
    """Check the RFC 5322 header block of ``raw``; return its decoded Subject and Message-ID.

    Refuses: no header block, a line that is neither a header nor a continuation, bare CR
    or NUL in the headers, header lines over 998 characters, and a message without From.
    """
    if not raw.strip():
        raise MessageRejected("the message is empty")
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    lines = re.split(rb"\r?\n", head)
    while lines and not lines[-1]:  # a message with no body ends its headers with a line end
        lines.pop()
    names: set[bytes] = set()
    for number, line in enumerate(lines, start=1):
        if b"\r" in line or b"\0" in line:
            raise MessageRejected(f"header line {number} contains a bare CR or NUL: malformed message")
        if len(line) > MAX_HEADER_LINE:
            raise MessageRejected(f"header line {number} is longer than {MAX_HEADER_LINE} characters: malformed message")
        if line[:1] in (b" ", b"\t"):
            if number == 1:
                raise MessageRejected("the message starts with a continuation line: malformed header block")
            continue
        if not HEADER_NAME.match(line):
            raise MessageRejected(f"header line {number} is not 'Name: value': malformed header block")
        names.add(line.split(b":", 1)[0].strip().lower())
    if b"from" not in names:
        raise MessageRejected("the message has no From header")
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(head + b"\r\n\r\n")
        subject = str(headers.get("subject", "") or "")
        message_id = str(headers.get("message-id", "") or "")
    except Exception:  # noqa: BLE001 - an undecodable header is only a journal label
        subject = message_id = ""
    return " ".join(subject.split()), message_id.strip()


def header_addresses(raw: bytes, name: str) -> list[str]:
    """The addr-specs in every ``name`` header of ``raw`` (lower case), e.g. From or Reply-To."""
    from email.utils import getaddresses

    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(head + b"\r\n\r\n")
        values = [str(v) for v in headers.get_all(name, [])]
    except Exception:  # noqa: BLE001 - an unparsable header is refused by the caller as "no address"
        return ["<unreadable>"] if re.search(rb"(?im)^" + re.escape(name.encode()) + rb":", head) else []
    return [addr.lower() for _display, addr in getaddresses(values)] if values else []
