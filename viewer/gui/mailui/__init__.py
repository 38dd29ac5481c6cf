"""Mail windows of the viewer: mail/fax icons, records, Settings, Tools and Connection menus (``install``)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import Any

from viewer.gui.i18n import _
from viewer.gui.mailui.common import Notify, configure_styles, notifier
from viewer.gui.mailui.services import MailServices, error_text

__all__ = ["MailUi", "install"]

START_DELAY_MS = 1200
FOLLOW_MS = 15000  # how often a send whose answer was lost is asked about again


class MailUi:
    """What ``install`` hangs on the main window; every command is a plain method (tests call them)."""

    def __init__(self, window: Any, services: MailServices | None = None, *, notify: Notify | None = None,
                 start_delay_ms: int | None = START_DELAY_MS) -> None:
        self.window = window
        self.start_delay_ms = start_delay_ms  # None: no late start (no saved connection, no warm-up)
        self.root: tk.Misc = getattr(window, "root", None) or window
        if services is None:
            from viewer.settings_store import shared

            settings = getattr(window, "settings", None)
            store = shared()
            # The App hands every window the process's settings: then follow the one store (saving in
            # one window applies to all); a window given other settings (tests) keeps them to itself.
            services = MailServices(store=store) if settings is None or settings is store.settings else MailServices(settings)
        self.services = services
        self.notify = notifier(self.root, notify)
        self._notify_arg = notify
        self.dialogs: list[tk.Toplevel] = []
        self.route_tip: Any = None  # "click to change where mail goes" on the status bar's route
        from viewer.gui.mailui.connection_dialog import ConnectionMonitor

        self.monitor = ConnectionMonitor(self.root, services, on_lost=self.connection_lost)
        services.listeners.append(self._state_changed)
        self._following = False  # a look-up of unknown sends is running
        configure_styles(self.root)

    # -- hooks on the main window ---------------------------------------------------------
    def install(self) -> MailUi:
        w = self.window
        w.add_toolbar_button("mail", "mail", "mail.toolbar.mail", self.mail)
        w.add_toolbar_button("fax", "fax", "mail.toolbar.fax", self.fax)
        w.add_toolbar_button("records", records_icon(), "records.toolbar", self.records)
        w.add_menu_command("file", "mail.batch.menu", self.batch, after="menu.file.print")
        if hasattr(w, "on_drop_many"):
            w.on_drop_many = self.batch  # several files dropped on the window (where tkdnd exists): the batch window
        w.add_menu_command("connection", "connection.menu.connect", self.connect)
        self.disconnect_index = w.add_menu_command("connection", "connection.menu.disconnect", self.disconnect)
        menus = (
            ("connection", "connection.menu.profiles", self.profiles),
            ("tools", "tools.menu.records", self.records),
            ("tools", "tools.menu.test_mail", self.test_mail),
        )
        for menu, key, command in menus:
            w.add_menu_command(menu, key, command)
        # The debug trace is a switch: a check item showing whether it is on.
        self.trace_var = tk.BooleanVar(self.root, value=bool(self.services.settings.debug.trace))
        tools = w.menu("tools")
        tools.add_checkbutton(label=_("tools.menu.trace"), variable=self.trace_var,
                              command=lambda: self._trace(self.trace_var.get()))
        w.track_label(tools, "tools.menu.trace")
        self.trace_index = tools.index("end")
        more: tuple[tuple[str, str, Callable[[], Any]], ...] = (
            ("tools", "tools.menu.trace_load", self.trace_load),
            ("tools", "tools.menu.sent_folder", self.sent_folder),
            ("tools", "tools.menu.error_folder", self.error_folder),
            ("tools", "tools.menu.smtp_log", self.smtp_log),
            ("settings", "settings.menu.open", self.settings),
        )
        for menu, key, command in more:
            w.add_menu_command(menu, key, command)
        status = getattr(w, "status", None)
        link = getattr(status, "route_widget", None) or getattr(status, "route_label", None)
        if link is not None:  # the route in the status bar links to the settings
            link.bind("<Button-1>", lambda e: self.settings(self.route_screen()))
            link.configure(cursor="hand2")
            from viewer.gui.toolbar import Tooltip

            self.route_tip = Tooltip(link, lambda: _("mail.status.route_tip"))
        if callable(getattr(w, "add_retranslate", None)):
            w.add_retranslate(self.update_status)  # the route in the status bar follows the language
        self.update_status()
        if self.start_delay_ms is not None:
            self.root.after(self.start_delay_ms, self.late_start)  # after the first page is painted
        return self

    def late_start(self) -> None:
        """Pick up a saved connection, then warm the mail road up in the background."""
        if self.services.connection is None and self.services.resume_connection():
            self.connected()
        self.warm_up()

    def warm_up(self) -> None:
        """Load the mail road in the background so the first click on the mail icon is quick."""
        import gc
        import threading

        from viewer.gui.mailui.services import warm_up

        gc.collect()  # dead Tk objects go now, on this thread, not on the warm-up thread
        threading.Thread(target=warm_up, daemon=True, name="mailui-warm-up").start()

    def _state_changed(self) -> None:
        """The settings (saved in any window, or changed on disk) or the connection changed: follow them."""
        try:
            self._follow_settings()
            self.update_status()
        except tk.TclError:  # this window is gone: stop following
            self.services.close()

    def _follow_settings(self) -> None:
        settings = self.services.settings
        if getattr(self.window, "settings", None) is settings:
            return
        old_language = getattr(getattr(getattr(self.window, "settings", None), "printing", None), "language", None)
        try:
            self.window.settings = settings
        except AttributeError:
            pass
        if settings.printing.language != old_language and callable(getattr(self.window, "set_language", None)):
            self.window.set_language(settings.printing.language)  # the interface follows the Printing screen's choice

    def update_status(self) -> str:
        """The route in the status bar, and the menu entries that depend on the connection and trace."""
        text = self.services.status_text()
        status = getattr(self.window, "status", None)
        if status is not None and hasattr(status, "set_route"):
            status.set_route(text)
        menus = getattr(self.window, "menus", {})
        if "connection" in menus and hasattr(self, "disconnect_index"):
            menus["connection"].entryconfigure(self.disconnect_index,
                                               state="normal" if self.services.connection is not None else "disabled")
        if hasattr(self, "trace_var"):
            self.trace_var.set(bool(self.services.settings.debug.trace))
        return text

    def route_screen(self) -> str:
        """The settings screen of the route in force: direct SMTP ("functions") or pickup/service ("service")."""
        return "functions" if self.services.settings.functions.send_direct else "service"

    def _keep(self, dialog: Any) -> Any:
        if dialog is not None:
            self.dialogs.append(dialog)
        return dialog

    def _document(self) -> Any:
        return getattr(self.window, "current_document", None)

    def _open_path(self, path: Path) -> Any:
        opener = getattr(self.window, "open_path", None)
        if opener is None:
            raise OSError(f"cannot open {path}")
        return opener(path)

    # -- mail and fax icons -----------------------------------------------------------------
    def mail(self, address_type: str = "EMAIL") -> Any:
        """The mail icon: the pre-filled send dialog at once; the PDF (and a slow look-up) follow on workers."""
        from viewer.gui.mailui.send_dialog import SendDialog

        document = self._document()
        try:
            # The PDF is made once the dialog shows (Send waits for it); a slow look-up too.
            draft = self.services.prepare(document, address_type, defer_lookup=True, defer_attachment=True)
        except Exception as exc:  # noqa: BLE001 - a menu action: any failure is shown in a dialog, never a traceback
            self.notify("error", _("mail.dialog.title"), error_text(exc))
            return None
        dialog = SendDialog(self.root, self.services, draft, notify=self._notify_arg,
                            open_folder=self._folder, open_trace=self.trace_load,
                            open_settings=self.settings)
        return self._keep(dialog)

    def fax(self) -> Any:
        """The fax icon: the same with the FAX route."""
        return self.mail("FAX")

    def batch(self, paths: Any = ()) -> Any:
        """File > Send several documents…: the batch dialog (``paths``: documents already chosen, e.g. dropped)."""
        from viewer.gui.mailui.batch_dialog import BatchDialog

        dialog = BatchDialog(self.root, self.services, list(paths), notify=self._notify_arg)
        if not paths:
            dialog.after_idle(dialog.choose_files)  # from the menu: the file chooser at once (cancelled: the empty list)
        return self._keep(dialog)

    def records(self) -> Any:
        from viewer.gui.mailui.records import RecordsWindow

        return self._keep(RecordsWindow(self.root, self.services, document=self._document, open_send=self._send_to,
                                        notify=self._notify_arg))

    def _send_to(self, document: Any, **prepare: Any) -> Any:
        from viewer.gui.mailui.send_dialog import SendDialog

        try:
            draft = self.services.prepare(document, "EMAIL", defer_lookup=True, defer_attachment=True, **prepare)
        except Exception as exc:  # noqa: BLE001 - a menu action: any failure is shown in a dialog, never a traceback
            self.notify("error", _("mail.dialog.title"), error_text(exc))
            return None
        return self._keep(SendDialog(self.root, self.services, draft, notify=self._notify_arg,
                                     open_folder=self._folder, open_trace=self.trace_load,
                                     open_settings=self.settings))

    # -- settings ---------------------------------------------------------------------------
    def settings(self, screen: str | None = None) -> Any:
        from viewer.gui.mailui.settings_dialog import SettingsDialog

        return self._keep(SettingsDialog(self.root, self.services.settings, notify=self._notify_arg,
                                         on_saved=self._settings_saved, screen=screen, document=self._document()))

    def _settings_saved(self, settings: Any) -> None:
        """The settings dialog saved: every window of the process reads the new settings now."""
        self.services.reload_settings(settings)

    # -- tools --------------------------------------------------------------------------------
    def test_mail(self) -> Any:
        from viewer.gui.mailui.tools import MailTestDialog

        return self._keep(MailTestDialog(self.root, self.services, notify=self._notify_arg))

    def trace_on(self) -> None:
        self._trace(True)

    def trace_off(self) -> None:
        self._trace(False)

    def _trace(self, on: bool) -> None:
        try:
            folder = self.services.set_trace(on)
        except Exception as exc:  # noqa: BLE001 - a menu action: any failure is shown in a dialog, never a traceback
            self.notify("error", _("tools.trace.title"), error_text(exc))
            self.update_status()
            return
        self.update_status()
        self.notify("info", _("tools.trace.title"), _("tools.trace.on" if on else "tools.trace.off", folder=folder))

    def trace_load(self) -> Any:
        from viewer.gui.mailui.tools import TraceWindow

        window = TraceWindow(self.root, self.services, notify=self._notify_arg)
        window.load()
        return self._keep(window)

    def _folder(self, folder: str) -> Any:
        from viewer.gui.mailui.tools import FolderBrowser

        return self._keep(FolderBrowser(self.root, folder, open_path=self._open_path, notify=self._notify_arg))

    def sent_folder(self) -> Any:
        return self._folder(self.services.settings.copies.sent_folder)

    def error_folder(self) -> Any:
        return self._folder(self.services.settings.copies.error_folder)

    def smtp_log(self) -> Any:
        from viewer.gui.mailui.tools import SmtpLogViewer

        return self._keep(SmtpLogViewer(self.root, self.services))

    # -- connection -----------------------------------------------------------------------
    def connect(self) -> Any:
        from viewer.gui.mailui.connection_dialog import ConnectDialog

        # With no profile yet the dialog asks for the server too and creates the profile.
        return self._keep(ConnectDialog(self.root, self.services, notify=self._notify_arg, on_connected=self.connected))

    def connected(self) -> None:
        self.update_status()
        self.monitor.start()
        self.follow_unknown()

    def follow_unknown(self) -> None:
        """Ask the server, on a worker, what became of the sends whose answer was lost; say it once known.

        Runs when connected and again every FOLLOW_MS while some outcome is still unknown (a
        send dialog that ended on "unknown" is followed up the same way).
        """
        from viewer import unknown_sends
        from viewer.gui.mailui.common import run_in_background
        from viewer.gui.mailui.model import BackgroundTask

        connection = self.services.connection
        if self._following or connection is None or not self.services.connected:
            return
        pending = unknown_sends.of(connection.url, connection.profile.user)
        if not pending:
            return
        self._following = True
        task = BackgroundTask(lambda: [unknown_sends.resolve(connection, item) for item in pending], collect=False)
        run_in_background(self.root, task, self._unknown_followed)

    def _unknown_followed(self, task: Any) -> None:
        self._following = False
        found = list(task.result or [])
        for item in found:
            if item.known:
                self.notify("warning" if item.state == "partial" else "info", _("mail.unknown.title"), unknown_text(item))
        if task.error is not None or any(not item.known for item in found):
            self.root.after(FOLLOW_MS, self.follow_unknown)

    def disconnect(self) -> None:
        self.monitor.stop()
        self.services.disconnect()
        self.update_status()

    def profiles(self) -> Any:
        from viewer.gui.mailui.connection_dialog import ProfilesDialog

        return self._keep(ProfilesDialog(self.root, self.services, notify=self._notify_arg))

    def connection_lost(self) -> None:
        self.update_status()
        self.notify("warning", _("connection.menu.connect"), _("connection.lost", name=self.services.connection_name()))


def unknown_text(found: Any) -> str:
    """What became of a send whose answer was lost (an unknown_sends.Resolution), in the interface language."""
    document = found.item.document or ", ".join(found.item.recipients) or found.item.key
    if found.state == "absent":
        return _("mail.unknown.absent", document=document)
    lines = [_("mail.unknown.accepted", address=address) if ok else _("mail.unknown.refused", address=address, reply=reply)
             for address, ok, reply in found.recipients]
    key = "mail.unknown.sent" if found.state == "sent" else "mail.unknown.partial"
    return _(key, document=document) + "\n" + "\n".join(lines)


def records_icon(size: int = 48) -> Any:
    """The records icon (an address card), drawn with Pillow like the toolbar's own icons."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    u = size / 24
    d.rounded_rectangle((2 * u, 5 * u, 22 * u, 19 * u), radius=2 * u, outline=(60, 60, 70, 255), width=max(1, round(1.5 * u)),
                        fill=(250, 250, 252, 255))
    d.ellipse((5 * u, 8 * u, 10 * u, 13 * u), fill=(70, 110, 170, 255))
    d.pieslice((4 * u, 13 * u, 11 * u, 20 * u), 180, 360, fill=(70, 110, 170, 255))
    for y in (9, 12, 15):
        d.line((13 * u, y * u, 19 * u, y * u), fill=(60, 60, 70, 255), width=max(1, round(u)))
    return image


def install(window: Any, *, services: MailServices | None = None, notify: Notify | None = None,
            start_delay_ms: int | None = START_DELAY_MS) -> MailUi:
    """Add the mail/fax icons, the records window and the Connection/Tools/Settings menus to ``window``."""
    ui = MailUi(window, services, notify=notify, start_delay_ms=start_delay_ms).install()
    try:
        window.mailui = ui
    except AttributeError:
        pass
    return ui
