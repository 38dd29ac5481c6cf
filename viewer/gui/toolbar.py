"""The toolbar: icons drawn with Pillow at the screen's scale, buttons with tooltips.

``draw_icon(name, size)`` draws one of ICONS (including ``mail`` and ``fax`` for the
send dialogs' buttons); ``Toolbar.add(name, icon, tooltip_key, command, position)``
adds a button, where ``icon`` is an icon name, a PNG/GIF path, a PIL image or a
``tk.PhotoImage``.

Start-up does not import Pillow: the icons at the usual sizes are shipped as PNG files
drawn by ``draw_icon`` (``python -m viewer.gui.toolbar`` writes them again; a test checks
they match), which Tk reads itself; ``IconPhotos`` loads each once per process, so a
second window (a file handed over by another ``spoolview FILE``) shares them.
"""

from __future__ import annotations

import io
import math
import tkinter as tk
from collections.abc import Callable, Iterable
from pathlib import Path
from tkinter import ttk
from typing import TYPE_CHECKING, Any, Literal

from viewer.gui.i18n import _

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

BASE = 24  # icon size in pixels at 96 dpi
SS = 4  # supersampling factor for smooth edges
INK = (52, 58, 64, 255)
BLUE = (25, 113, 194, 255)
RED = (201, 42, 42, 255)
PAPER = (255, 255, 255, 255)
YELLOW = (250, 176, 5, 255)


def _page(d: ImageDraw.ImageDraw, s: float, box=(5, 2, 19, 22)) -> None:
    x0, y0, x1, y1 = (v * s for v in box)
    d.polygon([(x0, y0), (x1 - 4 * s, y0), (x1, y0 + 4 * s), (x1, y1), (x0, y1)], fill=PAPER, outline=INK,
              width=round(1.5 * s))


def _lens(d: ImageDraw.ImageDraw, s: float, sign: str = "") -> None:
    d.ellipse([3 * s, 3 * s, 16 * s, 16 * s], fill=PAPER, outline=INK, width=round(2 * s))
    d.line([14 * s, 14 * s, 21 * s, 21 * s], fill=INK, width=round(3.5 * s))
    if sign:
        d.line([6.5 * s, 9.5 * s, 12.5 * s, 9.5 * s], fill=BLUE, width=round(2 * s))
        if sign == "+":
            d.line([9.5 * s, 6.5 * s, 9.5 * s, 12.5 * s], fill=BLUE, width=round(2 * s))


def _triangle(d: ImageDraw.ImageDraw, s: float, direction: int, bar: bool) -> None:
    if direction > 0:
        d.polygon([(7 * s, 5 * s), (17 * s, 12 * s), (7 * s, 19 * s)], fill=INK)
        if bar:
            d.rectangle([17 * s, 5 * s, 19.5 * s, 19 * s], fill=INK)
    else:
        d.polygon([(17 * s, 5 * s), (7 * s, 12 * s), (17 * s, 19 * s)], fill=INK)
        if bar:
            d.rectangle([4.5 * s, 5 * s, 7 * s, 19 * s], fill=INK)


def _draw(name: str, d: ImageDraw.ImageDraw, s: float) -> None:
    x: float
    y: float
    w = round(1.5 * s)
    if name == "open":
        d.polygon([(2 * s, 6 * s), (9 * s, 6 * s), (11 * s, 8 * s), (20 * s, 8 * s), (20 * s, 19 * s),
                   (2 * s, 19 * s)], fill=YELLOW, outline=INK, width=w)
        d.polygon([(5 * s, 11 * s), (22.5 * s, 11 * s), (20 * s, 19 * s), (2 * s, 19 * s)], fill=(255, 212, 59, 255),
                  outline=INK, width=w)
    elif name == "save":
        d.rectangle([3 * s, 3 * s, 21 * s, 21 * s], fill=BLUE, outline=INK, width=w)
        d.rectangle([7 * s, 3 * s, 17 * s, 9 * s], fill=PAPER, outline=INK, width=w)
        d.rectangle([6 * s, 13 * s, 18 * s, 21 * s], fill=PAPER, outline=INK, width=w)
    elif name == "pdf":
        _page(d, s)
        d.rectangle([2 * s, 12 * s, 17 * s, 19 * s], fill=RED)
        for x in (4, 8.5, 13):  # three small blocks read as "PDF" at this size
            d.rectangle([x * s, 14 * s, (x + 2.5) * s, 17 * s], fill=PAPER)
    elif name == "print":
        d.rectangle([6 * s, 2 * s, 18 * s, 9 * s], fill=PAPER, outline=INK, width=w)
        d.rounded_rectangle([2 * s, 8 * s, 22 * s, 17 * s], radius=2 * s, fill=(134, 142, 150, 255), outline=INK,
                            width=w)
        d.rectangle([6 * s, 13 * s, 18 * s, 22 * s], fill=PAPER, outline=INK, width=w)
        d.line([8 * s, 16 * s, 16 * s, 16 * s], fill=INK, width=w)
        d.line([8 * s, 19 * s, 14 * s, 19 * s], fill=INK, width=w)
    elif name in ("zoom-in", "zoom-out", "find"):
        _lens(d, s, {"zoom-in": "+", "zoom-out": "-", "find": ""}[name])
    elif name == "fit-width":
        _page(d, s, (3, 3, 21, 21))
        d.line([6 * s, 12 * s, 18 * s, 12 * s], fill=BLUE, width=round(2 * s))
        d.polygon([(5 * s, 12 * s), (9 * s, 8.5 * s), (9 * s, 15.5 * s)], fill=BLUE)
        d.polygon([(19 * s, 12 * s), (15 * s, 8.5 * s), (15 * s, 15.5 * s)], fill=BLUE)
    elif name == "fit-page":
        _page(d, s)
        for x, y, dx, dy in ((8, 6, 1, 1), (16, 6, -1, 1), (8, 18, 1, -1), (16, 18, -1, -1)):
            d.line([x * s, y * s, (x + 3 * dx) * s, y * s], fill=BLUE, width=round(2 * s))
            d.line([x * s, y * s, x * s, (y + 3 * dy) * s], fill=BLUE, width=round(2 * s))
    elif name == "rotate":
        d.arc([4 * s, 4 * s, 20 * s, 20 * s], start=200, end=110 + 360, fill=INK, width=round(2.5 * s))
        a = math.radians(110)
        x, y = 12 + 8 * math.cos(a), 12 + 8 * math.sin(a)
        d.polygon([((x - 4) * s, (y - 3.5) * s), ((x + 2) * s, (y - 4) * s), ((x - 1) * s, (y + 2) * s)], fill=BLUE)
    elif name == "first":
        _triangle(d, s, -1, True)
    elif name == "prev":
        _triangle(d, s, -1, False)
    elif name == "next":
        _triangle(d, s, 1, False)
    elif name == "last":
        _triangle(d, s, 1, True)
    elif name == "thumbnails":
        for y in (3, 9.5, 16):
            d.rectangle([3 * s, y * s, 8 * s, (y + 5) * s], fill=PAPER, outline=INK, width=w)
            d.line([11 * s, (y + 2.5) * s, 21 * s, (y + 2.5) * s], fill=INK, width=w)
    elif name == "mail":
        d.rectangle([2 * s, 5 * s, 22 * s, 19 * s], fill=PAPER, outline=INK, width=w)
        d.line([2 * s, 5 * s, 12 * s, 13 * s, 22 * s, 5 * s], fill=BLUE, width=round(2 * s), joint="curve")
    elif name == "fax":
        d.rectangle([7 * s, 2 * s, 19 * s, 10 * s], fill=PAPER, outline=INK, width=w)
        d.rounded_rectangle([2 * s, 9 * s, 22 * s, 22 * s], radius=2 * s, fill=(173, 181, 189, 255), outline=INK,
                            width=w)
        d.rectangle([4 * s, 12 * s, 8 * s, 20 * s], fill=INK)
        for x in (11, 14.5, 18):
            for y in (13, 16.5):
                d.rectangle([x * s, y * s, (x + 2) * s, (y + 2) * s], fill=PAPER)
    else:
        raise KeyError(name)


ICONS = ("open", "save", "pdf", "print", "zoom-in", "zoom-out", "fit-width", "fit-page", "rotate", "first",
         "prev", "next", "last", "find", "thumbnails", "mail", "fax")


SHIPPED = Path(__file__).with_name("icons")  # NAME-SIZE.png and NAME-SIZE-off.png (greyed), drawn by draw_icon
SHIPPED_SIZES = (24, 30, 36, 48)  # 96, 120, 144 and 192 dpi (100 to 200 % scaling); others are drawn at run time
SNAP = 0.1  # a screen this close (relatively) to a shipped size uses it
WINDOW_ICON = ("pdf", 64)  # the windows' icon (window manager, task bar)


def shipped_icon(name: str, size: int, *, disabled: bool = False) -> Path:
    """Where the PNG of icon ``name`` at ``size`` pixels is shipped (it may not exist for that size)."""
    return SHIPPED / f"{name}-{size}{'-off' if disabled else ''}.png"


def write_icons(folder: Path = SHIPPED) -> list[Path]:
    """Draw the shipped icons into ``folder`` (what ``python -m viewer.gui.toolbar`` does)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    wanted = [(name, size, disabled) for name in ICONS for size in SHIPPED_SIZES for disabled in (False, True)]
    for name, size, disabled in [*wanted, (*WINDOW_ICON, False)]:
        image = draw_icon(name, size)
        target = folder / shipped_icon(name, size, disabled=disabled).name
        (greyed(image) if disabled else image).save(target, "PNG", optimize=True)
        written.append(target)
    return written


def icon_photo(name: str, size: int, master: tk.Misc, *, disabled: bool = False) -> tk.PhotoImage:
    """Icon ``name`` (one of ICONS) as a Tk photo: the shipped PNG (Tk reads it, no Pillow), else drawn."""
    if name not in ICONS:
        raise KeyError(name)
    path = shipped_icon(name, size, disabled=disabled)
    if path.is_file():
        return tk.PhotoImage(master=master, file=str(path))
    image = draw_icon(name, size)
    return photo_from(greyed(image) if disabled else image, master)


class IconPhotos:
    """The icon photos of one Tk interpreter, each made once and shared by every window."""

    def __init__(self, master: tk.Misc) -> None:
        self.master = master
        self._photos: dict[tuple[str, int, bool], tk.PhotoImage] = {}

    def get(self, name: str, size: int, *, disabled: bool = False) -> tk.PhotoImage:
        key = (name, size, disabled)
        photo = self._photos.get(key)
        if photo is None:
            photo = self._photos[key] = icon_photo(name, size, self.master, disabled=disabled)
        return photo


def draw_icon(name: str, size: int = BASE) -> Image.Image:
    """Icon ``name`` as an RGBA image of ``size`` x ``size`` pixels."""
    from PIL import Image, ImageDraw

    big = Image.new("RGBA", (size * SS, size * SS), (0, 0, 0, 0))
    _draw(name, ImageDraw.Draw(big), size * SS / BASE)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def greyed(image: Image.Image) -> Image.Image:
    """The look of a disabled icon: grey, and faded."""
    grey = image.convert("LA").convert("RGBA")
    alpha = image.getchannel("A").point(lambda a: a * 2 // 5)
    grey.putalpha(alpha)
    return grey


def photo_from(image: Image.Image, master: tk.Misc) -> tk.PhotoImage:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return tk.PhotoImage(master=master, data=buffer.getvalue())


def icon_size(widget: tk.Misc) -> int:
    """BASE pixels at 96 dpi, scaled up on HiDPI screens; a shipped size when one is within a pixel or two
    (a 100 dpi screen shows the 24-pixel icons, read from their files, rather than 25-pixel ones drawn)."""
    exact = max(BASE, round(BASE * float(widget.winfo_fpixels("1i")) / 96.0))
    near = min(SHIPPED_SIZES, key=lambda size: abs(size - exact))
    return near if abs(near - exact) <= near * SNAP else exact


class Tooltip:
    """A small label shown under a widget after the pointer rests on it (idlelib-style)."""

    DELAY = 500

    def __init__(self, widget: tk.Widget, text: Callable[[], str]) -> None:
        self.widget = widget
        self.text = text
        self.tip: tk.Toplevel | None = None
        self._job: str | None = None
        widget.bind("<Enter>", self._schedule, add="+")
        widget.bind("<Leave>", self.hide, add="+")
        widget.bind("<ButtonPress>", self.hide, add="+")

    def _schedule(self, event: tk.Event | None = None) -> None:
        self._cancel()
        self._job = self.widget.after(self.DELAY, self.show)

    def _cancel(self) -> None:
        if self._job is not None:
            self.widget.after_cancel(self._job)
            self._job = None

    def show(self) -> None:
        self._job = None
        if self.tip is not None or not self.widget.winfo_exists():
            return
        self.tip = tk.Toplevel(self.widget)
        self.tip.wm_overrideredirect(True)
        x = self.widget.winfo_rootx() + 4
        y = self.widget.winfo_rooty() + self.widget.winfo_height() + 4
        label = tk.Label(self.tip, text=self.text(), background="#ffffe0", relief="solid", borderwidth=1,
                         padx=4, pady=2)
        label.pack()
        height, width = label.winfo_reqheight(), label.winfo_reqwidth()
        if y + height > self.widget.winfo_screenheight():  # a status bar at the bottom: show it above
            y = self.widget.winfo_rooty() - height - 4
        x = max(0, min(x, self.widget.winfo_screenwidth() - width))
        self.tip.wm_geometry(f"+{x}+{y}")

    def hide(self, event: tk.Event | None = None) -> None:
        self._cancel()
        if self.tip is not None:
            self.tip.destroy()
            self.tip = None


class Toolbar(ttk.Frame):
    """A row of icon buttons; ``buttons[name]`` gives each ttk.Button (plugins add theirs)."""

    size: int  # type: ignore[assignment]  # shadows Misc.size() (the grid's size), never called

    def __init__(self, master: tk.Misc, photos: IconPhotos | None = None) -> None:
        """``photos``: the process's shared icon photos (a toolbar of its own makes them otherwise)."""
        super().__init__(master, padding=(4, 2))
        self.size = icon_size(self)
        self.photos = photos or IconPhotos(self)
        self.buttons: dict[str, ttk.Button] = {}
        self.tooltips: dict[str, Tooltip] = {}
        self._images: dict[str, tk.PhotoImage] = {}
        self._order: list[tk.Widget] = []

    def _picture(self, icon: Any) -> Image.Image:
        """A PIL image or an image file as a Pillow image at the toolbar's size."""
        from PIL import Image

        if isinstance(icon, Image.Image):
            return icon.convert("RGBA").resize((self.size, self.size), Image.Resampling.LANCZOS)
        return Image.open(icon).convert("RGBA").resize((self.size, self.size), Image.Resampling.LANCZOS)

    def _photos_of(self, icon: Any) -> tuple[tk.PhotoImage, tk.PhotoImage | None]:
        """The photo of ``icon`` and of its greyed look (None for a ready-made PhotoImage)."""
        if isinstance(icon, tk.PhotoImage):
            return icon, None
        if isinstance(icon, str) and icon in ICONS:  # the shipped icons: no Pillow
            return self.photos.get(icon, self.size), self.photos.get(icon, self.size, disabled=True)
        picture = self._picture(icon)
        return photo_from(picture, self), photo_from(greyed(picture), self)

    def add(self, name: str, icon: Any, tooltip_key: str, command: Callable[[], Any],
            position: int | str | None = None) -> ttk.Button:
        """Add a button; ``position`` is an index or the name of the button to go before."""
        image, grey = self._photos_of(icon)
        self._images[name] = image
        spec: Any = image
        if grey is not None:  # a disabled button shows its icon greyed, as users expect
            self._images[name + ":disabled"] = grey
            spec = (image, "disabled", grey)
        button = ttk.Button(self, image=spec, command=command, style="Toolbutton", takefocus=0)
        self.buttons[name] = button
        self.tooltips[name] = Tooltip(button, lambda: _(tooltip_key))
        self._insert(button, position)
        return button

    def set_enabled(self, names: Iterable[str], enabled: bool) -> None:
        """Enable or disable (grey out) the named buttons; unknown names are ignored."""
        for name in names:
            button = self.buttons.get(name)
            if button is not None:
                button.state(["!disabled"] if enabled else ["disabled"])

    def add_separator(self, position: int | str | None = None) -> None:
        self._insert(ttk.Separator(self, orient="vertical"), position)

    def add_widget(self, widget: tk.Widget, position: int | str | None = None) -> None:
        self._insert(widget, position)

    def _insert(self, widget: tk.Widget, position: int | str | None) -> None:
        if isinstance(position, str):
            before = self.buttons.get(position)
            position = self._order.index(before) if before in self._order else None
        index = len(self._order) if position is None else max(0, min(int(position), len(self._order)))
        self._order.insert(index, widget)
        fill: Literal["y", "none"] = "y" if isinstance(widget, ttk.Separator) else "none"
        padx = 4 if isinstance(widget, ttk.Separator) else 1
        if index + 1 < len(self._order):  # packed before the one that was at that place: the others stay as they are
            widget.pack(side="left", fill=fill, padx=padx, pady=1, before=self._order[index + 1])
        else:
            widget.pack(side="left", fill=fill, padx=padx, pady=1)


if __name__ == "__main__":  # pragma: no cover - regenerates the shipped icons after a change of draw_icon
    for written in write_icons():
        print(written)
