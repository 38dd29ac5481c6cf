"""The thumbnails side bar: small page images rendered on demand when the page view is idle.

Only the thumbnails on screen are rendered, and those scrolled a screen away are dropped,
so a 500-page spool holds a few dozen thumbnail images, not 500.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from viewer.gui.pageview import DocumentSource, PageView

THUMB_WIDTH = 110  # pixels at 96 dpi; scaled for HiDPI screens
PAD = 10
LABEL = 16
KEEP_SCREENS = 1  # thumbnails kept beyond the visible ones, in screens above and below; others are dropped


class ThumbnailBar(ttk.Frame):
    """A vertical strip of page thumbnails; a click calls ``on_select(page_index)``."""

    def __init__(self, master: tk.Misc, *, on_select: Callable[[int], None],
                 pageview: PageView | None = None) -> None:
        super().__init__(master)
        self.on_select = on_select
        self.pageview = pageview
        dpi_scale = float(self.winfo_fpixels("1i")) / 96.0
        self.thumb_width = round(THUMB_WIDTH * max(1.0, dpi_scale))
        self.canvas = tk.Canvas(self, width=self.thumb_width + 2 * PAD, background="#5b636b",
                                highlightthickness=0)
        self.vbar = ttk.Scrollbar(self, orient="vertical", command=self._yview)
        self.canvas.configure(yscrollcommand=self._on_scroll)  # type: ignore[arg-type]  # Tk passes the fractions as text; typeshed says float
        self.canvas.grid(row=0, column=0, sticky="ns")
        self.vbar.grid(row=0, column=1, sticky="ns")
        self.rowconfigure(0, weight=1)
        self.source: DocumentSource | None = None
        self._tops: list[int] = []
        self._heights: list[int] = []
        self._shown: dict[int, tuple[int, tk.PhotoImage | None]] = {}
        self._selected = -1
        self._job: str | None = None
        self.canvas.bind("<Button-1>", self._click)
        self.canvas.bind("<Button-4>", lambda e: self._yview("scroll", "-3", "units"))
        self.canvas.bind("<Button-5>", lambda e: self._yview("scroll", "3", "units"))
        self.canvas.bind("<MouseWheel>", lambda e: self._yview("scroll", "-3" if e.delta > 0 else "3", "units"))
        self.canvas.bind("<Configure>", lambda e: self._schedule())
        self.bind("<Map>", lambda e: self._schedule())  # a document set while hidden (a spare window) is drawn once shown

    def set_source(self, source: DocumentSource | None, sizes: list[tuple[float, float]] | None = None) -> None:
        if self._job is not None:
            self.after_cancel(self._job)
            self._job = None
        self.source = source
        self._shown.clear()
        self._selected = -1
        self.canvas.delete("all")
        self._tops, self._heights = [], []
        if source is None:
            return
        count = source.page_count
        w, h = (sizes[0] if sizes else source.page_size(0)) if count else (1.0, 1.0)
        y = PAD
        for i in range(count):
            pw, ph = sizes[i] if sizes and i < len(sizes) else (w, h)
            height = max(1, round(self.thumb_width * ph / pw))
            self._tops.append(y)
            self._heights.append(height)
            self.canvas.create_rectangle(PAD, y, PAD + self.thumb_width, y + height, fill="white",
                                         outline="#3b4148", tags=("frame", f"f{i}"))
            self.canvas.create_text(PAD + self.thumb_width // 2, y + height + 2, anchor="n", text=str(i + 1),
                                    fill="white", tags="label")
            y += height + LABEL + PAD
        self.canvas.configure(scrollregion=(0, 0, self.thumb_width + 2 * PAD, y))
        self.canvas.yview_moveto(0)
        self._schedule()

    def select(self, index: int) -> None:
        """Mark page ``index`` as the current one and keep it in sight."""
        if index == self._selected or not 0 <= index < len(self._tops):
            return
        self._selected = index
        self.canvas.delete("selection")
        y = self._tops[index]
        self.canvas.create_rectangle(PAD - 4, y - 4, PAD + self.thumb_width + 4, y + self._heights[index] + 4,
                                     outline="#4dabf7", width=3, tags="selection")
        top = self.canvas.canvasy(0)
        bottom = top + self.canvas.winfo_height()
        if y < top or y + self._heights[index] > bottom:
            total = self._tops[-1] + self._heights[-1] + LABEL + PAD
            self.canvas.yview_moveto(max(0, y - PAD) / total)

    def _yview(self, *args: str) -> None:
        self.canvas.yview(*args)

    def _on_scroll(self, first: str, last: str) -> None:
        self.vbar.set(first, last)
        self._schedule()

    def _click(self, event: tk.Event) -> None:
        y = self.canvas.canvasy(event.y)
        for i, top in enumerate(self._tops):
            if top - PAD <= y <= top + self._heights[i] + LABEL:
                self.on_select(i)
                return

    def visible(self) -> list[int]:
        top = self.canvas.canvasy(0)
        bottom = top + max(self.canvas.winfo_height(), 1)
        return [i for i, t in enumerate(self._tops) if t + self._heights[i] >= top and t <= bottom]

    def _schedule(self, delay: int = 0) -> None:
        if self._job is None and self.source is not None and self.winfo_ismapped():
            self._job = self.after(delay, self._work) if delay else self.after_idle(self._work)

    def _work(self) -> None:
        self._job = None
        if self.source is None:
            return
        if self.pageview is not None and self.pageview.busy:
            self._schedule(60)  # the page view goes first
            return
        visible = self.visible()
        self._trim(visible)
        for i in visible:
            if i in self._shown:
                continue
            pw, _ = self.source.page_size(i)
            dpi = 72.0 * self.thumb_width / pw
            try:
                image = tk.PhotoImage(master=self, data=self.source.render_ppm(i, dpi, 0))
            except Exception:  # noqa: BLE001 - the page view reports render errors; leave the frame blank
                self._shown[i] = (0, None)
                continue
            self._shown[i] = (self.canvas.create_image(PAD, self._tops[i], anchor="nw", image=image), image)
            self.canvas.tag_raise("selection")
            self._schedule()
            return

    def _trim(self, visible: list[int]) -> None:
        """Drop the thumbnails more than KEEP_SCREENS screens away from the visible ones."""
        if not visible:
            return
        margin = KEEP_SCREENS * len(visible)
        low, high = visible[0] - margin, visible[-1] + margin
        for index in [i for i in self._shown if not low <= i <= high]:
            item, _ = self._shown.pop(index)
            if item:
                self.canvas.delete(item)

    def rendered(self) -> int:
        """How many thumbnails show an image (tests)."""
        return sum(1 for _, image in self._shown.values() if image is not None)

    def destroy(self) -> None:
        if self._job is not None:
            self.after_cancel(self._job)
            self._job = None
        super().destroy()
