"""The viewer application: one hidden Tk root, one or more MainWindows, optional GUI plugins.

``PLUGINS`` lists modules that extend each window; each is imported and its
``install(window)`` called for every new window (see mainwindow's docstring for the API).
Every window reads the process's one settings store (viewer.settings_store).
"""

from __future__ import annotations

import functools
import gc
import importlib
import os
import sys
import tkinter as tk
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from viewer import logsetup
from viewer.errors import SpoolviewError
from viewer.gui import i18n
from viewer.gui.heap import return_freed_memory
from viewer.gui.mainwindow import MainWindow, load_settings
from viewer.gui.recent import ViewerState
from viewer.gui.toolbar import IconPhotos

if TYPE_CHECKING:
    from viewer import firstpage, instance


PLUGINS = ("viewer.gui.mailui",)  # the mail icon, send dialog, records, settings screens, menus
PLUGINS_AT_LATEST_MS = 1500  # when the first page takes longer (or fails), the plugins load anyway
SPARE_AFTER_MS = 500  # quiet time after start-up's plugins or a hand-over before the next spare window is built


def skip_layout_model() -> None:
    """Keep PyMuPDF 2 from loading its ONNX layout analyser on import (about 1.5 s, unused here).

    Only effective before the first ``import pymupdf`` of the process.
    """
    if "pymupdf" not in sys.modules:
        sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]  # None blocks the import


COMPOSE_ENV = "XCOMPOSECACHE"


def compose_cache() -> str | None:
    """Let Xlib keep the parsed Compose table in a private folder of the user's cache; returns the
    variable's previous value (None: unset) for ``restore_compose_cache``.

    Tk opens the X input method when it connects to the display, and Xlib's local input method
    (dead keys, the Compose key) then parses the locale's Compose file, about 5,700 lines read a
    character at a time, three times over (Tk opens the method, registers for its restarts, and
    opens it again): a quarter of a cold start's instructions in the window's process. libX11
    caches the parsed table itself, in ``$XCOMPOSECACHE`` (a folder of the user's, 0700; each
    table cached under its file's name and checked against its date, a day at most), so the
    table, the user's ~/.XCompose and XCOMPOSEFILE work as they always did; it never does for
    root. Left as it is when set by the user, or off Linux and the BSDs.
    """
    previous = os.environ.get(COMPOSE_ENV)
    if previous is not None or not (sys.platform.startswith("linux") or "bsd" in sys.platform):
        return previous
    from viewer import paths

    try:
        folder = paths.ensure_private_dir(paths.cache_dir() / "compose")
    except OSError:  # no cache folder: Xlib parses the table, as before
        return None
    os.environ[COMPOSE_ENV] = str(folder)
    return None


def restore_compose_cache(previous: str | None) -> None:
    """The variable as it was before ``compose_cache``: programs started from the viewer do not inherit ours."""
    if previous is None:
        os.environ.pop(COMPOSE_ENV, None)
    else:
        os.environ[COMPOSE_ENV] = previous


def dpi_aware() -> None:
    """On Windows, ask for real pixels so pages and icons are drawn sharp on HiDPI screens."""
    if sys.platform != "win32":
        return
    try:  # pragma: no cover - Windows only
        import ctypes

        ctypes.windll.shcore.SetProcessDpiAwareness(1)
    except (AttributeError, OSError):  # pragma: no cover - older Windows: Tk's default
        pass


def plugin_hooks(names: tuple[str, ...] = PLUGINS) -> list[Callable[[MainWindow], None]]:
    """The ``install`` functions of the plugin modules present."""
    return [importlib.import_module(name).install for name in names]


class App:
    """Owns the Tk root (withdrawn) and the open windows; ends when the last one closes."""

    def __init__(self, root: tk.Tk | None = None, *, plugins: tuple[str, ...] = PLUGINS,
                 defer_plugins: bool = False) -> None:
        skip_layout_model()
        if root is None:
            dpi_aware()
        if root is None:
            previous = compose_cache()
            try:
                root = tk.Tk(className="spoolview")
            finally:
                restore_compose_cache(previous)
        self.root = root
        self.root.withdraw()
        self.root.report_callback_exception = self.callback_error
        from viewer.settings_store import shared

        store = shared()
        self.settings = store.settings if not store.problem else load_settings()  # broken file: stand-in defaults
        i18n.set_language(getattr(self.settings.printing, "language", "auto"))
        self.state = ViewerState.load()
        self.icons = IconPhotos(self.root)  # loaded once, shared by every window
        # Deferred: the first page is painted before the plugins (the mail road) are imported;
        # load_plugins() then installs them in the windows already open.
        self._plugins_pending = plugins if defer_plugins else ()
        self.hooks = [] if defer_plugins else plugin_hooks(plugins)
        self.windows: list[MainWindow] = []
        self.listener: instance.Listener | None = None
        self.freeze_start_up = False  # the CLI turned the cyclic GC off for the start-up (run())
        # While serving: a hidden, fully built window (plugins installed, laid out at the remembered
        # size) that the next hand-over fills and shows. Never in ``windows``: it is no open document.
        self.spare: MainWindow | None = None
        self._spare_language = self._spare_geometry = ""
        self._spare_job: str | None = None

    def callback_error(self, kind: type[BaseException], value: BaseException, tb: Any) -> None:
        """A bug in a menu or button command: log the traceback, show a dialog, keep running."""
        from viewer.gui import dialogs
        from viewer.gui.dialogs import user_message

        logsetup.logger(__name__).error("unexpected error in a window command", exc_info=(kind, value, tb))
        parent = next((w for w in reversed(self.windows) if w.winfo_exists()), self.root)
        try:
            dialogs.show_error(parent, user_message(value))
        except tk.TclError:  # the window is going away: the log has it
            pass

    def new_window(self, path: str | None = None, *, defer_plugins: bool = False) -> MainWindow:
        """A new window (showing ``path``); with ``defer_plugins`` its plugins wait for ``install_hooks()``."""
        from viewer.settings_store import shared

        store = shared()
        if not getattr(self.settings, "load_failed", False):  # stand-in defaults stay until the file is fixed
            self.settings = store.refresh()  # another process may have changed it since
        window = MainWindow(self.root, app=self, state=self.state, settings=self.settings, hooks=self.hooks,
                            defer_hooks=defer_plugins)
        self.windows.append(window)
        if path:
            window.update_idletasks()
            window.open_path(path)
        return window

    def after_first_paint(self) -> None:
        """What start-up leaves until the first page is on screen: logging, the plugins, the heap policy, the GC."""
        logsetup.now()  # before the plugins: their modules log through logging.getLogger
        if self._plugins_pending:
            return_freed_memory()
        self.load_plugins()
        if self.freeze_start_up:
            # What start-up made stays for the process's life: frozen, the cyclic GC never scans it again
            # (nor frees a start-up Tk object from a worker thread); it collects what comes after.
            self.freeze_start_up = False
            gc.freeze()
            gc.enable()
        self.prepare_spare()

    def load_plugins(self) -> None:
        """Import deferred plugins and install them in every open window (once; later calls do nothing)."""
        names, self._plugins_pending = self._plugins_pending, ()
        if not names:
            return
        self.hooks = plugin_hooks(names)
        for window in self.windows:
            for hook in self.hooks:
                try:
                    hook(window)
                except Exception:  # a plugin must not take the viewer down
                    log = logsetup.logger(__name__)
                    log.exception("GUI plugin %r failed to install", hook)

    def open_files(self, paths: list[str]) -> None:
        """Open each file in a new window of this process (an empty window for none).

        What a second ``spoolview FILE`` asks through the single-instance socket. The spare
        window takes the first file; without one (back to back, or more files) a window is built
        hidden the same way, its plugins (mail icon, menus) installed once its page is on screen.
        Either is shown with page 1 already drawn.
        """
        wanted: list[str | None] = list(paths) or [None]
        for path in wanted:
            window = self._take_spare()
            if window is None:
                self._refresh_settings()
                window = self._hidden_window(defer_plugins=bool(path))
                self.windows.append(window)
                if path:
                    window.after_idle(self._plugins_when_painted, window)
            self._fill_spare(window, path)
        self.prepare_spare()

    def _refresh_settings(self) -> None:
        from viewer.settings_store import shared

        if not getattr(self.settings, "load_failed", False):  # stand-in defaults stay until the file is fixed
            self.settings = shared().refresh()  # another process may have changed it since

    def _hidden_window(self, *, defer_plugins: bool = False) -> MainWindow:
        """A new window, withdrawn and laid out at the remembered size (``_fill_spare`` shows it)."""
        from viewer.gui.windows import lay_out_withdrawn

        window = MainWindow(self.root, app=self, state=self.state, settings=self.settings, hooks=self.hooks,
                            defer_hooks=defer_plugins, hidden=True)
        lay_out_withdrawn(window, window.remembered_geometry())
        return window

    def prepare_spare(self, delay_ms: int = SPARE_AFTER_MS) -> None:
        """Build the spare window for the next hand-over once the viewer has been quiet ``delay_ms``."""
        if self.listener is None or self.spare is not None or self._spare_job is not None:
            return
        self._spare_job = self.root.after(delay_ms, self._spare_when_idle)

    def _spare_when_idle(self) -> None:
        self._spare_job = self.root.after_idle(self.build_spare)

    def build_spare(self) -> MainWindow | None:
        """The hidden window the next hand-over fills (built now unless there is one, or the app is ending)."""
        self._spare_job = None
        if self.spare is None and self.windows and not self._plugins_pending:
            self.spare = self._hidden_window()
            self._spare_geometry, self._spare_language = self.spare.remembered_geometry(), i18n.language()
        return self.spare

    def _take_spare(self) -> MainWindow | None:
        """The spare window made current (settings, language, place), counted as open; None without one."""
        spare, self.spare = self.spare, None
        if spare is None or not spare.winfo_exists():
            return None
        self._refresh_settings()  # as new_window: the settings may have changed on disk
        spare.settings = self.settings
        if self._spare_language != i18n.language():  # the language changed since it was built
            spare.retranslate()
        spare.language_var.set(spare.language_setting())
        geometry = spare.remembered_geometry()
        if geometry != self._spare_geometry:  # a window was moved or resized, then closed, since
            spare.geometry(geometry)
            spare.update_idletasks()
        self.windows.append(spare)
        return spare

    def _fill_spare(self, window: MainWindow, path: str | None) -> None:
        """Open ``path`` in the withdrawn spare, put page 1 on its canvas, then show it: it appears whole.

        An error or password dialog shows the window first (MainWindow.reveal); a bug on the way
        still leaves it shown (it counts as open: hidden, it would keep the viewer from ending)."""
        try:
            if path:
                window.open_path(path)
                window.pageview.render_pending(limit=1)
        finally:
            window.deiconify()
            window.lift()
            window.focus_force()

    def _plugins_when_painted(self, window: MainWindow) -> None:
        """Install ``window``'s plugins once its page is painted, or a little later at worst (an error dialog)."""
        if not window.winfo_exists():
            return
        # A timer, not at once: the event loop first flushes the painted page to the X server.
        window.pageview.when_painted(lambda: window.after(20, window.install_hooks))
        window.after(PLUGINS_AT_LATEST_MS, window.install_hooks)

    def serve(self, listener: instance.Listener) -> None:
        """Answer other ``spoolview FILE`` invocations of this user from the Tk event loop."""
        self.listener = listener
        self.root.tk.createfilehandler(listener.fileno(), tk.READABLE, lambda *_: listener.handle(self.open_files))
        if not self._plugins_pending:  # else once they are loaded (after_first_paint)
            self.prepare_spare()

    def window_closed(self, window: Any) -> None:
        if window in self.windows:
            self.windows.remove(window)
        if not self.windows:
            self.root.after_idle(self.root.quit)

    def quit(self) -> None:
        for window in list(self.windows):
            window.close()

    def stop_serving(self) -> None:
        """Stop answering other invocations; the socket file goes."""
        if self.listener is not None:
            try:
                self.root.tk.deletefilehandler(self.listener.fileno())
            except (tk.TclError, ValueError, OSError):  # the root or the socket is already gone
                pass
            self.listener.close()
            self.listener = None

    def destroy(self) -> None:
        self.stop_serving()
        if self._spare_job is not None:
            self.root.after_cancel(self._spare_job)
            self._spare_job = None
        try:
            self.root.destroy()
        except tk.TclError:
            pass


class DisplayUnavailable(SpoolviewError):
    """No window can open: the display refused the connection (or there is none)."""


def run(paths: list[str], *, serve: bool = True, early: firstpage.Child | None = None,
        freeze_start_up: bool = False) -> int:
    """Open a window per file (one empty window without files) and run until all are closed.

    With ``serve``, later ``spoolview FILE`` invocations of this user open their files here
    (unless another viewer already answers them). ``early`` draws the first file's page 1
    (viewer/firstpage.py), shown before the document is opened here. With
    ``freeze_start_up`` (the CLI turned the cyclic GC off before importing Tk), the GC is
    turned on again once the first page and the plugins are in, the start-up's objects
    frozen. Raises DisplayUnavailable when Tk cannot reach a display.
    """
    try:
        app = App(defer_plugins=True)
    except tk.TclError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DisplayUnavailable(f"the display cannot be opened ({reason})", msgid="cli.no_display.refused",
                                 params={"detail": reason}) from None
    if serve:
        from viewer import instance

        listener = instance.Listener.start()
        if listener is not None:
            app.serve(listener)
    app.freeze_start_up = freeze_start_up
    if not paths:
        app.new_window()

    # The plugins come once the first page is on screen (or a little later at worst). A timer,
    # not at once: the event loop first flushes the painted page to the X server.
    def painted() -> None:
        app.root.after(20, app.after_first_paint)

    for n, path in enumerate(paths):
        window = app.new_window()
        # Shown and laid out first (the page is rendered at the fitted width without waiting for the
        # X server's <Configure>); opened at idle, so an error dialog has a parent to sit on.
        window.update_idletasks()
        if n == 0 and early is not None and early.path == path:
            from viewer.gui.firstpage import EarlyPage

            EarlyPage(window, early, then=functools.partial(window.pageview.when_painted, painted))
            continue
        window.after_idle(window.open_path, path)
        if n == 0:
            window.after_idle(functools.partial(window.pageview.when_painted, painted))
    app.root.after(PLUGINS_AT_LATEST_MS if paths else 1, app.after_first_paint)
    try:
        app.root.mainloop()
    except KeyboardInterrupt:
        pass
    finally:
        app.destroy()
    return 0
