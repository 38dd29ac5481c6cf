"""A window's first page from the forked child (viewer/firstpage.py): shown when it comes, then the real view.

``EarlyPage(window, child, then=...)`` reads the child's messages from Tk's event loop. Its
"info" lays the page view out (``PageView.preview``: as many pages as the document has, the
size of page 1) and asks for page 1 at the dpi that layout shows it at, unless the child,
predicting it, already renders at that dpi; its "page" goes on the canvas as is. The window
then opens the document the ordinary way (``MainWindow.open_path``) and the page view takes
it over without redrawing page 1 (``PageView.set_source``). A child that says it cannot
draw the file, ends, or is silent for ``TIMEOUT_MS`` is stopped and the window opens the
file the ordinary way, which shows today's messages (a damaged file, a password asked...).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from typing import Any

from viewer import firstpage, logsetup
from viewer.gui.i18n import _

TIMEOUT_MS = 3000  # from the window's layout: a child without page 1 by then is given up
OPEN_AFTER_MS = 1  # the document opens at a timer once page 1 is on screen (PageView.paint_now): input first
MAX_REQUESTS = 3  # page 1 asked again when the window's size changed meanwhile; then given up


class EarlyPage:
    """Show ``child``'s page 1 in ``window`` (laid out already), then open its file; ``then()`` after
    the file is opened, or failed to open, whichever road was taken."""

    def __init__(self, window: Any, child: firstpage.Child, *, then: Callable[[], object] = lambda: None,
                 timeout_ms: int = TIMEOUT_MS) -> None:
        self.window = window
        self.child = child
        self.then = then
        self.done = False
        self.shown = False  # page 1 came from the child
        self.asked: list[float] = []  # the dpis page 1 was asked at (none: the child predicted the window)
        self._record: dict | None = None
        self._handler = True
        window.tk.createfilehandler(child.fileno(), tk.READABLE, self._readable)
        self._timer: str | None = window.after(timeout_ms, self._give_up)
        self._readable()  # what came while the window was built

    def _readable(self, *_args: object) -> None:
        if self.done:
            return
        for header, payload in self.child.read():
            kind = header.get("kind")
            try:
                if kind == "info":
                    self._info(header)
                elif kind == "page":
                    self._page(float(header["dpi"]), payload)
                else:  # "none": the child cannot draw it; the window says why (or shows the mail)
                    self._fall_back("the child does not draw this file")
            except (KeyError, TypeError, ValueError, tk.TclError) as exc:
                self._fall_back(f"unexpected message from the child ({exc})")
            if self.done:
                return
        if self.child.ended:
            self._fall_back("the child ended without page 1")

    def _info(self, header: dict) -> None:
        pages, (width, height) = int(header["pages"]), header["page"]
        pageview = self.window.pageview
        dpi = pageview.preview(pages, (float(width), float(height)), self.child.path)
        self.window.title(_("app.title_document", name=str(header["name"])))
        record = {"window": firstpage.window_key(self.window.state.geometry),
                  "view": [pageview.canvas.winfo_width(), pageview.canvas.winfo_height()], "dpi": pageview.screen_dpi}
        if header.get("view") != record:  # the child's prediction was made for another window: ask
            self._record = record
            self._ask(dpi)

    def _page(self, dpi: float, ppm: bytes) -> None:
        if self.window.pageview.show_preview(dpi, ppm):
            self.window.pageview.paint_now()  # on screen before the document's opening blocks the loop
            self.shown = True
            pid = self.child.pid
            self._end()
            logsetup.logger(__name__).info("page 1 of %s shown from the first-page child (pid %d, ended)", self.child.path, pid)
            self.window.after(OPEN_AFTER_MS, self._open)
        elif self.window.pageview.previewing:  # the window changed size since: page 1 at the new dpi
            self._ask(self.window.pageview.render_dpi)

    def _ask(self, dpi: float) -> None:
        if dpi in self.asked:
            return
        if len(self.asked) >= MAX_REQUESTS or not self.child.request(dpi):
            self._fall_back("page 1 could not be asked at the window's size")
            return
        self.asked.append(dpi)

    def _give_up(self) -> None:
        self._timer = None
        if not self.done:
            self._fall_back(f"no page 1 from the child within {TIMEOUT_MS} ms")

    def _fall_back(self, why: str) -> None:
        """The ordinary road: the window opens the file itself (and says what is wrong with it)."""
        logsetup.logger(__name__).info("first page of %s drawn the ordinary way: %s", self.child.path, why)
        self._end()
        try:
            if self.window.pageview.previewing:
                self.window.pageview.set_source(None)
            self.window.after_idle(self._open)
        except tk.TclError:  # the window is gone
            pass

    def _end(self) -> None:
        """Stop listening to the child and end it (its page, if any, is on the canvas)."""
        self.done = True
        if self._timer is not None:
            try:
                self.window.after_cancel(self._timer)
            except tk.TclError:
                pass
            self._timer = None
        if self._handler:
            self._handler = False
            try:
                self.window.tk.deletefilehandler(self.child.fileno())
            except (tk.TclError, ValueError, OSError):
                pass
        self.child.stop()

    def _open(self) -> None:
        try:
            if not self.window.winfo_exists():
                return
        except tk.TclError:
            return
        if not self.window.open_path(self.child.path) and self.window.pageview.previewing:
            self.window.pageview.set_source(None)  # the page shown belongs to no open document
        if self._record is not None:
            firstpage.write_view(self._record)  # the next start-up's child renders at this size at once
        self.then()
