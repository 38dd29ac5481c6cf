"""Manners every secondary window shares: Close/Escape/Ctrl+W, a size that fits the screen and is remembered.

``dress(window, name)`` is called once a Toplevel is built. The window then closes with
Escape and Ctrl+W (and the title bar's ×) through the same ``close`` function as its
Close button; it opens at the size it had when last closed (or the size its content asks
for), never larger than the screen, so a 1024x768 display shows it whole; its size is
saved in ``window-sizes.json`` of the config folder when it closes.
"""

from __future__ import annotations

import json
import os
import re
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import font as tkfont
from typing import Any

from viewer import paths

CLOSE_KEYS = ("<Escape>", "<Control-w>", "<Control-W>")
SCREEN_MARGIN = (16, 64)  # room for the window frame, title bar and a desktop panel
MIN_SIZE = (320, 200)
_SIZE = re.compile(r"^(\d+)x(\d+)$")


def sizes_file() -> Path:
    return paths.config_dir() / "window-sizes.json"


def saved_sizes() -> dict[str, str]:
    """The remembered sizes, name -> "WxH"; empty when the file is missing or damaged."""
    try:
        data = json.loads(sizes_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str) and _SIZE.match(v)}


def remember_size(name: str, width: int, height: int) -> bool:
    """Store the size of window ``name``; False when the config folder is not writable."""
    sizes = saved_sizes()
    sizes[name] = f"{width}x{height}"
    path = sizes_file()
    try:
        paths.ensure_private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(sizes, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
        return True
    except OSError:
        return False


def usable_screen(widget: tk.Misc) -> tuple[int, int]:
    """The largest window size that shows whole on the widget's screen."""
    return (max(MIN_SIZE[0], widget.winfo_screenwidth() - SCREEN_MARGIN[0]),
            max(MIN_SIZE[1], widget.winfo_screenheight() - SCREEN_MARGIN[1]))


def fitted_size(wanted: tuple[int, int], screen: tuple[int, int]) -> tuple[int, int]:
    """``wanted`` shrunk to ``screen`` (never below the minimum size)."""
    return (max(MIN_SIZE[0], min(wanted[0], screen[0])), max(MIN_SIZE[1], min(wanted[1], screen[1])))


def fit(window: tk.Toplevel, name: str) -> tuple[int, int]:
    """Give ``window`` its remembered (or natural) size, kept inside the screen; returns it."""
    window.update_idletasks()
    natural = (window.winfo_reqwidth(), window.winfo_reqheight())
    match = _SIZE.match(saved_sizes().get(name, ""))
    wanted = (int(match[1]), int(match[2])) if match else natural
    width, height = fitted_size(wanted, usable_screen(window))
    window.geometry(f"{width}x{height}")
    window.minsize(min(width, max(MIN_SIZE[0], natural[0] // 2)), min(height, max(MIN_SIZE[1], natural[1] // 2)))
    return width, height


def dress(window: tk.Toplevel, name: str, *, close: Callable[[], Any] | None = None) -> None:
    """Close keys, a screen-fitting remembered size; ``close`` defaults to ``window.destroy``."""
    closer = close or window.destroy

    def on_key(_event: tk.Event) -> str:
        closer()
        return "break"

    window.protocol("WM_DELETE_WINDOW", closer)
    for sequence in CLOSE_KEYS:
        window.bind(sequence, on_key)
    fit(window, name)

    def on_destroy(event: tk.Event) -> None:
        if event.widget is window and window.winfo_ismapped():
            remember_size(name, window.winfo_width(), window.winfo_height())

    window.bind("<Destroy>", on_destroy, add="+")


def lay_out_withdrawn(window: tk.Toplevel, geometry: str) -> None:
    """Lay ``window`` out at ``geometry`` (``WxH[+X+Y]``) while it stays withdrawn, so that once shown
    its widgets have their sizes at once (a page view renders at the right width before it is mapped).

    ``window`` must have been withdrawn before it was ever mapped. Tk gives a toplevel its size
    only when it maps it, and tells a widget its new size only once the widget has an X window:
    so Tk's first (withdrawn) map is let happen, every widget's X window is made, and the
    geometry is set again.
    """
    window.update_idletasks()
    widgets: list[tk.Misc] = [window]
    while widgets:
        widget = widgets.pop()
        widget.winfo_id()  # Tk_MakeWindowExist
        widgets.extend(widget.winfo_children())
    window.geometry(geometry)
    window.update_idletasks()


def elide_middle(text: str, fits: Callable[[str], bool]) -> str:
    """``text`` with its middle replaced by "…" until ``fits(result)``: both ends of a path stay readable."""
    if fits(text) or len(text) < 3:
        return text
    low, high = 0, len(text) - 1  # how many characters to keep
    while low < high:
        keep = (low + high + 1) // 2
        head = (keep + 1) // 2
        candidate = text[:head] + "…" + text[len(text) - (keep - head):]
        if fits(candidate):
            low = keep
        else:
            high = keep - 1
    head = (low + 1) // 2
    return text[:head] + "…" + text[len(text) - (low - head):]


def elide_end(text: str, fits: Callable[[str], bool]) -> str:
    """``text`` cut at the end with "…" until ``fits(result)``: a name keeps its start."""
    if fits(text):
        return text
    low, high = 0, len(text)
    while low < high:
        keep = (low + high + 1) // 2
        if fits(text[:keep].rstrip() + "…"):
            low = keep
        else:
            high = keep - 1
    return text[:low].rstrip() + "…"


def elide_to_width(text: str, font: tkfont.Font | str, width: int, *, where: str = "middle") -> str:
    """``text`` elided (in the ``middle``, for paths, or at the ``end``, for names) to ``width`` pixels of ``font``."""
    measure = font if isinstance(font, tkfont.Font) else tkfont.nametofont(font)
    elide = elide_end if where == "end" else elide_middle
    return elide(text, lambda t: measure.measure(t) <= width)


def close_bar(parent: tk.Misc, command: Callable[[], Any], *, padding: Any = 0) -> tk.Widget:
    """A Close button at the bottom right of ``parent`` (packed first, so it stays visible when the window shrinks)."""
    from tkinter import ttk

    from viewer.gui.i18n import _

    bar = ttk.Frame(parent, padding=padding)
    bar.pack(side="bottom", fill="x")
    button = ttk.Button(bar, text=_("mail.button.close"), command=command)
    button.pack(side="right", pady=(6, 0))
    return button


def apply_tk_language(widget: tk.Misc) -> str:
    """Tk's own dialogs (file chooser, Yes/No boxes) speak the interface language: msgcat's locale; returns it."""
    from viewer.gui import i18n

    widget.tk.call("package", "require", "msgcat")
    if str(widget.tk.call("::msgcat::mclocale")) != i18n.language():
        widget.tk.call("::msgcat::mclocale", i18n.language())
        # Tk keeps a file dialog it built for reuse, with the words of its time: build anew.
        todo = ["."]
        while todo:
            path = todo.pop()
            for child in widget.tk.splitlist(widget.tk.call("winfo", "children", path)):
                if str(child).endswith("__tk_filedialog"):
                    widget.tk.call("destroy", child)
                else:
                    todo.append(str(child))
    return str(widget.tk.call("::msgcat::mclocale"))
