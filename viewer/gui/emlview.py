"""A saved mail (.eml): its headers above the body (HTML through tkinterweb) and its attachments."""

from __future__ import annotations

import html
import tkinter as tk
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from tkinter import ttk
from typing import Any

from viewer.gui.i18n import _, language, size_text
from viewer.gui.mailhtml import MailResources, browser_link, remote_references
from viewer.gui.theme import PALETTE

HEADERS = ("From", "To", "Cc", "Date", "Subject")


def body_html(document: Any) -> str:
    """The mail body as HTML: the HTML part if any, else the text part escaped."""
    backend = document.backend
    for name in ("html", "body_html", "html_body"):
        value = getattr(backend, name, None)
        if isinstance(value, str) and value.strip():
            return value
    text = None
    for name in ("text", "body_text", "text_body", "body"):
        value = getattr(backend, name, None)
        if isinstance(value, str):
            text = value
            break
    if text is None:  # the reader keeps no body: read it from the file
        try:
            message = BytesParser(policy=policy.default).parsebytes(Path(document.path).read_bytes())
            part = message.get_body(preferencelist=("html", "plain"))
            if part is not None and part.get_content_type() == "text/html":
                return part.get_content()
            text = part.get_content() if part is not None else ""
        except (OSError, LookupError, ValueError):
            text = ""
    return f"<pre style='white-space: pre-wrap; font-family: sans-serif'>{html.escape(text)}</pre>"


def _html_frame(master: tk.Misc, resources: MailResources,
                on_link: Callable[[str], None]) -> tuple[tk.Widget, Callable[[str], None]]:
    """A tkinterweb HtmlFrame that loads only through ``resources``, or a read-only Text when tkinterweb cannot load here.

    Forms, scripts and (until the user allows remote content) frames and objects are off;
    a click on a link goes to ``on_link``, never to a page inside the viewer.
    """
    try:
        from tkinterweb import HtmlFrame

        frame = HtmlFrame(master, messages_enabled=False, request_func=resources.request,
                          objects_enabled=resources.allow_remote, forms_enabled=False, javascript_enabled=False,
                          on_link_click=on_link, on_form_submit=lambda *args: None)
        return frame, lambda markup: frame.load_html(markup, base_url="about:blank")
    except Exception:  # noqa: BLE001 - tkinterweb's Tk extension missing on this platform
        text = tk.Text(master, wrap="word", state="disabled")

        def load(markup: str) -> None:
            import re

            text.configure(state="normal")
            text.delete("1.0", "end")
            text.insert("1.0", html.unescape(re.sub(r"<[^>]+>", "", markup)))
            text.configure(state="disabled")

        return text, load


def open_in_browser(url: str) -> None:
    """The system's browser (or mail program for mailto:) opens the link."""
    import webbrowser

    webbrowser.open(url)


def mail_date(value: str) -> str:
    """A Date header as people write dates: "20/11/2026 09:30 (+0000)" in French; the header itself if unreadable."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return value
    if when is None:
        return value
    zone = when.strftime(" (%z)") if when.tzinfo is not None else ""
    if language() == "fr":
        return f"{when:%d/%m/%Y %H:%M}{zone}"
    month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[when.month - 1]  # not the C locale's
    return f"{when.day:02d} {month} {when:%Y %H:%M}{zone}"


def describe(attachment: Any) -> str:
    size = len(getattr(attachment, "data", b"") or b"")
    return f"{attachment.filename}  ({attachment.content_type}, {size_text(size)})"


class EmlView(ttk.Frame):
    """Shows one mail; ``on_open(attachment)`` opens an attachment, ``on_save(attachment)`` saves it."""

    def __init__(self, master: tk.Misc, document: Any, *, on_open: Callable[[Any], None],
                 on_save: Callable[[Any], None], open_link: Callable[[str], None] = open_in_browser) -> None:
        super().__init__(master)
        self.document = document
        self.on_open = on_open
        self.on_save = on_save
        self.open_link = open_link
        head = ttk.Frame(self, padding=8)
        head.pack(fill="x")
        self.header_values: dict[str, str] = {}
        headers = {k.lower(): v for k, v in (document.headers or {}).items()}
        row = 0
        for name in HEADERS:
            value = headers.get(name.lower(), "")
            if not value:
                continue
            if name.lower() == "date":
                value = mail_date(value)
            self.header_values[name] = value
            ttk.Label(head, text=_(f"eml.header.{name.lower()}"), font="TkDefaultFont 9 bold").grid(
                row=row, column=0, sticky="nw", padx=(0, 8))
            ttk.Label(head, text=value, wraplength=700, justify="left").grid(row=row, column=1, sticky="w")
            row += 1
        head.columnconfigure(1, weight=1)
        self.attachments = list(document.attachments or [])
        if self.attachments:
            box = ttk.LabelFrame(self, text=_("eml.attachments", count=len(self.attachments)), padding=4)
            box.pack(fill="x", padx=8)
            self.listbox = tk.Listbox(box, height=min(4, len(self.attachments)), activestyle="none")
            for attachment in self.attachments:
                self.listbox.insert("end", describe(attachment))
            self.listbox.pack(side="left", fill="x", expand=True)
            self.listbox.bind("<Double-Button-1>", lambda e: self.open_selected())
            self.listbox.bind("<Return>", lambda e: self.open_selected())
            buttons = ttk.Frame(box)
            buttons.pack(side="left", padx=(6, 0))
            ttk.Button(buttons, text=_("eml.open"), command=self.open_selected).pack(fill="x")
            ttk.Button(buttons, text=_("eml.save"), command=self.save_selected).pack(fill="x", pady=(4, 0))
            self.listbox.selection_set(0)
        ttk.Separator(self).pack(fill="x", pady=(6, 0))
        self.html = body_html(document)
        self.remote = remote_references(self.html)
        message = getattr(document.backend, "message", None)
        self.resources = MailResources(message if isinstance(message, EmailMessage) else None)
        self.remote_bar: ttk.Frame | None = None
        if self.remote:  # nothing from the web until the user asks, for this mail only
            self.remote_bar = ttk.Frame(self, padding=(8, 4), style="Notice.TFrame")
            self.remote_bar.pack(fill="x")
            ttk.Label(self.remote_bar, text=_("eml.remote.blocked", count=len(self.remote)), style="Notice.TLabel",
                      wraplength=600, justify="left").pack(side="left", fill="x", expand=True)
            self.remote_button = ttk.Button(self.remote_bar, text=_("eml.remote.show"), command=self.show_remote)
            self.remote_button.pack(side="right")
            style = ttk.Style(self)
            style.configure("Notice.TFrame", background=PALETTE["notice"])
            style.configure("Notice.TLabel", background=PALETTE["notice"])
        self.body, self._load = _html_frame(self, self.resources, self.link_clicked)
        self.body.pack(fill="both", expand=True)
        self._load(self.html)

    def show_remote(self) -> None:
        """Load this mail again with its web content (images, styles, frames)."""
        self.resources.allow_remote = True
        if self.remote_bar is not None:
            self.remote_bar.destroy()
            self.remote_bar = None
        self.body.destroy()
        self.body, self._load = _html_frame(self, self.resources, self.link_clicked)
        self.body.pack(fill="both", expand=True)
        self._load(self.html)

    def link_clicked(self, url: str) -> None:
        """A click on a link: the system browser opens it; nothing is loaded in the viewer."""
        if browser_link(url):
            self.open_link(url)

    def selected(self) -> Any | None:
        if not self.attachments:
            return None
        chosen = self.listbox.curselection()
        return self.attachments[chosen[0]] if chosen else None

    def open_selected(self) -> None:
        attachment = self.selected()
        if attachment is not None:
            self.on_open(attachment)

    def save_selected(self) -> None:
        attachment = self.selected()
        if attachment is not None:
            self.on_save(attachment)
