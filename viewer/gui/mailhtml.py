"""What a mail's HTML may load: its own cid: parts and data: URLs always, the web only when the user asks.

A mail that loads an image from a web server tells the sender it was read (and can make
the viewer reach internal addresses). ``MailResources.request`` is the one door through
which the HTML view gets any resource; it refuses the network and local files unless
``allow_remote`` was set for this mail. ``remote_references`` lists what the HTML would
fetch, so the view can say content was blocked before anything is requested.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

RESOURCE_ATTRIBUTES = frozenset({"src", "srcset", "background", "poster", "data", "lowsrc", "dynsrc", "codebase",
                                 "archive", "profile", "manifest", "icon", "longdesc", "formaction", "action"})
LINK_TAGS = frozenset({"a", "area"})  # their href is a link to click, not content to load
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
LOCAL_SCHEMES = ("cid:", "data:", "about:", "#")
BROWSER_SCHEMES = ("http", "https", "mailto")


class RemoteContentBlocked(PermissionError):
    """The mail's HTML asked for ``url``, which is not part of the mail."""

    def __init__(self, url: str) -> None:
        super().__init__(f"remote content blocked: {url}")
        self.url = url


def is_local(url: str) -> bool:
    """True for what the mail carries itself (cid:, data:) and in-page anchors."""
    return url.strip().lower().startswith(LOCAL_SCHEMES) or not url.strip()


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in RESOURCE_ATTRIBUTES or (name == "href" and tag not in LINK_TAGS):
                candidates = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
                self.urls.extend(c for c in candidates if not is_local(c))
            elif name == "style":
                self._css(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, css: str) -> None:
        for match in _CSS_URL.finditer(css):
            url = match.group(1) or match.group(2)
            if not is_local(url):
                self.urls.append(url)


def remote_references(html: str) -> list[str]:
    """Every resource outside the mail that ``html`` would load (images, styles, frames, objects)."""
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.urls


def inline_parts(message: EmailMessage | None) -> dict[str, tuple[str, bytes]]:
    """The parts of ``message`` an HTML body can name with cid:, by content id."""
    parts: dict[str, tuple[str, bytes]] = {}
    if message is None:
        return parts
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid and not part.is_multipart():
            payload = part.get_payload(decode=True)
            parts[cid.strip().strip("<>")] = (part.get_content_type(), payload if isinstance(payload, bytes) else b"")
    return parts


def data_url(url: str) -> tuple[str, bytes]:
    """(content type, bytes) of a data: URL; ValueError when malformed."""
    head, comma, payload = url[5:].partition(",")
    if not comma:
        raise ValueError("data URL without a comma")
    kind = head.split(";")[0] or "text/plain"
    if head.endswith(";base64"):
        return kind, base64.b64decode(payload, validate=False)
    return kind, urllib.parse.unquote_to_bytes(payload)


class MailResources:
    """Serves the HTML view's requests (tkinterweb's ``request_func``); counts refused ones."""

    def __init__(self, message: EmailMessage | None, *, allow_remote: bool = False) -> None:
        self.inline = inline_parts(message)
        self.allow_remote = allow_remote
        self.blocked: list[str] = []

    def request(self, url: str, data: Any = None, method: str = "GET", decode: str | None = None) -> tuple[str, Any, str, int]:
        """(url, data, content type, HTTP-like code) for ``url``; raises RemoteContentBlocked for the web."""
        lower = url.strip().lower()
        if lower.startswith("cid:"):
            cid = urllib.parse.unquote(url.strip()[4:]).strip("<>")
            if cid not in self.inline:
                raise LookupError(f"no part {cid} in this mail")
            kind, payload = self.inline[cid]
            return url, self._text(payload, kind, decode), kind, 200
        if lower.startswith("data:"):
            kind, payload = data_url(url.strip())
            return url, self._text(payload, kind, decode), kind, 200
        if not self.allow_remote or not lower.startswith(("http://", "https://")):
            self.blocked.append(url)  # file: and other schemes are never served
            raise RemoteContentBlocked(url)
        from tkinterweb import utilities  # the user asked for this mail's web content

        return utilities.download(url, data or "", method, decode)

    @staticmethod
    def _text(payload: bytes, kind: str, decode: str | None) -> Any:
        if kind.startswith("image/") and "svg" not in kind:
            return payload
        return payload.decode(decode or "utf-8", errors="replace")


def browser_link(url: str) -> bool:
    """True for a link the system browser (or mail program) may open: http, https, mailto."""
    return urllib.parse.urlsplit(url.strip()).scheme.lower() in BROWSER_SCHEMES
