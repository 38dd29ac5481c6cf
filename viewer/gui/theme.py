"""One look for every window: a themed ttk style, one palette, one spacing, and Tk scaling from the display's DPI.

``apply(root)`` is called once per Tk root (the main window does it). Classic Tk widgets
that ttk has no equivalent for (Text, Listbox, Menu) take the same palette through the
option database, so a dialog does not mix two looks.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

PREFERRED_THEMES = ("clam", "alt", "default")  # clam: flat, readable, the same on every X11 desktop
PALETTE = {
    "background": "#f3f3f5",
    "field": "#ffffff",
    "text": "#1f2329",
    "muted": "#5f6670",
    "accent": "#2a62b8",
    "accent_text": "#ffffff",
    "border": "#b9bec7",
    "selection": "#cfe0fa",
    "error_field": "#ffd6d6",
    "error_text": "#b00000",
    "ok_text": "#006000",
    "notice": "#fff4ce",
}
PAD = 8  # the one spacing unit: frames pad by PAD, rows by PAD // 4


def dpi_scaling(widget: tk.Misc) -> float:
    """Tk's scaling (pixels per point) for the display's real DPI, never below 96 dpi's."""
    dpi = float(widget.winfo_fpixels("1i"))
    return max(96.0, dpi) / 72.0


def apply(root: tk.Misc) -> ttk.Style:
    """Theme, palette and scaling for ``root``'s windows; returns the style (idempotent)."""
    root.tk.call("tk", "scaling", dpi_scaling(root))
    style = ttk.Style(root)
    theme = next((t for t in PREFERRED_THEMES if t in style.theme_names()), style.theme_use())
    if style.theme_use() != theme:
        style.theme_use(theme)
    p = PALETTE
    style.configure(".", background=p["background"], foreground=p["text"], bordercolor=p["border"],
                    focuscolor=p["accent"], selectbackground=p["selection"], selectforeground=p["text"],
                    fieldbackground=p["field"])
    style.configure("TFrame", background=p["background"])
    style.configure("TLabel", background=p["background"], foreground=p["text"])
    style.configure("TButton", padding=(PAD + 2, PAD // 2))
    style.map("TButton", background=[("active", p["selection"])])
    style.configure("Toolbutton", padding=PAD // 4, background=p["background"], relief="flat")
    style.map("Toolbutton", background=[("disabled", p["background"]), ("pressed", p["selection"]),
                                        ("active", p["selection"])], relief=[("pressed", "sunken")])
    style.configure("Treeview", fieldbackground=p["field"], background=p["field"])
    style.map("Treeview", background=[("selected", p["selection"])], foreground=[("selected", p["text"])])
    style.configure("Horizontal.TProgressbar", background=p["accent"], troughcolor=p["field"], bordercolor=p["border"],
                    lightcolor=p["accent"], darkcolor=p["accent"])  # clam draws the bar in the background colour
    style.configure("Muted.TLabel", foreground=p["muted"])
    style.configure("Error.TLabel", foreground=p["error_text"])
    style.configure("Ok.TLabel", foreground=p["ok_text"])
    style.configure("Notice.TFrame", background=p["notice"])
    style.configure("Notice.TLabel", background=p["notice"])
    for pattern, value in (("*Text.background", p["field"]), ("*Text.foreground", p["text"]),
                           ("*Text.selectBackground", p["selection"]), ("*Listbox.background", p["field"]),
                           ("*Listbox.foreground", p["text"]), ("*Listbox.selectBackground", p["selection"]),
                           ("*Listbox.selectForeground", p["text"]), ("*Menu.background", p["background"]),
                           ("*Menu.activeBackground", p["selection"]), ("*Menu.activeForeground", p["text"]),
                           ("*Toplevel.background", p["background"])):
        root.option_add(pattern, value, "widgetDefault")
    return style
