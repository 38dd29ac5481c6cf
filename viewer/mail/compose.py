"""Build the message to send from a MailSpec and the S7 advanced options (exact bytes + envelope)."""

from __future__ import annotations

import base64
import binascii
import codecs
import email.charset
import email.quoprimime
import os
import re
import time
from dataclasses import field
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from viewer.errors import SpoolviewError
from viewer.mail.routes.base import Envelope
from viewer.records import record
from viewer.settings import Advanced, Settings

if TYPE_CHECKING:  # parsed back only when asked (email.policy costs a send command ~10 ms to import)
    from email.message import EmailMessage

__all__ = [
    "Attachment",
    "ComposeError",
    "Composed",
    "MailSpec",
    "addr_spec_problem",
    "check_addr_spec",
    "compose",
    "encode_unstructured",
    "parse_mailbox",
]

CRLF = "\r\n"
MAX_LINE = 998
FOLD_AT = 78
_EW_MAX = 75  # RFC 2047: an encoded word is at most 75 characters


class ComposeError(SpoolviewError):
    """The message cannot be built as asked (bad address, header injection, no sender...)."""


@record
class Attachment:
    """A file to attach: its name as the recipient sees it, its bytes and MIME type."""

    filename: str
    data: bytes
    mimetype: str = "application/octet-stream"


@record
class MailSpec:
    """What to send. Addresses are ``addr@domain`` or ``Display Name <addr@domain>``."""

    to: list[str]
    subject: str
    body: str  # plain text, always sent
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    html: str | None = None
    rtf: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    inline_images: dict[str, bytes] = field(default_factory=dict)  # cid name -> image bytes
    sender: str | None = None  # default: settings.from_identity()
    reply_to: str | None = None
    document_id: str = ""  # e.g. "devis D2026-0042", sent as X-Spoolview-Document


@record
class Composed:
    """The result. ``raw`` is exactly what a route sends (CRLF line ends).

    ``message`` is ``raw`` parsed back with ``email.policy.default`` on first use, so it
    always agrees with the bytes (several To: headers when one To per recipient is on).
    """

    envelope: Envelope
    raw: bytes
    charset_used: str
    notes: list[str] = field(default_factory=list)
    subject: str = ""  # the subject as sent (unencoded), handy for journals

    @cached_property
    def message(self) -> EmailMessage:
        from email import policy as email_policy
        from email.parser import BytesParser

        return BytesParser(policy=email_policy.default).parsebytes(self.raw)


# --- header values ------------------------------------------------------------------------

# Line breaks and control characters a header value must never contain (tab is allowed).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


def _check_header_text(value: str, what: str) -> str:
    match = _FORBIDDEN.search(value)
    if match:
        kind = "a line break" if match.group() in "\r\n\x85\u2028\u2029" else "a control character"
        raise ComposeError(
            f"{what} contains {kind} ({match.group()!r}): remove it "
            "(a header value must be one line; refused to prevent header injection)"
        )
    return value


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_RE = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def check_addr_spec(text: str, what: str = "address") -> str:
    """Validate a bare ``local@domain`` strictly; return it with an ASCII (IDNA) domain.

    One @, a dot-atom ASCII local part, no spaces or quotes; international domain names
    are accepted and converted to their ``xn--`` form.
    """
    _check_header_text(text, what)
    problem = addr_spec_problem(text)
    if problem:
        raise ComposeError(f"{what} {text!r} is not a valid e-mail address: {problem}")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{_ascii_domain(domain)}"


def addr_spec_problem(text: str) -> str:
    """Why ``text`` is not a strict ``local@domain`` address, or "" when it is one."""
    if not text:
        return "it is empty"
    if ("," in text or ";" in text) and text.count("@") > 1:
        return "it holds several addresses: give one address at a time"
    if any(c.isspace() for c in text):
        return "it contains a space or a line break"
    if text.count("@") != 1:
        return "it must contain exactly one @"
    local, domain = text.split("@")
    if not local:
        return "nothing before the @"
    if not domain:
        return "no domain after the @"
    if not local.isascii():
        return "non-ASCII characters before the @ are not supported"
    if len(local) > 64 or not _LOCAL_RE.fullmatch(local):
        return "the part before the @ has characters or dots that are not allowed"
    try:
        ascii_domain = _ascii_domain(domain)
    except UnicodeError:
        return f"the domain {domain!r} is not a valid domain name"
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        return f"the domain {domain!r} is not a valid domain name"
    return ""


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    return domain.encode("idna").decode("ascii")


def parse_mailbox(text: str, what: str = "address") -> tuple[str, str]:
    """Split ``Name <addr>`` or ``addr`` into (display name, checked addr-spec)."""
    _check_header_text(text, what)
    text = text.strip()
    name = ""
    addr = text
    if text.endswith(">") and "<" in text:
        cut = text.rindex("<")
        name, addr = text[:cut].strip(), text[cut + 1 : -1].strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = re.sub(r"\\(.)", r"\1", name[1:-1])
        if "<" in name or ">" in name:
            raise ComposeError(f"{what} {text!r} is not a valid e-mail address: stray < or > in the name")
    return name, check_addr_spec(addr, what)


_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def _format_mailbox(name: str, addr: str) -> str:
    if not name:
        return addr
    if not name.isascii() or "=?" in name:
        return f"{' '.join(_encoded_words(name))} <{addr}>"
    if _SPECIALS.search(name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{addr}>'
    return f"{name} <{addr}>"


# RFC 2047 section 5 (3): characters safe unencoded in a 'Q' word anywhere (phrase too).
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _q(data: bytes) -> str:
    return "".join("_" if b == 0x20 else chr(b) if b in _Q_SAFE else f"={b:02X}" for b in data)


def _encoded_words(text: str, max_word: int = _EW_MAX) -> list[str]:
    """Encode ``text`` as UTF-8 encoded words of at most ``max_word`` (<= 75) characters."""
    raw = text.encode("utf-8")
    escaped = sum(1 for b in raw if b not in _Q_SAFE and b != 0x20)
    use_b = escaped * 3 > len(raw)  # mostly non-ASCII: base64 is shorter
    prefix, room = ("=?utf-8?b?", "=?utf-8?q?"), min(max_word, _EW_MAX) - len("=?utf-8?q??=")
    words: list[str] = []
    chunk = ""
    for char in text:
        candidate = chunk + char
        size = (len(candidate.encode()) + 2) // 3 * 4 if use_b else len(_q(candidate.encode()))
        if size > room and chunk:
            words.append(chunk)
            chunk = char
        else:
            chunk = candidate
    if chunk or not words:
        words.append(chunk)
    if use_b:
        return [f"{prefix[0]}{base64.b64encode(w.encode()).decode('ascii')}?=" for w in words]
    return [f"{prefix[1]}{_q(w.encode())}?=" for w in words]


def _fold_tokens(name: str, tokens: list[str], joiner: str, limit: int) -> str:
    """Join ``tokens`` after ``Name: `` and fold before a token when a line would exceed ``limit``."""
    lines = [f"{name}: "]
    for i, token in enumerate(tokens):
        piece = (joiner if i else "") + token
        if i and len(lines[-1]) + len(piece) > limit:
            lines.append(piece if piece[:1].isspace() else " " + piece)
        else:
            lines[-1] += piece
    return CRLF.join(lines) + CRLF


def encode_unstructured(name: str, value: str, *, fold: bool = True) -> str:
    """One header line (CRLF-terminated) for free text such as the subject.

    Plain printable ASCII stays readable; anything else is sent as RFC 2047 encoded words.
    With ``fold`` lines are cut before whitespace at 78 characters (unfolding gives back the
    exact text); without it the header stays on one line of up to 998 characters.
    """
    limit = FOLD_AT if fold else MAX_LINE
    plain = all(" " <= c <= "~" or c == "\t" for c in value) and "=?" not in value
    if plain:
        tokens = re.findall(r"[ \t]*[^ \t]+|[ \t]+$", value) or [""]
        if max(map(len, tokens)) <= MAX_LINE - len(name) - 3:  # else only encoded words can fold it
            return _fold_tokens(name, tokens, "", limit)
    return _fold_tokens(name, _encoded_words(value, min(_EW_MAX, limit - len(name) - 2)), " ", limit)


def _address_header(name: str, mailboxes: list[str]) -> str:
    """One header with one address per line (the reference's folded To:)."""
    return f"{name}: " + f",{CRLF} ".join(mailboxes) + CRLF


# --- body -----------------------------------------------------------------------------------
#
# The MIME tree is written directly as bytes: leaves are (headers, encoded content) and a
# multipart is its delimiters around its parts. That keeps every S7 option a decision at
# write time (no post-processing of generated text) and costs a fraction of
# email.generator, whose structured-header parsing dominated the compose time.


def _mime_charset(advanced: Advanced) -> tuple[str, str]:
    """(name written in Content-Type, Python codec) for the configured code page."""
    name = (advanced.body_charset() or "windows-1252").strip().lower()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise ComposeError(
            f"unknown code page {name!r}: fix Settings > Advanced > code page "
            "(advanced.default_charset or advanced.charset), e.g. windows-1252"
        ) from None
    try:
        ascii_compatible = "Az09=-\r\n".encode(codec) == b"Az09=-\r\n"
    except (UnicodeError, LookupError):
        ascii_compatible = False
    if not ascii_compatible:
        raise ComposeError(
            f"code page {name!r} cannot carry a mail body (not ASCII-compatible): "
            "set Settings > Advanced > code page to e.g. windows-1252 or utf-8"
        )
    match = re.fullmatch(r"(?:cp|windows-?)(125\d)", name)
    if match:
        name = f"windows-{match.group(1)}"
    return email.charset.ALIASES.get(name, name), codec


def _choose_charset(texts: list[str], advanced: Advanced, notes: list[str]) -> tuple[str, str]:
    """The (MIME name, codec) every text part uses: the configured one, else UTF-8."""
    name, codec = _mime_charset(advanced)
    for text in texts:
        try:
            text.encode(codec)
        except UnicodeEncodeError as exc:
            if codec != "utf-8":
                bad = exc.object[exc.start]
                notes.append(f"body did not fit {name} (for example {bad!r}): sent as UTF-8")
            return "utf-8", "utf-8"
    return name, codec


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _b64(data: bytes) -> bytes:
    """Base64 in lines of 76 characters, each ending in CRLF (``base64.encodebytes``'s lines,
    encoded in one call rather than 57 bytes at a time: a PDF attachment is thousands of lines)."""
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


def _leaf(headers: list[str], content: bytes) -> bytes:
    return (CRLF.join(headers) + CRLF + CRLF).encode("ascii") + content


def _text_part(text: str, subtype: str, charset: tuple[str, str], advanced: Advanced, notes: list[str]) -> bytes:
    name, codec = charset
    data = _NEWLINE.sub(CRLF, text).encode(codec)
    cte = "base64" if advanced.base64_body else "8bit"
    if cte == "8bit" and b"\0" in data:
        cte = "base64"
        notes.append(f"the text/{subtype} body contains a NUL character: sent in base64 instead of 8bit")
    elif cte == "8bit" and any(len(line) > MAX_LINE for line in data.split(b"\r\n")):
        cte = "quoted-printable"
        notes.append(f"a text/{subtype} body line is longer than {MAX_LINE} bytes: sent as quoted-printable instead of 8bit")
    if cte == "base64":
        content = _b64(data)
    else:
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        if cte == "quoted-printable":
            content = email.quoprimime.body_encode(data.decode("latin-1"), 76, CRLF).encode("ascii")
            content += b"\r\n" if not content.endswith(b"\r\n") else b""
        else:
            content = data
    headers = [f'Content-Type: text/{subtype}; charset="{name}"', f"Content-Transfer-Encoding: {cte}"]
    return _leaf(headers, content)


def _multipart(subtype: str, parts: list[bytes], *, close: bool = True, params: str = "") -> bytes:
    """A multipart entity; without ``close`` its closing ``--boundary--`` is left out (S7)."""
    boundary = f"=_{subtype[:3]}_{os.urandom(12).hex()}"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{params}{CRLF}{CRLF}'.encode("ascii")
    delimiter = f"{CRLF}--{boundary}{CRLF}".encode("ascii")
    out = head + delimiter[2:] + delimiter.join(parts)
    return out + f"{CRLF}--{boundary}--{CRLF}".encode("ascii") if close else out


def _param(name: str, value: str) -> str:
    """A Content-Type/Disposition parameter: quoted ASCII, else RFC 2231 UTF-8 (continued if long)."""
    if value.isascii() and value.isprintable():
        return f'{name}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    encoded = quote(value, safe="", encoding="utf-8")
    if len(encoded) <= 60:
        return f"{name}*=utf-8''{encoded}"
    chunks = re.findall(r"(?:%[0-9A-F]{2}|[^%]){1,20}", encoded)  # lines stay under 78
    pieces = [f"{name}*0*=utf-8''{chunks[0]}"] + [f"{name}*{i}*={c}" for i, c in enumerate(chunks[1:], 1)]
    return f";{CRLF} ".join(pieces)


_IMAGE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"BM", "image/bmp", ".bmp"),
)


def _image_type(data: bytes) -> tuple[str, str]:
    for magic, mimetype, ext in _IMAGE_TYPES:
        if data.startswith(magic):
            return mimetype, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return "application/octet-stream", ""


_CID_RE = re.compile(r"""cid:([^"'\s>)]+)""", re.IGNORECASE)
_CID_NAME_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]+")
_MIMETYPE_RE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
MAX_FILENAME = 255


def _image_filename(name: str, ext: str) -> str:
    return name if not ext or "." in name else name + ext


def _file_part(filename: str, data: bytes, mimetype: str, notes: list[str], cid: str = "") -> bytes:
    _check_header_text(filename, f"attachment file name {filename!r}")
    filename = filename.strip() or "attachment"
    if len(filename) > MAX_FILENAME:
        raise ComposeError(f"attachment file name {filename[:40]!r}... is longer than {MAX_FILENAME} characters: shorten it")
    mimetype = mimetype.strip().lower()
    if not _MIMETYPE_RE.fullmatch(mimetype):
        raise ComposeError(f"attachment {filename!r}: MIME type {mimetype!r} is not of the form type/subtype")
    if mimetype.split("/")[0] in ("multipart", "message"):
        notes.append(f"attachment {filename!r} sent as application/octet-stream instead of {mimetype}")
        mimetype = "application/octet-stream"
    headers = [
        f"Content-Type: {mimetype};{CRLF} {_param('name', filename)}",
        "Content-Transfer-Encoding: base64",
        f"Content-Disposition: {'inline' if cid else 'attachment'};{CRLF} {_param('filename', filename)}",
    ]
    if cid:
        headers.append(f"Content-ID: <{cid}>")
    return _leaf(headers, _b64(bytes(data)))


def _body(spec: MailSpec, advanced: Advanced, notes: list[str]) -> tuple[bytes, str]:
    """The MIME body (root entity with its Content-* headers) and the charset used."""
    html = spec.html
    if html is not None and not advanced.allow_html:
        notes.append("HTML body not sent: HTML is off in Settings > Advanced (plain text sent)")
        html = None
    rtf = spec.rtf
    if rtf is not None and not advanced.allow_rtf:
        notes.append("RTF body not sent: RTF is off in Settings > Advanced")
        rtf = None
    charset = _choose_charset([t for t in (spec.body, rtf, html) if t is not None], advanced, notes)

    images = dict(spec.inline_images)
    for name in images:
        if not _CID_NAME_RE.fullmatch(name):
            raise ComposeError(
                f"inline image name {name!r} cannot be a Content-ID: use letters, digits, dots, @, - or _"
            )
    related: dict[str, bytes] = {}
    if html is not None and advanced.process_cid:
        for name in dict.fromkeys(unquote(m) for m in _CID_RE.findall(html)):
            if name in images:
                related[name] = images.pop(name)
            else:
                notes.append(f"the HTML refers to cid:{name} but no such inline image was given")

    close = not advanced.omit_closing_boundaries
    alternatives = [_text_part(spec.body, "plain", charset, advanced, notes)]
    if rtf is not None:
        alternatives.append(_text_part(rtf, "rtf", charset, advanced, notes))
    if html is not None:
        html_part = _text_part(html, "html", charset, advanced, notes)
        if related:
            inline = [_file_part(_image_filename(n, _image_type(d)[1]), d, _image_type(d)[0], notes, cid=n) for n, d in related.items()]
            html_part = _multipart("related", [html_part, *inline], close=close, params='; type="text/html"')
        alternatives.append(html_part)
    body = alternatives[0] if len(alternatives) == 1 else _multipart("alternative", alternatives, close=close)

    files = [_file_part(a.filename, a.data, a.mimetype, notes) for a in spec.attachments]
    for name, data in images.items():  # not referenced as cid: (or cid: processing off)
        mimetype, ext = _image_type(data)
        files.append(_file_part(_image_filename(name, ext), data, mimetype, notes))
    return (_multipart("mixed", [body, *files]) if files else body), charset[0]


# --- the message ----------------------------------------------------------------------------


def _sender(spec: MailSpec, settings: Settings) -> tuple[str, str]:
    text = spec.sender if spec.sender is not None else settings.from_identity()
    if not text.strip():
        where = "SMTP through the functions" if settings.functions.send_direct else "SMTP through the service"
        key = "functions.from_identity" if settings.functions.send_direct else "service.from_identity"
        raise ComposeError(f"no sender: set the From identity in Settings > {where} (setting {key})")
    return parse_mailbox(text, "From address")


def compose(spec: MailSpec, settings: Settings) -> Composed:
    """Build the exact bytes to send, honouring every S7 option; raise ComposeError if impossible."""
    advanced = settings.advanced
    notes: list[str] = []
    sender = _sender(spec, settings)
    to = [parse_mailbox(a, "To address") for a in spec.to]
    cc = [parse_mailbox(a, "Cc address") for a in spec.cc]
    bcc = [parse_mailbox(a, "Bcc address") for a in spec.bcc]
    if not (to or cc or bcc):
        raise ComposeError("no recipient: give at least one To, Cc or Bcc address")
    reply_to = parse_mailbox(spec.reply_to, "Reply-To address") if spec.reply_to else None
    subject = _check_header_text(spec.subject, "the subject").strip()
    document_id = _check_header_text(spec.document_id, "the document id").strip()

    body, charset = _body(spec, advanced, notes)

    headers = [_address_header("From", [_format_mailbox(*sender)])]
    formatted_to = [_format_mailbox(*m) for m in to]
    if formatted_to and advanced.one_to_per_recipient:
        headers += [f"To: {m}{CRLF}" for m in formatted_to]
    elif formatted_to:
        headers.append(_address_header("To", formatted_to))
    if cc:
        headers.append(_address_header("Cc", [_format_mailbox(*m) for m in cc]))
    if reply_to:
        headers.append(_address_header("Reply-To", [_format_mailbox(*reply_to)]))
    headers.append(encode_unstructured("Subject", subject, fold=advanced.fold_subject))
    headers.append(f"Date: {format_date()}{CRLF}")
    headers.append(f"Message-ID: {make_msgid(sender[1].rsplit('@', 1)[1])}{CRLF}")
    if document_id:
        headers.append(encode_unstructured("X-Spoolview-Document", document_id))
    headers.append(f"MIME-Version: 1.0{CRLF}")
    raw = "".join(headers).encode("ascii") + body

    recipients: list[str] = []
    seen: set[str] = set()
    for _, addr in to + cc + bcc:
        if addr.lower() not in seen:
            seen.add(addr.lower())
            recipients.append(addr)
    envelope = Envelope(sender=sender[1], recipients=tuple(recipients))
    return Composed(envelope=envelope, raw=raw, charset_used=charset, notes=notes, subject=subject)


# email.utils' formatdate(localtime=True) and make_msgid(domain=...), the same texts without
# importing email.utils (which imports socket, calendar and the address parser: about a third
# of `python -c pass` on every send).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(timeval: float | None = None) -> str:
    """An RFC 5322 date in the local time zone, as ``email.utils.formatdate(timeval, localtime=True)``."""
    from datetime import UTC, datetime

    now = datetime.fromtimestamp(time.time() if timeval is None else timeval, UTC).astimezone()
    return (f"{_DAYS[now.weekday()]}, {now.day:02d} {_MONTHS[now.month - 1]} {now.year:04d} "
            f"{now.hour:02d}:{now.minute:02d}:{now.second:02d} {now.strftime('%z')}")


def make_msgid(domain: str) -> str:
    """A unique Message-ID at ``domain``, shaped as ``email.utils.make_msgid(domain=domain)``'s."""
    random = int.from_bytes(os.urandom(8), "big")
    return f"<{int(time.time() * 100)}.{os.getpid()}.{random}@{domain}>"
