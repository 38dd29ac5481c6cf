"""Text search over a document: the find bar and a finder that searches pages in idle chunks."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from viewer.gui.i18n import _
from viewer.gui.pageview import DocumentSource, Rect

CHUNK_SECONDS = 0.03  # search time per idle turn, so typing and scrolling stay fluid


class Finder:
    """Finds ``needle`` page by page from a start page, cycling; reports through ``on_result``.

    ``on_result(hits, current, message)``: every hit found so far (page -> rectangles), the
    current hit as (page, n) or None, and a status text.
    """

    def __init__(self, widget: tk.Misc, source: DocumentSource,
                 on_result: Callable[[dict[int, list[Rect]], tuple[int, int] | None, str], None]) -> None:
        self.widget = widget
        self.source = source
        self.on_result = on_result
        self.needle = ""
        self.hits: dict[int, list[Rect]] = {}
        self.current: tuple[int, int] | None = None
        self._job: str | None = None
        self._plan: list[int] = []
        self._direction = 1

    def find(self, needle: str, direction: int, from_page: int) -> None:
        """Go to the next (``direction`` 1) or previous (-1) hit of ``needle``."""
        self.cancel()
        needle = needle.strip()
        if not needle:
            self.reset()
            self.on_result({}, None, "")
            return
        if needle != self.needle:
            self.reset()
            self.needle = needle
        self._direction = direction
        count = self.source.page_count
        if self.current is not None:
            page, n = self.current
            rects = self.hits.get(page, [])
            if 0 <= n + direction < len(rects):
                self.current = (page, n + direction)
                self._report()
                return
            start = page + direction
        else:
            start = from_page
        self._plan = [(start + direction * k) % count for k in range(count)]
        if self.current is not None:  # wrap around to the current page last
            self._plan.append(self.current[0])
        self._step()

    def _step(self) -> None:
        self._job = None
        deadline = time.perf_counter() + CHUNK_SECONDS
        while self._plan:
            page = self._plan.pop(0)
            if page not in self.hits:
                try:
                    self.hits[page] = self.source.search(page, self.needle)
                except Exception:  # noqa: BLE001 - an unreadable page has no hits; the page view reports it
                    self.hits[page] = []
            rects = self.hits[page]
            if rects:
                self.current = (page, 0 if self._direction > 0 else len(rects) - 1)
                self._plan = []
                self._report()
                return
            if time.perf_counter() > deadline and self._plan:
                self._job = self.widget.after_idle(self._step)
                self.on_result(self.hits, self.current, _("search.searching", page=page + 1))
                return
        self.current = None
        self.on_result(self.hits, None, _("search.not_found", text=self.needle))

    def _report(self) -> None:
        assert self.current is not None
        page, n = self.current
        message = _("search.hit", n=n + 1, count=len(self.hits[page]), page=page + 1)
        self.on_result(self.hits, self.current, message)

    @property
    def busy(self) -> bool:
        return self._job is not None

    def cancel(self) -> None:
        if self._job is not None:
            self.widget.after_cancel(self._job)
            self._job = None

    def reset(self) -> None:
        self.cancel()
        self.needle = ""
        self.hits = {}
        self.current = None


class SearchBar(ttk.Frame):
    """Find field with previous/next buttons; calls ``on_find(text, direction)`` and ``on_close()``."""

    def __init__(self, master: tk.Misc, *, on_find: Callable[[str, int], None], on_close: Callable[[], None]) -> None:
        super().__init__(master, padding=(6, 3))
        self.on_find = on_find
        self.on_close = on_close
        # The close button is packed first and the field shrinks, so at 800 px wide every
        # control stays visible; the message gives way first (it is also in the status bar).
        self.close_button = ttk.Button(self, text="✕", width=3, command=on_close)
        self.close_button.pack(side="right")
        self.label = ttk.Label(self, text=_("search.label"))
        self.label.pack(side="left")
        self.entry = ttk.Entry(self, width=24)
        self.entry.pack(side="left", padx=4)
        self.prev_button = ttk.Button(self, text=_("search.previous"), command=lambda: self.find(-1))
        self.prev_button.pack(side="left")
        self.next_button = ttk.Button(self, text=_("search.next"), command=lambda: self.find(1))
        self.next_button.pack(side="left", padx=4)
        self.message = ttk.Label(self, text="")
        self.message.pack(side="left", padx=8, fill="x", expand=True)
        self.entry.bind("<Return>", lambda e: self.find(1))
        self.entry.bind("<KP_Enter>", lambda e: self.find(1))
        self.entry.bind("<Shift-Return>", lambda e: self.find(-1))
        self.entry.bind("<Escape>", lambda e: on_close())

    def find(self, direction: int) -> str:
        self.on_find(self.entry.get(), direction)
        return "break"

    def retranslate(self) -> None:
        self.label.configure(text=_("search.label"))
        self.prev_button.configure(text=_("search.previous"))
        self.next_button.configure(text=_("search.next"))
