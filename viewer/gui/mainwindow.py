"""The viewer's main window: menus, toolbar, page area, thumbnails, find bar and status bar.

Extension API for other GUI modules (mail, fax, records, settings screens), so they add
their entries without editing this file — each is installed by ``install(window)``:

- ``window.add_menu_command(menu, label_key, command, accelerator=None)`` — ``menu`` is one
  of "file", "view", "connection", "tools", "settings", "help" (or a new name, which adds
  a menu); ``label_key`` is a catalogue key, relabelled when the language changes.
- ``window.add_menu_separator(menu)``, ``window.menu(name) -> tk.Menu``,
  ``window.add_submenu(menu, label_key) -> tk.Menu``, ``window.track_label(menu, label_key)``
  (relabel an entry you added yourself when the language changes).
- ``window.add_toolbar_button(name, icon, tooltip_key, command, position=None)`` — ``icon``
  is an icon name of ``toolbar.ICONS`` ("mail", "fax", ...), a PNG/GIF path, a PIL image or a
  ``tk.PhotoImage``; ``position`` an index or the name of the button to go before.
- ``window.status.set_route(text)`` — the route / connection slot of the status bar.
- ``window.current_document`` — the open ``formats.Document`` or None;
  ``window.open_path(path)``, ``window.show_document(document)``.
- ``window.on_document_changed`` — list of callables ``f(window, document_or_None)``.
- ``window.add_retranslate(callback)`` — called after the language changes.
"""

from __future__ import annotations

import functools
import tkinter as tk
from collections.abc import Callable, Iterable
from pathlib import Path
from tkinter import ttk
from typing import TYPE_CHECKING, Any

from viewer import logsetup
from viewer.gui import heap, i18n, menus, theme
from viewer.gui.i18n import _
from viewer.gui.pageview import DocumentSource, PageView
from viewer.gui.recent import ViewerState
from viewer.gui.statusbar import StatusBar
from viewer.gui.thumbnails import ThumbnailBar
from viewer.gui.toolbar import WINDOW_ICON, IconPhotos, Toolbar
from viewer.gui.windows import apply_tk_language

if TYPE_CHECKING:
    from viewer.gui.search import Finder, SearchBar

# Imported when first used, not at start-up (the first page is painted sooner):
# viewer.gui.dialogs, filecommands and search (its bar is built when first shown).


MENUS = ("file", "view", "connection", "tools", "settings", "help")
SPOOL_KINDS = ("spv", "text")
PAGE_TOOLS = ("first", "prev", "next", "last", "zoom-out", "zoom-in", "fit-width", "fit-page", "rotate", "find")  # V3: the preview-save offer is about spools
MAX_PASSWORD_TRIES = 5
OPEN_TYPES = [
    ("menu.filetype.all_supported", "*.spv *.txt *.prn *.lst *.pdf *.xps *.oxps *.png *.jpg *.jpeg *.tif *.tiff *.eml"),
    ("menu.filetype.spool", "*.spv *.txt *.prn *.lst"),
    ("menu.filetype.pdf", "*.pdf"),
    ("menu.filetype.mail", "*.eml"),
    ("menu.filetype.images", "*.png *.jpg *.jpeg *.tif *.tiff"),
    ("menu.filetype.any", "*"),
]


KEY_NAMES = {"Shift": "accel.shift", "Home": "accel.home", "End": "accel.end", "PgUp": "accel.pgup",
             "PgDn": "accel.pgdn"}


def accelerator_text(accelerator: str) -> str:
    """A shortcut as the keyboard of the interface language names its keys ("Maj+F3", "Début" in French)."""
    return "+".join(_(KEY_NAMES[part]) if part in KEY_NAMES else part for part in accelerator.split("+"))


def _last(menu: tk.Menu) -> int:
    """The index of the last entry of ``menu`` (one was just added)."""
    index = menu.index("end")
    assert index is not None, "the menu has no entry"
    return index


class MainWindow(tk.Toplevel):
    """One viewer window (a Toplevel of ``master``); ``hooks`` are called with it once built."""

    # Shadows Wm.state() (the window's iconic/normal state), which the viewer never calls.
    state: ViewerState  # type: ignore[assignment]  # see above
    # Built by viewer.gui.menus.build(window):
    recent_menu: tk.Menu
    language_var: tk.StringVar
    page_entry: ttk.Entry
    page_count_label: ttk.Label

    def __init__(self, master: tk.Misc, *, app: Any = None, state: ViewerState | None = None,
                 settings: Any = None, hooks: Iterable[Callable[[MainWindow], object]] = (),
                 defer_hooks: bool = False, hidden: bool = False) -> None:
        """``hooks`` install the plugins in this window: at once, or with ``defer_hooks`` when
        ``install_hooks()`` is called (once its first page is on screen). A ``hidden`` window is
        withdrawn before it is ever mapped (the application's spare window, shown by ``deiconify``)."""
        super().__init__(master, class_="Spoolview")
        if hidden:
            self.withdraw()
        self.app = app
        self.state = state or ViewerState.load()
        self.settings = settings if settings is not None else load_settings()
        self.document: Any = None
        self.source: DocumentSource | None = None
        self.finder: Finder | None = None
        self.on_document_changed: list[Callable[[MainWindow, Any], None]] = []
        self.on_drop_many: Callable[[list[Path]], Any] | None = None  # several files dropped at once (a plugin sets it)
        self._retranslate: list[Callable[[], None]] = []
        self._menu_labels: list[tuple[tk.Menu, int, str]] = []
        self._menu_accelerators: list[tuple[tk.Menu, int, str]] = []
        self._error_shown = False
        self._status_job: str | None = None
        self.eml_view: Any = None
        self._searchbar: SearchBar | None = None
        self.photos: IconPhotos = app.icons if app is not None else IconPhotos(self)
        self.title(_("app.title"))
        theme.apply(self)
        apply_tk_language(self)
        self.geometry(self._initial_geometry())
        self.minsize(480, 360)
        self.protocol("WM_DELETE_WINDOW", self.close)
        self._set_icon()
        self._build()
        menus.bind_keys(self)
        self._enable_drop()
        self._update_status()
        self._pending_hooks = list(hooks)
        if not defer_hooks:
            self.install_hooks()

    def install_hooks(self) -> None:
        """Install the plugins this window was made with and has not installed yet (later calls do nothing)."""
        hooks, self._pending_hooks = self._pending_hooks, []
        for hook in hooks:
            if not self.winfo_exists():
                return
            try:
                hook(self)
            except Exception:  # a plugin must not take the viewer down
                log = logsetup.logger(__name__)
                log.exception("GUI plugin %r failed to install", hook)

    def _initial_geometry(self) -> str:
        """The remembered size and place, kept on the screen (a monitor may have gone)."""
        import re

        match = re.match(r"^(\d+)x(\d+)([+-]-?\d+)([+-]-?\d+)$", self.state.geometry or "")
        if not match:
            return "1000x780"
        screen_w, screen_h = self.winfo_screenwidth(), self.winfo_screenheight()
        w, h = min(int(match[1]), screen_w), min(int(match[2]), screen_h)
        x, y = int(match[3]), int(match[4])
        if not (0 <= x <= screen_w - 100 and 0 <= y <= screen_h - 100):
            return f"{w}x{h}"
        return f"{w}x{h}+{x}+{y}"

    def _set_icon(self) -> None:
        self._icon = self.photos.get(*WINDOW_ICON)
        self.iconphoto(False, self._icon)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.toolbar = Toolbar(self, self.photos)
        self.toolbar.grid(row=0, column=0, sticky="we")
        self.paned = ttk.PanedWindow(self, orient="horizontal")
        self.paned.grid(row=2, column=0, sticky="nsew")
        self.content = ttk.Frame(self.paned)
        self.pageview = PageView(self.content, on_change=self._status_soon, on_error=self._render_error,
                                 on_settled=heap.trim)
        self.pageview.pack(fill="both", expand=True)
        self.thumbnails = ThumbnailBar(self.paned, on_select=self.go_to, pageview=self.pageview)
        self.paned.add(self.thumbnails, weight=0)
        self.paned.add(self.content, weight=1)
        self.thumbnails_shown = True
        self.status = StatusBar(self)
        self.status.grid(row=3, column=0, sticky="we")
        self.menubar = tk.Menu(self, tearoff=False)
        self.configure(menu=self.menubar)
        self.menus: dict[str, tk.Menu] = {}
        for name in MENUS:
            self.menu(name)
        menus.build_menus(self)
        menus.build_toolbar(self)
        self.rowconfigure(2, weight=1)
        self.columnconfigure(0, weight=1)

    @property
    def searchbar(self) -> SearchBar:
        """The find bar (row 1, hidden until shown), built when first used."""
        if self._searchbar is None:
            from viewer.gui.search import SearchBar

            self._searchbar = SearchBar(self, on_find=self.find, on_close=self.hide_search)
        return self._searchbar

    def menu(self, name: str) -> tk.Menu:
        """The menu ``name`` (created at the end of the menu bar if new)."""
        if name not in self.menus:
            menu = tk.Menu(self.menubar, tearoff=False)
            self.menus[name] = menu
            key = f"menu.{name}"
            self.menubar.add_cascade(label=_(key), menu=menu)
            self._menu_labels.append((self.menubar, _last(self.menubar), key))
        return self.menus[name]

    def add_menu_command(self, menu: str, label_key: str, command: Callable[[], Any],
                         accelerator: str | None = None, *, after: str | None = None) -> int:
        """Add an entry to ``menu`` (at its end, or right after the entry labelled ``after``); returns its index."""
        target = self.menu(menu)
        options: dict[str, Any] = {"label": _(label_key), "command": command}
        if accelerator:
            options["accelerator"] = accelerator_text(accelerator)
        place = [i + 1 for m, i, k in self._menu_labels if m is target and k == after]
        if place:
            index = place[0]
            target.insert_command(index, **options)
            # Entries after it moved down one: their labels and shortcuts follow the language still.
            self._menu_labels = [(m, i + 1 if m is target and i >= index else i, k) for m, i, k in self._menu_labels]
            self._menu_accelerators = [(m, i + 1 if m is target and i >= index else i, a)
                                       for m, i, a in self._menu_accelerators]
        else:
            target.add_command(**options)
            index = _last(target)
        self._menu_labels.append((target, index, label_key))
        if accelerator:
            self._menu_accelerators.append((target, index, accelerator))
        return index

    def add_submenu(self, menu: str, label_key: str, **options: Any) -> tk.Menu:
        """A cascade in ``menu``; its label follows the language."""
        submenu = tk.Menu(self.menu(menu), tearoff=False, **options)
        self.menus[menu].add_cascade(label=_(label_key), menu=submenu)
        self.track_label(self.menus[menu], label_key)
        return submenu

    def track_label(self, menu: tk.Menu, label_key: str, index: int | None = None) -> None:
        """Relabel entry ``index`` (default: the last one) of ``menu`` when the language changes."""
        self._menu_labels.append((menu, _last(menu) if index is None else index, label_key))

    def add_menu_separator(self, menu: str) -> None:
        self.menu(menu).add_separator()

    def add_toolbar_button(self, name: str, icon: Any, tooltip_key: str, command: Callable[[], Any],
                           position: int | str | None = None) -> ttk.Button:
        return self.toolbar.add(name, icon, tooltip_key, command, position)

    def add_retranslate(self, callback: Callable[[], None]) -> None:
        self._retranslate.append(callback)

    def _enable_drop(self) -> None:
        """Accept files dropped on the window where tkdnd exists; skip silently elsewhere."""
        try:
            import tkinterdnd2  # type: ignore[import-not-found]  # optional, not a dependency

            tkinterdnd2.TkinterDnD._require(self)
            self.pageview.canvas.drop_target_register(tkinterdnd2.DND_FILES)  # type: ignore[attr-defined]  # added by tkinterdnd2
            self.pageview.canvas.dnd_bind("<<Drop>>", self._on_drop)  # type: ignore[attr-defined]  # added by tkinterdnd2
            self.drop_enabled = True
        except Exception:  # noqa: BLE001 - no tkdnd on this platform or build: open by menu, toolbar, command line
            self.drop_enabled = False

    def _on_drop(self, event: Any) -> None:
        """One file dropped opens it; several go to ``on_drop_many`` (the mail plugin's batch window) when set."""
        names = [str(n) for n in self.tk.splitlist(event.data)]
        if len(names) > 1 and self.on_drop_many is not None:
            self.on_drop_many([Path(n) for n in names])
        elif names:
            self.open_path(names[0])

    # ------------------------------------------------------------------ documents
    @property
    def current_document(self) -> Any:
        """The open ``formats.Document`` (None when the window is empty)."""
        return self.document

    def open_path(self, path: str | Path, *, password: str | None = None) -> bool:
        """Open ``path`` in this window; errors are shown in a dialog. True when opened."""
        from formats.document import PasswordRequired
        from viewer.docopen import open_document

        path = Path(path)
        tries = 0
        while True:
            try:
                document = _first_page_checked(open_document(path, self.settings, password=password))
                break
            except PasswordRequired:
                from viewer.gui import dialogs

                self.reveal()
                if tries >= MAX_PASSWORD_TRIES:
                    dialogs.show_error(self, _("password.gave_up", name=path.name))
                    return False
                answer = dialogs.PasswordDialog(self, path.name, retry=password is not None).result
                if answer is None:
                    return False
                password, tries = answer, tries + 1
            except Exception as exc:  # noqa: BLE001 - every failure becomes a dialog; the window stays as it was
                from viewer.gui.dialogs import user_message

                self.show_error(_("error.open", name=path.name, detail=user_message(exc, named=path)))
                return False
        self.show_document(document)
        if document.repaired:
            self.status.show_message(_("status.repaired", name=path.name), timeout_ms=15000)
        self.state.add_recent(path)
        self.state.save()
        if document.source in SPOOL_KINDS and not getattr(self.settings.printing, "no_save_offer", False):
            # Offered once the page is on screen: the user sees what they may keep.
            self.pageview.when_painted(self.offer_save_preview)
        return True

    def show_document(self, document: Any) -> None:
        """Show an already opened document (e.g. an attachment) in this window."""
        self.close_document()
        self.document = document
        self._error_shown = False
        self.title(_("app.title_document", name=document.name))
        if document.source == "eml":
            self._show_eml(document)
        else:
            self.source = DocumentSource(document)  # its Finder is made at the first search
            self.pageview.set_source(self.source)
            if self.thumbnails_shown:
                self.thumbnails.set_source(self.source)
        self._update_status()
        for callback in list(self.on_document_changed):
            callback(self, document)

    def close_document(self) -> None:
        if self.finder is not None:
            self.finder.reset()
            self.finder = None
        if self.eml_view is not None:
            self.eml_view.destroy()
            self.eml_view = None
            self.pageview.pack(fill="both", expand=True)
            if self.thumbnails_shown:
                self.paned.insert(0, self.thumbnails, weight=0)
        if self.pageview.source is not None:  # else it may show page 1 of the file being opened (gui/firstpage.py)
            self.pageview.set_source(None)
        self.thumbnails.set_source(None)
        self.source = None
        if self.document is not None:
            try:
                self.document.close()
            except Exception:  # closing a reader never matters to the user
                log = logsetup.logger(__name__)
                log.debug("closing %s failed", self.document.path, exc_info=True)
            self.document = None
            for callback in list(self.on_document_changed):
                callback(self, None)
        self.title(_("app.title"))
        self._update_status()

    def _show_eml(self, document: Any) -> None:
        from viewer.gui.emlview import EmlView

        self.pageview.pack_forget()
        if self.thumbnails_shown:  # a mail has no pages to show in the side bar
            self.paned.forget(self.thumbnails)
        self.eml_view = EmlView(self.content, document, on_open=self.open_attachment,
                                on_save=self.save_attachment)
        self.eml_view.pack(fill="both", expand=True)

    def open_attachment(self, attachment: Any) -> None:
        """Open an attachment (PDF, spool, image…) in a new viewer window."""
        from viewer.gui.dialogs import user_message

        try:
            document = attachment.open()
        except Exception as exc:  # noqa: BLE001 - any reader failure is shown in a dialog
            self.show_error(_("error.attachment", name=attachment.filename, detail=user_message(exc)))
            return
        window = self.app.new_window() if self.app is not None else MainWindow(self.master, state=self.state,
                                                                                settings=self.settings)
        window.show_document(document)

    def save_attachment(self, attachment: Any) -> None:
        from viewer.gui import filecommands

        filecommands.save_attachment(self, attachment)

    def _render_error(self, index: int, exc: Exception) -> None:
        from viewer.gui.dialogs import user_message

        self.status.show_message(_("error.page_status", page=index + 1))
        if not self._error_shown:
            self._error_shown = True
            self.show_error(_("error.render", page=index + 1, detail=user_message(exc)))

    def show_error(self, message: str) -> None:
        """Show ``message`` in an error dialog (tests answer it through ``dialogs.respond_with``)."""
        from viewer.gui import dialogs

        self.reveal()
        dialogs.show_error(self, message)

    def reveal(self) -> None:
        """Show this window if it is still withdrawn (a spare being filled): a dialog needs its parent on screen."""
        if self.wm_state() == "withdrawn":
            self.deiconify()

    def remembered_geometry(self) -> str:
        """The size and place a new window takes now: the last closed window's, kept on the screen."""
        return self._initial_geometry()

    # ------------------------------------------------------------------ commands
    def cmd_open(self) -> None:
        from viewer.gui import dialogs

        initial = str(Path(self.state.recent[0]).parent) if self.state.recent else ""
        path = dialogs.ask_path(self, "open", _("menu.file.open_title"), initialdir=initial,
                                filetypes=[(_(k), p) for k, p in OPEN_TYPES])
        if path:
            self.open_path(path)

    def offer_save_preview(self) -> None:
        from viewer.gui import filecommands

        filecommands.offer_save_preview(self)

    def cmd_save_preview(self) -> None:
        from viewer.gui import filecommands

        filecommands.save_preview(self)

    def cmd_save_pdf(self) -> None:
        from viewer.gui import filecommands

        filecommands.save_pdf(self)

    def cmd_print(self) -> None:
        from viewer.gui import filecommands

        filecommands.print_document(self)

    def cmd_goto(self) -> None:
        from viewer.gui import dialogs

        if self.source is None:
            return
        page = dialogs.GoToPageDialog(self, self.pageview.page_count, self.pageview.current_page).result
        if page is not None:
            self.go_to(page)

    def cmd_new_window(self) -> None:
        if self.app is not None:
            self.app.new_window()
        else:
            MainWindow(self.master, state=self.state, settings=self.settings)

    def cmd_quit(self) -> None:
        if self.app is not None:
            self.app.quit()
        else:
            self.close()

    def cmd_shortcuts(self) -> None:
        from viewer.gui import dialogs

        dialogs.show_info(self, _("help.shortcuts_text"), title=_("menu.help.shortcuts"))

    def cmd_about(self) -> None:
        from viewer import __version__
        from viewer.gui import dialogs

        dialogs.show_info(self, _("help.about_text", version=__version__), title=_("menu.help.about"))

    def fill_recent_menu(self) -> None:
        self.recent_menu.delete(0, "end")
        recent = self.state.existing_recent()
        if not recent:
            self.recent_menu.add_command(label=_("menu.file.recent_empty"), state="disabled")
        for path in recent:
            self.recent_menu.add_command(label=path, command=functools.partial(self.open_path, path))

    def close(self) -> None:
        """Close this window (the application ends with its last window)."""
        try:
            self.state.geometry = self.geometry()
            self.state.save()
        except tk.TclError:
            pass
        self.close_document()
        if self.app is not None:
            self.app.window_closed(self)
        self.destroy()

    # ------------------------------------------------------------------ navigation, view
    def go_to(self, index: int) -> None:
        self.pageview.go_to(index)

    def first_page(self) -> None:
        self.pageview.first_page()

    def last_page(self) -> None:
        self.pageview.last_page()

    def next_page(self) -> None:
        self.pageview.next_page()

    def prev_page(self) -> None:
        self.pageview.prev_page()

    def page_entry_go(self, event: tk.Event | None = None) -> str:
        try:
            self.go_to(int(self.page_entry.get()) - 1)
        except ValueError:
            self._update_status()
        self.pageview.canvas.focus_set()
        return "break"

    def toggle_thumbnails(self) -> None:
        self.thumbnails_shown = not self.thumbnails_shown
        if self.eml_view is not None:
            return  # a mail shows no side bar; the choice applies to the next paged document
        if self.thumbnails_shown:
            self.paned.insert(0, self.thumbnails, weight=0)
            self.update_idletasks()
            self.thumbnails.set_source(self.source)
        else:
            self.paned.forget(self.thumbnails)
            self.thumbnails.set_source(None)

    def show_search(self) -> None:
        self.searchbar.grid(row=1, column=0, sticky="we")
        self.searchbar.entry.focus_set()
        self.searchbar.entry.select_range(0, "end")

    def hide_search(self) -> None:
        if self._searchbar is not None:
            self._searchbar.grid_remove()
        if self.finder is not None:
            self.finder.reset()
        self.pageview.set_hits({})
        self.pageview.canvas.focus_set()

    def find(self, text: str, direction: int = 1) -> None:
        """Go to the next (1) or previous (-1) occurrence of ``text``; hits are highlighted."""
        if self.source is None:
            return
        if not text.strip():
            self.show_search()
            return
        if self.finder is None:
            from viewer.gui.search import Finder

            self.finder = Finder(self, self.source, self._search_result)
        self.finder.find(text, direction, self.pageview.current_page)

    def _search_result(self, hits: dict, current: tuple[int, int] | None, message: str) -> None:
        self.pageview.set_hits(hits, current)
        self.searchbar.message.configure(text=message)
        self.status.show_message(message)

    def _status_soon(self) -> None:
        """Update the status bar once the current burst of scrolling is handled."""
        if self._status_job is None:
            self._status_job = self.after_idle(self._update_status)

    def _update_status(self) -> None:
        if self._status_job is not None:
            self.after_cancel(self._status_job)
            self._status_job = None
        document = self.document
        opening = self.pageview.preview_path if document is None else None
        if opening is not None:  # page 1 shown before its document is open (viewer/gui/firstpage.py)
            self.status.set_opening(opening.name)
        else:
            self.status.set_document(document.name if document else "", document.source if document else "",
                                     bool(document and document.repaired))
        count = self.pageview.page_count
        current = self.pageview.current_page
        self.status.set_page(current, count)
        self.status.set_zoom(self.pageview.zoom if count else None)
        if self.focus_get() is not self.page_entry and self.page_entry.get() != (str(current + 1) if count else ""):
            self.page_entry.delete(0, "end")
            if count:
                self.page_entry.insert(0, str(current + 1))
        if self.page_count_label.cget("text") != f"/ {count}":
            self.page_count_label.configure(text=f"/ {count}")
        if self.thumbnails_shown and count:
            self.thumbnails.select(current)
        self._update_buttons(count)

    def _update_buttons(self, count: int) -> None:
        """Grey out what cannot apply: page tools, PDF and print without pages (a mail, nothing open)."""
        self.toolbar.set_enabled(PAGE_TOOLS, count > 0)
        self.page_entry.state(["!disabled"] if count else ["disabled"])
        self.toolbar.set_enabled(("pdf", "print"), count > 0)
        self.toolbar.set_enabled(("save",), self.document is not None)

    # ------------------------------------------------------------------ language
    def language_setting(self) -> str:
        return getattr(getattr(self.settings, "printing", None), "language", "auto") or "auto"

    def set_language(self, code: str) -> None:
        """Switch the interface language now and remember it (Settings.printing.language)."""
        i18n.set_language(code)
        self.language_var.set(code)
        if getattr(self.settings, "printing", None) is not None:
            self.settings.printing.language = code
            save_settings(self.settings)
        for window in (self.app.windows if self.app is not None else [self]):
            window.retranslate()

    def retranslate(self) -> None:
        apply_tk_language(self)
        for menu, index, key in self._menu_labels:
            try:
                menu.entryconfigure(index, label=_(key))
            except tk.TclError:
                pass
        for menu, index, accelerator in self._menu_accelerators:
            try:
                menu.entryconfigure(index, accelerator=accelerator_text(accelerator))
            except tk.TclError:
                pass
        if self._searchbar is not None:
            self._searchbar.retranslate()
        self.title(_("app.title_document", name=self.document.name) if self.document else _("app.title"))
        self._update_status()
        for callback in list(self._retranslate):
            callback()


def load_settings() -> Any:
    """The user's settings, or the defaults when the file is missing or broken."""
    from viewer import settings

    try:
        return settings.load()
    except Exception:  # a broken settings file must not stop the viewer; `spoolview settings check` explains
        log = logsetup.logger(__name__)
        log.warning("settings could not be read; using defaults", exc_info=True)
        defaults = settings.Settings()
        defaults.load_failed = True  # type: ignore[attr-defined]  # never write these over the file
        return defaults


def save_settings(value: Any) -> None:
    """Save the settings, unless they are stand-in defaults for a file that could not be read."""
    from viewer import settings

    if getattr(value, "load_failed", False):
        logsetup.logger(__name__).warning("settings not saved: the settings file could not be read and is kept as it is")
        return
    try:
        settings.save(value)
    except Exception:  # the choice still holds for this session
        log = logsetup.logger(__name__)
        log.warning("settings could not be saved", exc_info=True)


def _first_page_checked(document: Any) -> Any:
    """``document`` once its first page reads (a spool's page is checked when first used): a bad
    first page is an open error, before the window changes, not a failure halfway through showing it."""
    try:
        if document.page_count:
            document.page(0)
    except BaseException:
        document.close()
        raise
    return document
