"""Saved mails (.eml): headers, the HTML or text body drawn as pages, attachments as documents."""

from __future__ import annotations

import html as html_lib
import io
import re
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from formats.document import Document, DocumentError, Page
from formats.meta import read_sidecar
from formats.mupdf import MupdfBackend

SHOWN_HEADERS = ("From", "To", "Cc", "Subject", "Date")
_CID = re.compile(r"""(src\s*=\s*["'])cid:([^"']+)(["'])""", re.IGNORECASE)
_UNSAFE = re.compile(r"[^\w.\- ]+")


@dataclass
class Attachment:
    """One attached file of a mail."""

    filename: str
    content_type: str
    data: bytes

    def open(self) -> Document:
        """Open the attachment as a document (a PDF, an image, a spool...)."""
        from formats.detect import open_document

        folder = Path(tempfile.mkdtemp(prefix="spoolview-att-"))
        name = _UNSAFE.sub("_", Path(self.filename).name).strip(" .") or "attachment"
        path = folder / name
        path.write_bytes(self.data)
        try:
            doc = open_document(path)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        weakref.finalize(doc, shutil.rmtree, folder, True)
        return doc


class EmlBackend(MupdfBackend):
    """The mail drawn as PDF pages; ``html`` is the body as HTML, ``text`` as plain text."""

    def __init__(self, doc: Any, data: bytes, message: EmailMessage, html: str, text: str) -> None:
        super().__init__(doc, data, None)
        self.message = message
        self.html = html
        self.text = text


def _decode(part: Any) -> str:
    try:
        content: str = part.get_content()
        return content
    except (LookupError, UnicodeError):
        raw = part.get_payload(decode=True) or b""
        return raw.decode("latin-1")


def _bodies(msg: EmailMessage) -> tuple[str, str, dict[str, bytes]]:
    """(html, text, inline images by content-id) of a message."""
    html_part = msg.get_body(preferencelist=("html",))
    text_part = msg.get_body(preferencelist=("plain",))
    text = _decode(text_part) if text_part is not None else ""
    if html_part is not None:
        html = _decode(html_part)
    else:
        html = f"<pre style='font-family: monospace; white-space: pre-wrap'>{html_lib.escape(text)}</pre>"
    inline: dict[str, bytes] = {}
    for part in msg.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            payload = part.get_payload(decode=True)
            inline[cid.strip().strip("<>")] = payload if isinstance(payload, bytes) else b""
    return html, text, inline


def _attachments(msg: EmailMessage) -> list[Attachment]:
    out = []
    for part in msg.iter_attachments():
        filename = part.get_filename()
        if not filename and part.get("Content-ID"):
            continue  # an inline image of the HTML body
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        out.append(Attachment(filename=filename or "attachment", content_type=part.get_content_type(), data=data))
    return out


def _render(headers: dict[str, str], html: str, inline: dict[str, bytes]) -> bytes:
    """The header block and the HTML body as a PDF (PyMuPDF Story)."""
    import pymupdf

    archive = pymupdf.Archive()
    names: dict[str, str] = {}
    for k, (cid, data) in enumerate(inline.items()):
        names[cid] = f"inline{k}"
        archive.add((data, names[cid]))
    html = _CID.sub(lambda m: m.group(1) + names.get(m.group(2), "missing") + m.group(3), html)
    rows = "".join(
        f"<tr><td style='color:#555;padding-right:8px'><b>{html_lib.escape(k)}</b></td><td>{html_lib.escape(v)}</td></tr>"
        for k, v in headers.items()
    )
    page = f"<table style='font-family:sans-serif;font-size:10pt'>{rows}</table><hr/>{_body_only(html)}"
    buf = io.BytesIO()
    writer = pymupdf.DocumentWriter(buf)
    mediabox = pymupdf.paper_rect("a4")
    where = mediabox + (42, 42, -42, -42)
    story = pymupdf.Story(page, archive=archive)
    more = 1
    for _ in range(2000):  # bounded: a mail is never that long
        device = writer.begin_page(mediabox)
        more, _ = story.place(where)
        story.draw(device)
        writer.end_page()
        if not more:
            break
    writer.close()
    return buf.getvalue()


def _body_only(html: str) -> str:
    """The content of <body> (the whole text when there is none), without scripts."""
    m = re.search(r"<body[^>]*>(.*?)(?:</body>|$)", html, re.IGNORECASE | re.DOTALL)
    body = m.group(1) if m else html
    return re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.IGNORECASE | re.DOTALL)


def open_eml(path: Path, data: bytes | None = None) -> Document:
    """Open a saved mail; its pages show the headers and the body."""
    import pymupdf

    raw = path.read_bytes() if data is None else data
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        headers = {h: str(msg[h]) for h in SHOWN_HEADERS if msg[h] is not None}
        html, text, inline = _bodies(msg)
        attachments = _attachments(msg)
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - the email package raises many types
        raise DocumentError(f"cannot read this mail ({type(exc).__name__}: {exc})", code="mail.unreadable",
                            params={"reason": f"{type(exc).__name__}: {exc}"}, file=path) from None
    try:
        pdf_bytes = _render(headers, html, inline)
    except Exception:  # noqa: BLE001 - HTML the layout engine cannot take: show the text
        plain = text or re.sub(r"<[^>]+>", " ", html)
        pre = f"<pre style='font-family: monospace; white-space: pre-wrap'>{html_lib.escape(plain)}</pre>"
        try:
            pdf_bytes = _render(headers, pre, {})
        except Exception as exc:  # noqa: BLE001 - the layout engine raises many types
            raise DocumentError(f"cannot lay out the mail body ({exc})", code="mail.layout",
                                params={"reason": str(exc)}, file=path) from None
    doc = pymupdf.open(stream=pdf_bytes, filetype="pdf")
    backend = EmlBackend(doc, pdf_bytes, msg, html, text)
    backend.path = path
    info = read_sidecar(path)
    if not info.title and "Subject" in headers:
        info.title = headers["Subject"]

    def load(index: int) -> Page:
        rect = backend.mupdf_page(index).rect
        return Page(index=index, width=rect.width, height=rect.height)

    return Document(
        path=path,
        source="eml",
        info=info,
        page_count=doc.page_count,
        backend=backend,
        attachments=attachments,
        headers=headers,
        _page_loader=load,
    )
