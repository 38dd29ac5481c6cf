"""The main window's menus, toolbar buttons and keyboard shortcuts, as tables of commands."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from viewer.gui.i18n import _


def build_menus(window: Any) -> None:
    """File, View, Settings (language) and Help entries; Connection and Tools are filled by plugins."""
    add = window.add_menu_command
    add("file", "menu.file.open", window.cmd_open, "Ctrl+O")
    window.recent_menu = window.add_submenu("file", "menu.file.recent", postcommand=window.fill_recent_menu)
    window.add_menu_separator("file")
    add("file", "menu.file.save_preview", window.cmd_save_preview)
    add("file", "menu.file.save_pdf", window.cmd_save_pdf, "Ctrl+S")
    add("file", "menu.file.print", window.cmd_print, "Ctrl+P")
    window.add_menu_separator("file")
    add("file", "menu.file.new_window", window.cmd_new_window, "Ctrl+N")
    add("file", "menu.file.close", window.close, "Ctrl+W")
    add("file", "menu.file.quit", window.cmd_quit, "Ctrl+Q")
    add("view", "menu.view.zoom_in", window.pageview.zoom_in, "+")
    add("view", "menu.view.zoom_out", window.pageview.zoom_out, "-")
    add("view", "menu.view.actual_size", lambda: window.pageview.set_zoom(1.0), "Ctrl+0")
    add("view", "menu.view.fit_width", window.pageview.fit_width, "Ctrl+1")
    add("view", "menu.view.fit_page", window.pageview.fit_page, "Ctrl+2")
    add("view", "menu.view.rotate_right", lambda: window.pageview.rotate(90), "Ctrl+R")
    add("view", "menu.view.rotate_left", lambda: window.pageview.rotate(-90), "Ctrl+Shift+R")
    window.add_menu_separator("view")
    add("view", "menu.view.first", window.first_page, "Home")
    add("view", "menu.view.previous", window.prev_page, "PgUp")
    add("view", "menu.view.next", window.next_page, "PgDn")
    add("view", "menu.view.last", window.last_page, "End")
    add("view", "menu.view.goto", window.cmd_goto, "Ctrl+G")
    window.add_menu_separator("view")
    add("view", "menu.view.find", window.show_search, "Ctrl+F")
    add("view", "menu.view.find_next", lambda: window.find(window.searchbar.entry.get(), 1), "F3")
    add("view", "menu.view.find_previous", lambda: window.find(window.searchbar.entry.get(), -1), "Shift+F3")
    window.add_menu_separator("view")
    add("view", "menu.view.thumbnails", window.toggle_thumbnails, "F9")
    window.language_var = tk.StringVar(window, value=window.language_setting())
    window.language_menu = window.add_submenu("settings", "menu.settings.language")
    for code in ("auto", "fr", "en"):
        window.language_menu.add_radiobutton(label=_(f"language.{code}"), value=code, variable=window.language_var,
                                             command=lambda c=code: window.set_language(c))
        window.track_label(window.language_menu, f"language.{code}")
    add("help", "menu.help.shortcuts", window.cmd_shortcuts, "F1")
    add("help", "menu.help.about", window.cmd_about)


def build_toolbar(window: Any) -> None:
    """Open, save, PDF, print, page navigation, zoom and fit, rotate, find, thumbnails."""
    add = window.toolbar.add
    add("open", "open", "tip.open", window.cmd_open)
    add("save", "save", "tip.save_preview", window.cmd_save_preview)
    add("pdf", "pdf", "tip.save_pdf", window.cmd_save_pdf)
    add("print", "print", "tip.print", window.cmd_print)
    window.toolbar.add_separator()
    add("first", "first", "tip.first", window.first_page)
    add("prev", "prev", "tip.previous", window.prev_page)
    window.page_entry = ttk.Entry(window.toolbar, width=5, justify="right")
    window.page_entry.bind("<Return>", window.page_entry_go)
    window.page_entry.bind("<KP_Enter>", window.page_entry_go)
    window.toolbar.add_widget(window.page_entry)
    window.page_count_label = ttk.Label(window.toolbar, text="/ 0")
    window.toolbar.add_widget(window.page_count_label)
    add("next", "next", "tip.next", window.next_page)
    add("last", "last", "tip.last", window.last_page)
    window.toolbar.add_separator()
    add("zoom-out", "zoom-out", "tip.zoom_out", window.pageview.zoom_out)
    add("zoom-in", "zoom-in", "tip.zoom_in", window.pageview.zoom_in)
    add("fit-width", "fit-width", "tip.fit_width", window.pageview.fit_width)
    add("fit-page", "fit-page", "tip.fit_page", window.pageview.fit_page)
    add("rotate", "rotate", "tip.rotate", lambda: window.pageview.rotate(90))
    window.toolbar.add_separator()
    add("find", "find", "tip.find", window.show_search)
    add("thumbnails", "thumbnails", "tip.thumbnails", window.toggle_thumbnails)
    window.toolbar.add_separator()  # mail, fax and other plugin buttons go after this


def bind_keys(window: Any) -> None:
    """Window-wide shortcuts; view keys (+, -, Home, PgDn...) are left to text fields."""
    keys: dict[str, Callable[[], Any]] = {
        "<Control-o>": window.cmd_open, "<Control-f>": window.show_search, "<Control-p>": window.cmd_print,
        "<Control-s>": window.cmd_save_pdf, "<Control-g>": window.cmd_goto, "<Control-n>": window.cmd_new_window,
        "<Control-w>": window.close, "<Control-q>": window.cmd_quit, "<F1>": window.cmd_shortcuts,
        "<F3>": lambda: window.find(window.searchbar.entry.get(), 1),
        "<Shift-F3>": lambda: window.find(window.searchbar.entry.get(), -1),
        "<F9>": window.toggle_thumbnails, "<Control-r>": lambda: window.pageview.rotate(90),
        "<Control-R>": lambda: window.pageview.rotate(-90), "<Control-0>": lambda: window.pageview.set_zoom(1.0),
        "<Control-1>": window.pageview.fit_width, "<Control-2>": window.pageview.fit_page,
    }
    for sequence, command in keys.items():
        window.bind(sequence, lambda e, c=command: (c(), "break")[1])
    view_keys: dict[str, Callable[[], Any]] = {
        "<plus>": window.pageview.zoom_in, "<equal>": window.pageview.zoom_in, "<KP_Add>": window.pageview.zoom_in,
        "<minus>": window.pageview.zoom_out, "<KP_Subtract>": window.pageview.zoom_out,
        "<Home>": window.first_page, "<End>": window.last_page, "<Prior>": window.prev_page, "<Next>": window.next_page,
        "<Down>": lambda: window.pageview.scroll_units(1), "<Up>": lambda: window.pageview.scroll_units(-1),
        "<Control-plus>": window.pageview.zoom_in, "<Control-minus>": window.pageview.zoom_out,
    }
    for sequence, command in view_keys.items():
        window.bind(sequence, lambda e, c=command: _view_key(e, c))


def _view_key(event: tk.Event, command: Callable[[], Any]) -> str | None:
    if isinstance(event.widget, (tk.Entry, ttk.Entry, tk.Text, tk.Spinbox, ttk.Spinbox)):
        return None  # typing in a field: leave the key to it
    command()
    return "break"
