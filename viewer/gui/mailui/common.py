"""Small Tk helpers shared by the mail windows: injectable message boxes, polling, labelled fields."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import messagebox, ttk
from typing import Any

from viewer.gui.i18n import _, size_text

# notify(kind, title, message) -> answer. kind: info | warning | error | yesno.
# Windows take ``notify=`` so tests can record the text instead of showing a modal box.
Notify = Callable[[str, str, str], Any]

POLL_MS = 40


def default_notify(kind: str, title: str, message: str, parent: tk.Misc | None = None) -> Any:
    """Show a real message box; ``yesno`` returns a bool.

    The first line is the headline (shown bold); further lines (addresses, server replies,
    file names) go in the box's detail text, in the normal font.
    """
    options: dict[str, Any] = {"parent": parent} if parent is not None else {}
    message, _newline, detail = message.partition("\n")
    if detail.strip():
        options["detail"] = detail.strip("\n")
    if kind == "yesno":
        return messagebox.askyesno(title, message, **options)
    if kind == "error":
        return messagebox.showerror(title, message, **options)
    if kind == "warning":
        return messagebox.showwarning(title, message, **options)
    return messagebox.showinfo(title, message, **options)


def notifier(parent: tk.Misc, notify: Notify | None) -> Notify:
    """``notify`` itself, or real message boxes over ``parent``."""
    if notify is not None:
        return notify
    return lambda kind, title, message: default_notify(kind, title, message, parent)


def run_in_background(widget: tk.Misc, task: Any, on_done: Callable[[Any], object]) -> None:
    """Poll a BackgroundTask with ``after`` and call ``on_done(task)`` on the UI thread."""

    def check() -> None:
        try:
            if not widget.winfo_exists():
                return
        except tk.TclError:
            return
        if task.poll():
            on_done(task)
        else:
            widget.after(POLL_MS, check)

    widget.after(POLL_MS, check)


def labelled_entry(parent: tk.Misc, row: int, label_key: str, variable: tk.Variable, width: int = 48,
                   show: str = "") -> ttk.Entry:
    ttk.Label(parent, text=_(label_key)).grid(row=row, column=0, sticky="w", padx=4, pady=2)
    entry = ttk.Entry(parent, textvariable=variable, width=width, show=show)
    entry.grid(row=row, column=1, sticky="ew", padx=4, pady=2)
    return entry


def human_size(size: int) -> str:
    """A file size as a person reads it (52,3 Ko in French, 52.3 KB in English)."""
    return size_text(size)


def configure_styles(root: tk.Misc) -> None:
    """The style of an entry whose value was refused (highlighted on OK)."""
    style = ttk.Style(root)
    style.configure("Invalid.TEntry", fieldbackground="#ffd6d6", foreground="#900000")
    style.map("Invalid.TEntry", fieldbackground=[("!disabled", "#ffd6d6")])
    style.configure("Invalid.TCombobox", fieldbackground="#ffd6d6")
    style.configure("Error.TLabel", foreground="#b00000")
    style.configure("Ok.TLabel", foreground="#006000")
