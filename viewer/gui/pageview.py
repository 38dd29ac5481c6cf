"""The page area: continuous scrolling over all pages, lazy rendering, zoom, rotation, hits.

Pages are rendered on the Tk thread (PyMuPDF is not thread-safe) one at a time in
``after_idle`` callbacks, visible pages first, then neighbours, so the window keeps
answering between two pages. Rendered pages live in a :class:`PageCache` of PPM bytes
bounded in bytes (a few screens): neighbours are prefetched only while they fit, so paging
never thrashes. Only the pages on screen become Tk photos (8 bytes a pixel against the
PPM's 3); a photo is deleted as soon as its page leaves the screen.
"""

from __future__ import annotations

import bisect
import tkinter as tk
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk

from viewer import firstpage
from viewer.firstpage import GAP  # pixels between pages and around them

Rect = tuple[float, float, float, float]

ZOOM_STEPS = (0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0, firstpage.MAX_ZOOM)
TOP_ONLY = "top"  # marks the key of a page shown in part (``show_preview``): its whole image replaces it
PREFETCH = 2  # pages rendered ahead of and behind the visible ones
SETTLE_MS = 400  # quiet time after the last page rendered before ``on_settled`` is called
BACKGROUND = "#7f8790"


class DocumentSource:
    """What the page view needs from an opened ``formats.Document``: sizes, pixels, text hits."""

    def __init__(self, document) -> None:
        self.document = document
        self.page_count: int = document.page_count

    def page_size(self, index: int) -> tuple[float, float]:
        page = self.document.page(index)
        return float(page.width), float(page.height)

    def render_ppm(self, index: int, dpi: float, rotation: int) -> bytes:
        from formats import render

        return render.render_ppm(self.document, index, dpi=dpi, rotation=rotation)

    def search(self, index: int, needle: str) -> list[Rect]:
        from formats import render

        return [(r[0], r[1], r[2], r[3]) for r in render.search_page(self.document, index, needle)]


# A Tk photo on a canvas costs about 8 bytes a pixel in this process: its 32-bit block plus
# the display instance's dithering buffer (measured: RSS drop when 4.6 Mpx of pages are
# freed, Tk 8.6). The cache keeps PPM bytes instead: 3 bytes a pixel.
PPM_BYTES_PER_PIXEL = 3
SCREENS_CACHED = 2  # the page cache holds this many screens of PPM pixels (visible pages always)


def cache_budget(screen_width: int, screen_height: int, screens: int = SCREENS_CACHED) -> int:
    """Bytes of rendered pages to keep for a screen of this size: a few screens' worth of PPM."""
    return screens * max(screen_width, 640) * max(screen_height, 480) * PPM_BYTES_PER_PIXEL


def top_rows(ppm: bytes, rows: int) -> bytes:
    """The first ``rows`` rows of a binary PPM (P6, 8 bits a sample, as ``render_ppm`` writes it), as a
    PPM of its own; the image itself when it has no more rows than that."""
    _magic, width, height = ppm[:40].split(maxsplit=3)[:3]
    w, h = int(width), int(height)
    if rows >= h:
        return ppm
    start = len(ppm) - w * h * 3  # the pixels end the file; one whitespace byte comes before them
    return b"P6\n%d %d\n255\n" % (w, rows) + ppm[start:start + w * rows * 3]


def ppm_bytes(width: int, height: int) -> int:
    """What a rendered page of this size costs in the cache (its PPM header is a few bytes more)."""
    return width * height * PPM_BYTES_PER_PIXEL


class PageCache:
    """Least-recently-used rendered pages as PPM bytes, bounded by their total size."""

    def __init__(self, max_bytes: int = cache_budget(1920, 1080)) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[tuple, bytes] = OrderedDict()

    def get(self, key: tuple) -> bytes | None:
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data

    def __contains__(self, key: tuple) -> bool:
        return key in self._items

    def put(self, key: tuple, data: bytes, keep: Callable[[tuple], bool] = lambda k: False) -> None:
        """Add ``data``; the least recently used entries go until the total fits, except ``keep`` ones."""
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= len(old)
        self._items[key] = data
        self.bytes += len(data)
        for k in list(self._items):
            if self.bytes <= self.max_bytes or len(self._items) <= 1:
                break
            if k == key or keep(k):
                continue
            self.bytes -= len(self._items.pop(k))

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def rotate_rect(rect: Rect, width: float, height: float, rotation: int) -> Rect:
    """``rect`` (points, top-left origin, unrotated page ``width`` x ``height``) after a clockwise turn."""
    x0, y0, x1, y1 = rect
    rotation %= 360
    if rotation == 90:
        return (height - y1, x0, height - y0, x1)
    if rotation == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if rotation == 270:
        return (y0, width - x1, y1, width - x0)
    return rect


class PageView(ttk.Frame):
    """A scrolling canvas showing every page of a :class:`DocumentSource` one below the other."""

    def __init__(self, master: tk.Misc, *, on_change: Callable[[], None] | None = None,
                 on_error: Callable[[int, Exception], None] | None = None, screen_dpi: float | None = None,
                 cache: PageCache | None = None, on_settled: Callable[[], object] | None = None) -> None:
        """``on_settled`` is called once rendering has stopped for SETTLE_MS after pages were rendered
        (the window trims the heap then)."""
        super().__init__(master)
        self.on_change = on_change or (lambda: None)
        self.on_error = on_error or (lambda index, exc: None)
        self.on_settled = on_settled or (lambda: None)
        self.canvas = tk.Canvas(self, background=BACKGROUND, highlightthickness=0, takefocus=1)
        self.vbar = ttk.Scrollbar(self, orient="vertical", command=self._yview)
        self.hbar = ttk.Scrollbar(self, orient="horizontal", command=self._xview)
        self.canvas.configure(yscrollcommand=self._on_yscroll, xscrollcommand=self._on_xscroll)  # type: ignore[arg-type]  # Tk passes the fractions as text; typeshed says float
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.vbar.grid(row=0, column=1, sticky="ns")
        self.hbar.grid(row=1, column=0, sticky="we")
        self.rowconfigure(0, weight=1)
        self.columnconfigure(0, weight=1)
        self.screen_dpi = screen_dpi or float(self.winfo_fpixels("1i"))
        self.cache = cache or PageCache(cache_budget(self.winfo_screenwidth(), self.winfo_screenheight()))
        self.source: DocumentSource | None = None
        self.zoom = 1.0
        self.fit: str | None = "width"  # None | "width" | "page"
        self.rotation = 0
        self._sizes: list[tuple[float, float]] = []  # unrotated page sizes in points
        self._tops: list[int] = []
        self._lefts: list[int] = []
        self._boxes: list[tuple[int, int]] = []  # rotated pixel sizes
        self._images: dict[int, tuple[int, tuple, tk.PhotoImage]] = {}  # page on screen -> (canvas item, key, photo)
        self._failed: set[tuple] = set()
        self._pinned: int | None = None
        self._job: str | None = None
        self._sizes_job: str | None = None
        self._settle_job: str | None = None
        self._steps = self._steps_settled = 0  # costly steps done (renders, photos); those done at the last settle
        self._hits: dict[int, list[Rect]] = {}
        self._current_hit: tuple[int, int] | None = None
        self._last_width = 0
        self._total_height = 1
        self.rendered = 0  # pages rendered since the document was set (tests, benchmarks)
        self._preview: tuple[int, tuple[float, float], Path] | None = None  # (pages, page 1's size, file) before it opens
        self._when_painted: list[Callable[[], object]] = []
        self.canvas.bind("<Configure>", self._on_configure)
        for widget in (self.canvas,):
            widget.bind("<Button-4>", lambda e: self._wheel(e, -1))
            widget.bind("<Button-5>", lambda e: self._wheel(e, 1))
            widget.bind("<MouseWheel>", lambda e: self._wheel(e, -1 if e.delta > 0 else 1))
            widget.bind("<Control-Button-4>", lambda e: self._ctrl_wheel(1))
            widget.bind("<Control-Button-5>", lambda e: self._ctrl_wheel(-1))
            widget.bind("<Control-MouseWheel>", lambda e: self._ctrl_wheel(1 if e.delta > 0 else -1))
            widget.bind("<Button-1>", lambda e: self.canvas.focus_set())

    # ----------------------------------------------------------------- document
    def set_source(self, source: DocumentSource | None) -> None:
        """Show ``source`` from its first page (None empties the view).

        The document a preview was laid out for (``preview``) takes its place as it is: the
        pixels of page 1 already on screen stay (no flash), the other pages render as usual."""
        self._when_painted = []  # those waited for the previous document
        self._cancel_jobs()
        preview, self._preview = self._preview, None
        if source is not None and preview is not None and self.source is None and self._adopts(source, preview):
            self.source = source
            self._failed.clear()
            self._hits, self._current_hit = {}, None
            self.rendered = 0
            if source.page_count > 1:
                self._sizes_job = self.after_idle(self._load_sizes, 1)
            self._schedule()
            self.on_change()
            return
        self.source = source
        self.cache.clear()
        self._failed.clear()
        self._hits, self._current_hit = {}, None
        self.rotation = 0
        self.rendered = 0
        self._pinned = 0 if source else None
        if source is None or source.page_count == 0:
            self._sizes = []
        else:
            first = source.page_size(0)
            self._sizes = [first] * source.page_count  # refined in the background
            if source.page_count > 1:
                self._sizes_job = self.after_idle(self._load_sizes, 1)
        self._relayout(keep=False)
        self.canvas.yview_moveto(0)
        self.canvas.xview_moveto(0)
        self._schedule()
        self.on_change()

    def preview(self, page_count: int, first: tuple[float, float], path: str | Path) -> float:
        """Lay out ``page_count`` pages the size of page 1 (``first``, in points) of the file ``path``
        before it is open; returns the dpi page 1 is shown at (``show_preview`` gives its pixels)."""
        self.set_source(None)
        self._preview = (page_count, first, Path(path).resolve())
        self._sizes = [first] * page_count
        self._pinned = 0
        self._relayout(keep=False)
        return self.render_dpi

    def show_preview(self, dpi: float, ppm: bytes) -> bool:
        """Show ``ppm`` (page 1 of the previewed file rendered at ``dpi``, as ``DocumentSource.render_ppm``
        renders it); False, and nothing shown, when the page is shown at another dpi now."""
        if self._preview is None or dpi != self.render_dpi:
            return False
        key = self._key(0)
        self.cache.put(key, ppm)
        # Only the rows the window shows: Tk decodes, copies and sends the X server every pixel of a
        # photo, and page 1 usually runs below the window's edge. The whole page replaces it from the
        # cache, at no render, once the document is open (``_work``).
        height = self.canvas.winfo_height()
        if height <= 1:  # not laid out yet: the whole page
            self._show(0, key, ppm)
            return True
        rows = int(self.canvas.canvasy(height)) - self._tops[0] + 2  # 2: the row cut in half, and rounding
        self._show(0, (*key, TOP_ONLY), top_rows(ppm, max(rows, 1)))
        return True

    def paint_now(self) -> None:
        """Draw what waits to be drawn and have the X server show it before returning.

        For a long step about to block the event loop: the canvas redraws in an idle callback,
        which Tk runs only once no event and no due timer is left, so a step started by a
        timer could run before the page it follows was ever drawn. The pointer query is a
        round trip: the server has drawn everything sent before it answers."""
        self.update_idletasks()
        self.winfo_pointerxy()

    @property
    def previewing(self) -> bool:
        """True while a preview waits for its document (``preview``)."""
        return self._preview is not None

    @property
    def preview_path(self) -> Path | None:
        """The file whose preview is shown while it opens (``preview``), else None."""
        return self._preview[2] if self._preview is not None else None

    def _adopts(self, source: DocumentSource, preview: tuple[int, tuple[float, float], Path]) -> bool:
        """``source`` is the previewed file, with as many pages and page 1 of the same size."""
        count, first, path = preview
        document_path = getattr(source.document, "path", None)
        if source.page_count != count or document_path is None or Path(document_path).resolve() != path:
            return False
        try:
            return source.page_size(0) == first
        except Exception:  # noqa: BLE001 - an unreadable page 1: the ordinary road reports it
            return False

    @property
    def page_count(self) -> int:
        return len(self._sizes)

    def _load_sizes(self, start: int) -> None:
        self._sizes_job = None
        if self.source is None:
            return
        end = min(start + 100, self.page_count)
        changed = False
        for i in range(start, end):
            try:
                size = self.source.page_size(i)
            except Exception:  # noqa: BLE001 - an unreadable page keeps the estimate; render reports it
                continue
            if size != self._sizes[i]:
                self._sizes[i] = size
                changed = True
        if changed:
            self._relayout(keep=True)
        if end < self.page_count:
            self._sizes_job = self.after_idle(self._load_sizes, end)

    def _cancel_jobs(self) -> None:
        for name in ("_job", "_sizes_job", "_settle_job"):
            job = getattr(self, name)
            if job is not None:
                self.after_cancel(job)
                setattr(self, name, None)

    def destroy(self) -> None:
        self._cancel_jobs()
        self.cache.clear()
        super().destroy()

    # ----------------------------------------------------------------- geometry
    @property
    def scale(self) -> float:
        """Screen pixels per point."""
        return self.zoom * self.screen_dpi / 72.0

    @property
    def render_dpi(self) -> float:
        return firstpage.render_dpi(self.zoom, self.screen_dpi)

    def _rotated(self, index: int) -> tuple[float, float]:
        w, h = self._sizes[index]
        return (h, w) if self.rotation % 180 else (w, h)

    def _fit_zoom(self) -> float | None:
        if not self._sizes or self.fit is None:
            return None
        view = (self.canvas.winfo_width(), self.canvas.winfo_height())
        return firstpage.fit_zoom(view, self._rotated(min(self.current_page, self.page_count - 1)), self.screen_dpi,
                                  self.fit)

    def _relayout(self, keep: bool = True) -> None:
        anchor = self._anchor() if keep else None
        fitted = self._fit_zoom()
        if fitted is not None:
            self.zoom = fitted
        scale = self.scale
        self._boxes = [(max(1, round(w * scale)), max(1, round(h * scale)))
                       for w, h in (self._rotated(i) for i in range(self.page_count))]
        view_w = max(self.canvas.winfo_width(), 1)
        widest = max((b[0] for b in self._boxes), default=0) + 2 * GAP
        total_w = max(widest, view_w)
        self._tops, self._lefts = [], []
        y = GAP
        for bw, bh in self._boxes:
            self._tops.append(y)
            self._lefts.append((total_w - bw) // 2)
            y += bh + GAP
        self.canvas.delete("all")
        self._images.clear()
        for i, (bw, bh) in enumerate(self._boxes):
            x0, y0 = self._lefts[i], self._tops[i]
            self.canvas.create_rectangle(x0, y0, x0 + bw, y0 + bh, fill="white", outline="#50565c",
                                         tags=("page", f"p{i}"))
        self._total_height = max(y, 1)
        self._last_width = self.canvas.winfo_width()  # laid out for this width: its <Configure> changes nothing
        self.canvas.configure(scrollregion=(0, 0, total_w, self._total_height))
        self._draw_hits()
        if anchor is not None:
            self._scroll_to_anchor(*anchor)
        for index in self.visible_pages():  # pixels already rendered for this layout go back at once: no white frame
            key = self._key(index)
            data = self.cache.get(key) if (self.source is not None or self._preview is not None) else None
            if data is not None and key not in self._failed:
                self._show(index, key, data)
        self._schedule()

    def _anchor(self) -> tuple[int, float] | None:
        if not self._tops:
            return None
        page = self.current_page
        top = self.canvas.canvasy(0)
        height = self._boxes[page][1] or 1
        return page, (top - self._tops[page]) / height

    def _scroll_to_anchor(self, page: int, fraction: float) -> None:
        y = self._tops[page] + fraction * self._boxes[page][1]
        self._moveto(y)

    def _moveto(self, y: float) -> None:
        self.canvas.yview_moveto(max(0.0, y) / max(self._total_height, 1.0))

    def _on_configure(self, event: tk.Event) -> None:
        if event.width != self._last_width:
            self._last_width = event.width
            self._relayout(keep=True)
        else:
            self._schedule()

    # ----------------------------------------------------------------- navigation
    def visible_pages(self) -> range:
        if not self._tops:
            return range(0)
        top = self.canvas.canvasy(0)
        bottom = top + max(self.canvas.winfo_height(), 1)
        first = max(0, bisect.bisect_right(self._tops, top) - 1)
        if first < self.page_count and self._tops[first] + self._boxes[first][1] < top:
            first += 1
        last = max(first, bisect.bisect_left(self._tops, bottom) - 1)
        return range(min(first, self.page_count - 1), min(last, self.page_count - 1) + 1)

    @property
    def current_page(self) -> int:
        if self._pinned is not None:
            return min(self._pinned, max(self.page_count - 1, 0))
        if not self._tops:
            return 0
        probe = self.canvas.canvasy(0) + max(self.canvas.winfo_height(), 1) * 0.25
        return max(0, min(bisect.bisect_right(self._tops, probe) - 1, self.page_count - 1))

    def go_to(self, index: int) -> None:
        if not self.page_count:
            return
        index = max(0, min(index, self.page_count - 1))
        self._moveto(self._tops[index] - GAP // 2)
        self._pinned = index
        self._schedule()
        self.on_change()

    def next_page(self) -> None:
        self.go_to(self.current_page + 1)

    def prev_page(self) -> None:
        self.go_to(self.current_page - 1)

    def first_page(self) -> None:
        self.go_to(0)

    def last_page(self) -> None:
        self.go_to(self.page_count - 1)

    def _yview(self, *args: str) -> None:
        self._pinned = None
        self.canvas.yview(*args)

    def _xview(self, *args: str) -> None:
        self.canvas.xview(*args)

    def scroll_units(self, units: int) -> None:
        self._yview("scroll", str(units), "units")

    def _wheel(self, event: tk.Event, direction: int) -> str:
        self.scroll_units(direction * 3)
        return "break"

    def _ctrl_wheel(self, direction: int) -> str:
        (self.zoom_in if direction > 0 else self.zoom_out)()
        return "break"

    def _on_xscroll(self, first: str, last: str) -> None:
        """The horizontal bar shows only when the pages are wider than the view."""
        self.hbar.set(first, last)
        if float(first) <= 0.0 and float(last) >= 1.0:
            self.hbar.grid_remove()
        else:
            self.hbar.grid()

    def _on_yscroll(self, first: str, last: str) -> None:
        self.vbar.set(first, last)
        self._schedule()
        self.on_change()

    # ----------------------------------------------------------------- zoom, rotation
    def set_zoom(self, zoom: float) -> None:
        self.fit = None
        self.zoom = max(ZOOM_STEPS[0], min(zoom, ZOOM_STEPS[-1]))
        self._relayout(keep=True)
        self.on_change()

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOM_STEPS if z > self.zoom + 1e-3), ZOOM_STEPS[-1]))

    def zoom_out(self) -> None:
        self.set_zoom(next((z for z in reversed(ZOOM_STEPS) if z < self.zoom - 1e-3), ZOOM_STEPS[0]))

    def fit_width(self) -> None:
        self.fit = "width"
        self._relayout(keep=True)
        self.on_change()

    def fit_page(self) -> None:
        self.fit = "page"
        self._relayout(keep=True)
        self.on_change()

    def rotate(self, degrees: int = 90) -> None:
        page = self.current_page
        self.rotation = (self.rotation + degrees) % 360
        self._relayout(keep=False)
        self.go_to(page)

    # ----------------------------------------------------------------- rendering
    def _key(self, index: int) -> tuple:
        return (index, self.render_dpi, self.rotation)

    @property
    def busy(self) -> bool:
        """True while pages wait to be rendered."""
        return self._job is not None

    def _schedule(self) -> None:
        if self._job is None and self.source is not None and self.page_count:
            self._job = self.after(1, self._work)  # a timer: the canvas repaints (idle) first

    def _wanted(self) -> list[int]:
        """Visible pages (centre first), then neighbours to prefetch while they fit the cache."""
        visible = self.visible_pages()
        if not visible:
            return []
        centre = (visible.start + visible.stop - 1) / 2
        order = sorted(visible, key=lambda i: abs(i - centre))
        room = self.cache.max_bytes - sum(self._cost(i) for i in order)
        for d in range(1, PREFETCH + 1):
            for i in (visible.stop - 1 + d, visible.start - d):
                if 0 <= i < self.page_count:
                    room -= self._cost(i)
                    if room < 0 and i != visible.stop:  # prefetching more would evict pages still wanted: thrashing
                        return order
                    order.append(i)  # the next page always (reading goes forward), even beyond the budget
                    if room < 0:
                        return order
        return order

    def _cost(self, index: int) -> int:
        """Bytes page ``index`` will take in the cache once rendered (it may round a pixel larger than its box)."""
        width, height = self._boxes[index]
        return ppm_bytes(width + 2, height + 2)

    def _work(self) -> None:
        """Put the visible pages on the canvas, or prefetch one neighbour, then yield to the event loop.

        One step does at most one costly thing (render a page, or make a photo of a cached
        one). The continuation is a short timer, not an idle callback, so the canvas repaints
        (an idle task) and input events are handled before the next step.
        """
        self._job = None
        if self.source is None:
            return
        if self.fit is not None and self.canvas.winfo_width() <= 1:
            return  # not on screen yet: the zoom depends on the size; <Configure> reschedules
        visible = set(self.visible_pages())
        for index in list(self._images):  # off screen: the photo goes, its PPM stays in the cache
            shown = self._images[index][1]
            if index not in visible or (shown != self._key(index) and shown != (*self._key(index), TOP_ONLY)):
                self.canvas.delete(self._images.pop(index)[0])
        for index in self._wanted():  # a page shown in part (a preview's top rows) is shown whole, in place
            key = self._key(index)
            done = index in self._images and self._images[index][1] == key
            if done or key in self._failed or (index not in visible and key in self.cache):
                continue
            data = self.cache.get(key)
            if data is None:
                data = self._render(index, key)
            if data is not None and index in visible:
                self._show(index, key, data)
            self._steps += 1
            self._job = self.after(1, self._work)
            return
        if self._settle_job is None and self._steps != self._steps_settled:  # nothing left: settle once paging pauses
            self._settle_job = self.after(SETTLE_MS, self._settled)

    def _settled(self) -> None:
        self._settle_job = None
        if self._job is None:  # else the pause after that work calls it
            self._steps_settled = self._steps
            self.on_settled()

    def drop_images(self) -> None:
        """Forget every rendered page (memory pressure, benchmarks); visible pages render again."""
        for item, _key, _photo in self._images.values():
            self.canvas.delete(item)
        self._images.clear()
        self.cache.clear()
        self._schedule()

    def _render(self, index: int, key: tuple) -> bytes | None:
        """Page ``index`` as PPM bytes, kept in the cache; None (and the page marked) when it fails."""
        assert self.source is not None
        try:
            data = self.source.render_ppm(index, self.render_dpi, self.rotation)
        except Exception as exc:  # noqa: BLE001 - any reader failure: mark the page, tell the window once
            self._fail(index, key, exc)
            return None
        visible = set(self.visible_pages())
        self.cache.put(key, data, keep=lambda k: k[0] in visible and k[1:] == key[1:])
        self.rendered += 1
        return data

    def _fail(self, index: int, key: tuple, exc: Exception) -> None:
        self._failed.add(key)
        self._draw_failure(index)
        self.on_error(index, exc)

    def _show(self, index: int, key: tuple, data: bytes) -> None:
        try:
            image = tk.PhotoImage(master=self, data=data)
        except tk.TclError as exc:  # not a picture Tk can read: the page cannot be shown
            self._fail(index, key, exc)
            return
        old = self._images.pop(index, None)
        if old is not None:
            self.canvas.delete(old[0])
        x0, y0 = self._lefts[index], self._tops[index]
        item = self.canvas.create_image(x0, y0, anchor="nw", image=image, tags=("image", f"i{index}"))
        self._images[index] = (item, key, image)
        self.canvas.tag_raise("hit")
        self._notify_if_painted()

    def _draw_failure(self, index: int) -> None:
        x0, y0 = self._lefts[index], self._tops[index]
        bw, bh = self._boxes[index]
        self.canvas.create_line(x0, y0, x0 + bw, y0 + bh, fill="#b00020", width=2)
        self.canvas.create_line(x0 + bw, y0, x0, y0 + bh, fill="#b00020", width=2)

    def photo(self, index: int) -> tk.PhotoImage | None:
        """The image shown for page ``index`` now, if it is on screen and rendered (tests, benchmarks)."""
        shown = self._images.get(index)
        return shown[2] if shown else None

    def when_painted(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once, as soon as the visible pages are on the canvas."""
        self._when_painted.append(callback)
        self._notify_if_painted()

    def _notify_if_painted(self) -> None:
        if not self._when_painted or self.source is None:
            return
        visible = self.visible_pages() if self.page_count else range(0)
        if not visible or any(i not in self._images and self._key(i) not in self._failed for i in visible):
            return
        callbacks, self._when_painted = self._when_painted, []
        for callback in callbacks:
            self.after_idle(callback)

    def render_pending(self, limit: int = 1000) -> None:
        """Run queued renders now (tests, benchmarks, screenshots); bounded by ``limit``."""
        for _ in range(limit):
            if self._job is None:
                return
            self.after_cancel(self._job)
            self._work()

    # ----------------------------------------------------------------- search hits
    def set_hits(self, hits: dict[int, list[Rect]], current: tuple[int, int] | None = None) -> None:
        """Highlight ``hits`` (page -> rectangles in points); ``current`` = (page, n) stands out."""
        self._hits = {k: list(v) for k, v in hits.items() if v}
        self._current_hit = current
        self._draw_hits()
        if current is not None:
            self._reveal(*current)

    def hit_boxes(self, index: int) -> list[tuple[int, int, int, int]]:
        """Canvas rectangles of the highlights on page ``index`` (tests)."""
        boxes = [[int(v) for v in self.canvas.coords(item)] for item in self.canvas.find_withtag(f"hit{index}")]
        return [(b[0], b[1], b[2], b[3]) for b in boxes]

    def _hit_box(self, index: int, rect: Rect) -> tuple[float, float, float, float]:
        w, h = self._sizes[index]
        x0, y0, x1, y1 = rotate_rect(rect, w, h, self.rotation)
        s = self.scale
        left, top = self._lefts[index], self._tops[index]
        return (left + x0 * s, top + y0 * s, left + x1 * s, top + y1 * s)

    def _draw_hits(self) -> None:
        self.canvas.delete("hit")
        for index, rects in self._hits.items():
            if index >= self.page_count:
                continue
            for n, rect in enumerate(rects):
                current = self._current_hit == (index, n)
                self.canvas.create_rectangle(
                    *self._hit_box(index, rect), outline="#e8590c" if current else "#f2b705",
                    width=3 if current else 2, fill="#ffd43b", stipple="gray25",
                    tags=("hit", f"hit{index}"))

    def _reveal(self, index: int, n: int) -> None:
        rects = self._hits.get(index) or []
        if not rects or index >= self.page_count:
            return
        _, y0, _, y1 = self._hit_box(index, rects[min(n, len(rects) - 1)])
        top = self.canvas.canvasy(0)
        height = self.canvas.winfo_height()
        if not (top <= y0 and y1 <= top + height):
            self._moveto((y0 + y1) / 2 - height / 2)
        self._pinned = index
        self._schedule()
        self.on_change()

