"""The viewer application: one hidden Tk root, one or more MainWindows, optional GUI plugins.

``PLUGINS`` lists modules that extend each window; each is imported and its
``install(window)`` called for every new window (see mainwindow's docstring for the API).
Every window reads the process's one settings store (viewer.settings_store).
"""

from __future__ import annotations

import importlib
import logging
import sys
import tkinter as tk
from typing import Any, Callable

from viewer.errors import SpoolviewError
from viewer.gui import i18n
from viewer.gui.mainwindow import MainWindow, load_settings
from viewer.gui.recent import ViewerState

log = logging.getLogger(__name__)

PLUGINS = ("viewer.gui.mailui",)  # the mail icon, send dialog, records, settings screens, menus


def skip_layout_model() -> None:
    """Keep PyMuPDF 2 from loading its ONNX layout analyser on import (about 1.5 s, unused here).

    Only effective before the first ``import pymupdf`` of the process.
    """
    if "pymupdf" not in sys.modules:
        sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]


def dpi_aware() -> None:
    """On Windows, ask for real pixels so pages and icons are drawn sharp on HiDPI screens."""
    if sys.platform != "win32":
        return
    try:  # pragma: no cover - Windows only
        import ctypes

        ctypes.windll.shcore.SetProcessDpiAwareness(1)  # type: ignore[attr-defined]
    except (AttributeError, OSError):  # pragma: no cover - older Windows: Tk's default
        pass


def plugin_hooks(names: tuple[str, ...] = PLUGINS) -> list[Callable[[MainWindow], None]]:
    """The ``install`` functions of the plugin modules present."""
    return [importlib.import_module(name).install for name in names]


class App:
    """Owns the Tk root (withdrawn) and the open windows; ends when the last one closes."""

    def __init__(self, root: tk.Tk | None = None, *, plugins: tuple[str, ...] = PLUGINS) -> None:
        skip_layout_model()
        if root is None:
            dpi_aware()
        self.root = root or tk.Tk(className="spoolview")
        self.root.withdraw()
        self.root.report_callback_exception = self.callback_error  # type: ignore[method-assign]
        from viewer.settings_store import shared

        store = shared()
        self.settings = store.settings if not store.problem else load_settings()  # broken file: stand-in defaults
        i18n.set_language(getattr(self.settings.printing, "language", "auto"))
        self.state = ViewerState.load()
        self.hooks = plugin_hooks(plugins)
        self.windows: list[MainWindow] = []

    def callback_error(self, kind: type[BaseException], value: BaseException, tb: Any) -> None:
        """A bug in a menu or button command: log the traceback, show a dialog, keep running."""
        from viewer.gui import dialogs
        from viewer.gui.dialogs import user_message

        log.error("unexpected error in a window command", exc_info=(kind, value, tb))
        parent = next((w for w in reversed(self.windows) if w.winfo_exists()), self.root)
        try:
            dialogs.show_error(parent, user_message(value))
        except tk.TclError:  # the window is going away: the log has it
            pass

    def new_window(self, path: str | None = None) -> MainWindow:
        from viewer.settings_store import shared

        store = shared()
        if not getattr(self.settings, "load_failed", False):  # stand-in defaults stay until the file is fixed
            self.settings = store.refresh()  # another process may have changed it since
        window = MainWindow(self.root, app=self, state=self.state, settings=self.settings, hooks=self.hooks)
        self.windows.append(window)
        if path:
            window.update_idletasks()
            window.open_path(path)
        return window

    def window_closed(self, window: Any) -> None:
        if window in self.windows:
            self.windows.remove(window)
        if not self.windows:
            self.root.after_idle(self.root.quit)

    def quit(self) -> None:
        for window in list(self.windows):
            window.close()

    def destroy(self) -> None:
        try:
            self.root.destroy()
        except tk.TclError:
            pass


class DisplayUnavailable(SpoolviewError):
    """No window can open: the display refused the connection (or there is none)."""


def run(paths: list[str]) -> int:
    """Open a window per file (one empty window without files) and run until all are closed.

    Raises DisplayUnavailable when Tk cannot reach a display.
    """
    try:
        app = App()
    except tk.TclError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DisplayUnavailable(f"the display cannot be opened ({first})") from None
    if not paths:
        app.new_window()
    for path in paths:
        window = app.new_window()
        # Open after the window is on screen, so an error dialog has a parent to sit on.
        window.after_idle(window.open_path, path)
    try:
        app.root.mainloop()
    except KeyboardInterrupt:
        pass
    finally:
        app.destroy()
    return 0
