"""The status bar: document name and kind, page n / N, zoom, a message, and the route slot.

The route slot (``set_route(text)``) belongs to the mail side: it shows the sending
route and the connection state (local / connected), set by whoever knows it.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from viewer.gui.i18n import _
from viewer.gui.windows import elide_to_width

ROUTE_CHARS = 26  # the route slot's width in characters


class StatusBar(ttk.Frame):
    """Labels along the window's bottom edge; each ``set_*`` updates one field."""

    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, padding=(6, 2))
        self.document = tk.StringVar(self)
        self.page = tk.StringVar(self)
        self.zoom = tk.StringVar(self)
        self.message = tk.StringVar(self)
        self.route = tk.StringVar(self)
        columns = ((self.document, 0, 22), (self.page, 0, 12), (self.zoom, 0, 6), (self.message, 1, 10),
                   (self.route, 0, ROUTE_CHARS))
        for col, (var, weight, width) in enumerate(columns):
            label = ttk.Label(self, textvariable=var, width=width, anchor="w")
            label.grid(row=0, column=2 * col, sticky="we")
            self.columnconfigure(2 * col, weight=weight)
            if col < len(columns) - 1:
                ttk.Separator(self, orient="vertical").grid(row=0, column=2 * col + 1, sticky="ns", padx=6)
        self.route_label = self.grid_slaves(row=0, column=8)[0]
        self.message_label = self.grid_slaves(row=0, column=6)[0]
        self.message_label.bind("<Configure>", lambda e: self._fit_message())
        self.route_label.bind("<Configure>", lambda e: self._fit_route())
        self._route_text = ""
        self._message_text = ""  # the whole message; the label shows it elided in the middle when narrow
        self._message_job: str | None = None
        self._values: dict[str, str] = {}

    def _put(self, var: tk.StringVar, value: str) -> None:
        """Set ``var`` only when the text changes (a label update costs a relayout)."""
        if self._values.get(str(var)) != value:
            self._values[str(var)] = value
            var.set(value)

    def set_document(self, name: str, kind: str, repaired: bool = False) -> None:
        note = f" ({_('status.document_repaired')})" if repaired else ""
        self._put(self.document, f"{name} — {_('kind.' + kind)}{note}" if name else _("status.no_document"))

    def set_opening(self, name: str) -> None:
        """The file ``name`` is being opened (its first page may already show)."""
        self._put(self.document, _("status.opening", name=name))

    def set_page(self, index: int, count: int) -> None:
        self._put(self.page, _("status.page", page=index + 1, count=count) if count else "")

    def set_zoom(self, zoom: float | None) -> None:
        """The zoom in percent; None leaves the slot empty (no pages: nothing is zoomed)."""
        self._put(self.zoom, "" if zoom is None else f"{round(zoom * 100)} %")

    def set_route(self, text: str) -> None:
        """The sending route and connection state, e.g. "SMTP — local" (set by the mail side).

        The slot keeps a fixed width so the message slot stays wide; a long route (a
        pickup folder's path) gives way in its middle.
        """
        self._route_text = text
        self._fit_route()

    def route_text(self) -> str:
        """The whole route text (the slot may show it elided)."""
        return self._route_text

    def _fit_route(self) -> None:
        width = self.route_label.winfo_width()
        text = self._route_text
        if width > 1 and text:
            text = elide_to_width(text, "TkDefaultFont", width - 4)
        self._put(self.route, text)

    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        """A transient message (search result, saved file…), cleared after ``timeout_ms``.

        When the slot is too narrow, the middle of the text gives way ("/home/…/devis.pdf"),
        so both the start of a sentence and the file name stay readable.
        """
        self._message_text = text
        self._fit_message()
        if self._message_job is not None:
            self.after_cancel(self._message_job)
        self._message_job = self.after(timeout_ms, self._clear) if timeout_ms else None

    def _fit_message(self) -> None:
        width = self.message_label.winfo_width()
        text = self._message_text
        if width > 1 and text:
            text = elide_to_width(text, "TkDefaultFont", width - 4)
        self._put(self.message, text)

    def message_text(self) -> str:
        """The whole current message (the label may show it elided)."""
        return self._message_text

    def _clear(self) -> None:
        self._message_job = None
        self._message_text = ""
        self._put(self.message, "")

    def destroy(self) -> None:
        if self._message_job is not None:
            self.after_cancel(self._message_job)
            self._message_job = None
        super().destroy()
