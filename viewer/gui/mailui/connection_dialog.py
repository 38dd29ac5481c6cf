"""The Connection menu's windows: connect (profile + password), manage profiles, watch for a lost connection."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from viewer.errors import SpoolviewError
from viewer.gui.i18n import _
from viewer.gui.mailui.common import Notify, notifier, run_in_background
from viewer.gui.mailui.services import BackgroundTask, MailServices, error_text
from viewer.gui.windows import dress

CHECK_EVERY_MS = 15000


class ConnectDialog(tk.Toplevel):
    """Choose a profile (or, with none yet, describe the server), type the password, connect off the UI thread.

    ``result`` is True once connected. When the settings still send from this computer,
    the dialog then says so and offers to send through the server in one click
    (``use_server``); otherwise it closes.
    """

    NEW_FIELDS = ("name", "url", "user", "ca_file")

    def __init__(self, parent: tk.Misc, services: MailServices, *, notify: Notify | None = None,
                 on_connected: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.notify = notifier(self, notify)
        self.on_connected = on_connected
        self.result: bool | None = None
        self.task: BackgroundTask | None = None
        self.title(_("connection.connect.title"))
        top = ttk.Frame(self, padding=10)
        top.pack(fill="both", expand=True)
        top.columnconfigure(1, weight=1)
        self.top = top
        names = services.profiles()
        self.creating = not names  # no profile yet: this dialog creates it
        self.new_vars = {name: tk.StringVar() for name in self.NEW_FIELDS}
        self.profile_var = tk.StringVar(value=names[0] if names else "")
        if self.creating:
            ttk.Label(top, text=_("connection.connect.first"), wraplength=380, justify="left").grid(
                row=0, column=0, columnspan=2, sticky="w", padx=4, pady=(0, 6))
            self.new_vars["name"].set(_("connection.connect.default_name"))
            for row, name in enumerate(self.NEW_FIELDS, start=1):
                ttk.Label(top, text=_(f"connection.field.{name}")).grid(row=row, column=0, sticky="w", padx=4, pady=2)
                ttk.Entry(top, textvariable=self.new_vars[name], width=36).grid(row=row, column=1, sticky="ew", padx=4)
            self.detail = ttk.Label(top, text="")
            row = len(self.NEW_FIELDS) + 1
        else:
            ttk.Label(top, text=_("connection.field.profile")).grid(row=0, column=0, sticky="w", padx=4, pady=2)
            self.profile_box = ttk.Combobox(top, textvariable=self.profile_var, values=names, state="readonly", width=30)
            self.profile_box.grid(row=0, column=1, sticky="ew", padx=4)
            self.profile_box.bind("<<ComboboxSelected>>", lambda e: self._profile_changed())
            self.detail = ttk.Label(top, text="")
            self.detail.grid(row=1, column=1, sticky="w", padx=4)
            row = 2
        ttk.Label(top, text=_("connection.field.password")).grid(row=row, column=0, sticky="w", padx=4, pady=2)
        self.password_var = tk.StringVar()
        self.password_entry = ttk.Entry(top, textvariable=self.password_var, show="•", width=30)
        self.password_entry.grid(row=row, column=1, sticky="ew", padx=4)
        self.password_entry.bind("<Return>", lambda e: self.connect())
        self.message = ttk.Label(top, text="", style="Error.TLabel", wraplength=380)
        self.message.grid(row=row + 1, column=0, columnspan=2, sticky="w", padx=4)
        self.progress = ttk.Progressbar(top, mode="indeterminate")
        self._progress_row = row + 2
        self.buttons = ttk.Frame(top)
        self.buttons.grid(row=row + 3, column=0, columnspan=2, sticky="e", pady=(8, 0))
        self.manage_button = ttk.Button(self.buttons, text=_("connection.button.profiles"), command=self.manage)
        if not self.creating:
            self.manage_button.pack(side="left", padx=4)
        self.connect_button = ttk.Button(self.buttons, text=_("connection.button.connect"), command=self.connect,
                                         default="active")
        self.connect_button.pack(side="left", padx=4)
        self.close_button = ttk.Button(self.buttons, text=_("settings.button.cancel"), command=self.destroy)
        self.close_button.pack(side="left", padx=4)
        self.use_server_button = ttk.Button(self.buttons, text=_("connection.button.use_server"), command=self.use_server)
        self._profile_changed()
        (self.password_entry if not self.creating else top.grid_slaves(row=1, column=1)[0]).focus_set()
        dress(self, "connect")

    def _profile_changed(self) -> None:
        if self.creating:
            return
        profile = self.services.settings.profiles.get(self.profile_var.get())
        self.detail.configure(text=f"{profile.user} @ {profile.url}" if profile else _("connection.no_profiles"))

    def manage(self) -> ProfilesDialog:  # type: ignore[override]  # opens the profiles; Tk's Wm.manage is never used
        """Open the profiles window; the list here follows when it closes."""
        dialog = ProfilesDialog(self, self.services, notify=self.notify)
        dialog.bind("<Destroy>", lambda e: self.refresh_profiles() if e.widget is dialog and self.winfo_exists() else None)
        return dialog

    def refresh_profiles(self) -> None:
        if self.creating:
            return
        names = self.services.profiles()
        self.profile_box.configure(values=names)
        if self.profile_var.get() not in names:
            self.profile_var.set(names[0] if names else "")
        self._profile_changed()

    def entry_ok(self) -> str:
        if self.creating:
            problem = profile_problem(*(self.new_vars[k].get().strip() for k in ("name", "url", "user")))
            if problem:
                return problem
        elif not self.profile_var.get():
            return _("connection.error.choose_profile")
        if not self.password_var.get():
            return _("connection.error.password")
        return ""

    def _create_profile(self) -> str:
        """Save the profile typed here; returns an error text or ''."""
        from viewer import settings as settings_mod
        from viewer.settings import ConnectionProfile

        values = {k: self.new_vars[k].get().strip() for k in self.NEW_FIELDS}
        self.services.settings.profiles[values["name"]] = ConnectionProfile(**values)
        try:
            settings_mod.save(self.services.settings)
        except (SpoolviewError, OSError) as exc:  # the settings file cannot be written
            del self.services.settings.profiles[values["name"]]
            return error_text(exc)
        self.profile_var.set(values["name"])
        return ""

    def connect(self) -> bool:
        problem = self.entry_ok() or (self._create_profile() if self.creating else "")
        if problem:
            self.message.configure(text=problem)
            self.notify("error", self.title(), problem)
            return False
        self.connect_button.configure(state="disabled")
        self.progress.grid(row=self._progress_row, column=0, columnspan=2, sticky="ew", padx=4)
        self.progress.start(15)
        self.message.configure(text=_("connection.connecting"), style="TLabel")
        self.task = BackgroundTask(self.services.connect, self.profile_var.get(), self.password_var.get())
        run_in_background(self, self.task, self._finished)
        return True

    def sends_locally(self) -> bool:
        """True when, connected, mail would still leave from this computer (S4/S5 switches off)."""
        s = self.services.settings
        return not (s.functions.use_server_functions if s.functions.send_direct else s.service.use_server_service)

    def _finished(self, task: BackgroundTask) -> None:
        self.progress.stop()
        self.progress.grid_remove()
        self.connect_button.configure(state="normal")
        self.task = None
        self.password_var.set("")
        if task.error is not None:
            self.result = False
            text = self.services.error_message(task.error)  # in words first, the technical detail below
            self.message.configure(text=text, style="Error.TLabel")
            self.notify("error", self.title(), text)
            return
        self.result = True
        self.creating = False
        self.services._changed()
        if self.on_connected:
            self.on_connected()
        if not self.sends_locally():
            self.destroy()
            return
        # Connected, but mail still leaves from here: say so, offer the switch in one click.
        self.message.configure(text=_("connection.connected_local", name=self.services.connection_name()),
                               style="TLabel")
        self.manage_button.pack_forget()
        self.connect_button.pack_forget()
        self.close_button.pack_forget()
        self.use_server_button.pack(side="left", padx=4)
        self.close_button.configure(text=_("mail.button.close"))
        self.close_button.pack(side="left", padx=4)
        self.use_server_button.focus_set()

    def use_server(self) -> str:
        """Send through the application server from now on (both switches), saved; returns an error text or ''."""
        from viewer import settings as settings_mod

        s = self.services.settings
        s.service.use_server_service = True
        s.functions.use_server_functions = True
        try:
            settings_mod.save(s)
        except (SpoolviewError, OSError) as exc:  # the settings file cannot be written
            text = error_text(exc)
            self.notify("error", self.title(), text)
            return text
        self.services._changed()
        self.destroy()
        return ""


def profile_problem(name: str, url: str, user: str) -> str:
    """What is wrong with a profile's name, URL and user, in words ('' when nothing)."""
    if not name:
        return _("connection.error.profile_name")
    if not url.startswith(("http://", "https://")):
        return _("connection.error.url", url=url)
    if not user:
        return _("connection.error.user")
    return ""


class ProfilesDialog(tk.Toplevel):
    """Add, change and delete connection profiles (name, URL, user, CA file); saved at once."""

    FIELDS = ("name", "url", "user", "ca_file")

    def __init__(self, parent: tk.Misc, services: MailServices, *, notify: Notify | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.notify = notifier(self, notify)
        self.title(_("connection.profiles.title"))
        top = ttk.Frame(self, padding=10)
        top.pack(fill="both", expand=True)
        top.columnconfigure(1, weight=1)
        self.list = ttk.Treeview(top, columns=("name", "url", "user"), show="headings", height=6)
        for col in ("name", "url", "user"):
            self.list.heading(col, text=_(f"connection.field.{col}"))
        self.list.grid(row=0, column=0, columnspan=2, sticky="nsew", pady=4)
        self.list.bind("<<TreeviewSelect>>", lambda e: self._selected())
        self.vars = {name: tk.StringVar() for name in self.FIELDS}
        for row, name in enumerate(self.FIELDS, start=1):
            ttk.Label(top, text=_(f"connection.field.{name}")).grid(row=row, column=0, sticky="w", padx=4, pady=2)
            ttk.Entry(top, textvariable=self.vars[name], width=44).grid(row=row, column=1, sticky="ew", padx=4)
        buttons = ttk.Frame(top)
        buttons.grid(row=6, column=0, columnspan=2, sticky="e", pady=(8, 0))
        ttk.Button(buttons, text=_("connection.button.save"), command=self.save_profile).pack(side="left", padx=4)
        ttk.Button(buttons, text=_("connection.button.delete"), command=self.delete_profile).pack(side="left", padx=4)
        ttk.Button(buttons, text=_("mail.button.close"), command=self.destroy).pack(side="left", padx=4)
        self.refresh()
        dress(self, "profiles")

    def refresh(self) -> None:
        self.list.delete(*self.list.get_children())
        for name in self.services.profiles():
            p = self.services.settings.profiles[name]
            self.list.insert("", "end", iid=name, values=(name, p.url, p.user))

    def _selected(self) -> None:
        chosen = self.list.selection()
        if chosen:
            profile = self.services.settings.profiles[chosen[0]]
            for name in self.FIELDS:
                self.vars[name].set(getattr(profile, name))

    def entry_ok(self) -> str:
        return profile_problem(*(self.vars[k].get().strip() for k in ("name", "url", "user")))

    def save_profile(self) -> str:
        from viewer.settings import ConnectionProfile

        problem = self.entry_ok()
        if problem:
            self.notify("error", self.title(), problem)
            return problem
        values = {k: self.vars[k].get().strip() for k in self.FIELDS}
        self.services.settings.profiles[values["name"]] = ConnectionProfile(**values)
        return self._save()

    def delete_profile(self) -> str:
        name = self.vars["name"].get().strip()
        if name not in self.services.settings.profiles:
            return ""
        del self.services.settings.profiles[name]
        for var in self.vars.values():
            var.set("")
        return self._save()

    def _save(self) -> str:
        from viewer import settings as settings_mod

        try:
            settings_mod.save(self.services.settings)
        except Exception as exc:  # noqa: BLE001 - any connection failure is shown in the dialog
            text = error_text(exc)
            self.notify("error", self.title(), text)
            return text
        self.refresh()
        return ""


class ConnectionMonitor:
    """Asks the server now and then whether the session holds; a lost connection shows in the status bar."""

    def __init__(self, widget: tk.Misc, services: MailServices, *, every_ms: int = CHECK_EVERY_MS,
                 on_lost: Callable[[], None] | None = None) -> None:
        self.widget = widget
        self.services = services
        self.every_ms = every_ms
        self.on_lost = on_lost
        self.job: str | None = None
        self.task: BackgroundTask | None = None

    def start(self) -> None:
        self.stop()
        self.job = self.widget.after(self.every_ms, self.check)

    def stop(self) -> None:
        if self.job:
            try:
                self.widget.after_cancel(self.job)
            except tk.TclError:
                pass
            self.job = None

    def check(self) -> None:
        """Probe once in the background; reschedule while connected."""
        self.job = None
        if self.services.connection is None or self.services.connection_lost or self.task is not None:
            return
        self.task = BackgroundTask(self.services.alive, collect=False)
        run_in_background(self.widget, self.task, self._probed)

    def _probed(self, task: BackgroundTask) -> None:
        self.task = None
        if self.services.connection is None:
            return
        if task.error is not None or not task.result:
            self.services.mark_lost()
            if self.on_lost:
                self.on_lost()
            return
        self.job = self.widget.after(self.every_ms, self.check)
