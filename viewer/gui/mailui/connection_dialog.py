"""The Connection menu's windows: connect (profile + password), manage profiles, watch for a lost connection."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from viewer.gui.i18n import _
from viewer.gui.mailui.common import Notify, notifier, run_in_background
from viewer.gui.mailui.services import BackgroundTask, MailServices, error_text

CHECK_EVERY_MS = 15000


class ConnectDialog(tk.Toplevel):
    """Choose a profile, type the password, connect (off the UI thread). ``result`` True once connected."""

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
        names = services.profiles()
        ttk.Label(top, text=_("connection.field.profile")).grid(row=0, column=0, sticky="w", padx=4, pady=2)
        self.profile_var = tk.StringVar(value=names[0] if names else "")
        self.profile_box = ttk.Combobox(top, textvariable=self.profile_var, values=names, state="readonly", width=30)
        self.profile_box.grid(row=0, column=1, sticky="ew", padx=4)
        self.profile_box.bind("<<ComboboxSelected>>", lambda e: self._profile_changed())
        self.detail = ttk.Label(top, text="")
        self.detail.grid(row=1, column=1, sticky="w", padx=4)
        ttk.Label(top, text=_("connection.field.password")).grid(row=2, column=0, sticky="w", padx=4, pady=2)
        self.password_var = tk.StringVar()
        self.password_entry = ttk.Entry(top, textvariable=self.password_var, show="•", width=30)
        self.password_entry.grid(row=2, column=1, sticky="ew", padx=4)
        self.password_entry.bind("<Return>", lambda e: self.connect())
        self.message = ttk.Label(top, text="", style="Error.TLabel", wraplength=360)
        self.message.grid(row=3, column=0, columnspan=2, sticky="w", padx=4)
        self.progress = ttk.Progressbar(top, mode="indeterminate")
        buttons = ttk.Frame(top)
        buttons.grid(row=5, column=0, columnspan=2, sticky="e", pady=(8, 0))
        ttk.Button(buttons, text=_("connection.button.profiles"), command=self.manage).pack(side="left", padx=4)
        self.connect_button = ttk.Button(buttons, text=_("connection.button.connect"), command=self.connect, default="active")
        self.connect_button.pack(side="left", padx=4)
        ttk.Button(buttons, text=_("settings.button.cancel"), command=self.destroy).pack(side="left", padx=4)
        self._profile_changed()
        self.password_entry.focus_set()

    def _profile_changed(self) -> None:
        profile = self.services.settings.profiles.get(self.profile_var.get())
        self.detail.configure(text=f"{profile.user} @ {profile.url}" if profile else _("connection.no_profiles"))

    def manage(self) -> ProfilesDialog:  # type: ignore[override]  # opens the profiles; Tk's Wm.manage is never used
        """Open the profiles window; the list here follows when it closes."""
        dialog = ProfilesDialog(self, self.services, notify=self.notify)
        dialog.bind("<Destroy>", lambda e: self.refresh_profiles() if e.widget is dialog and self.winfo_exists() else None)
        return dialog

    def refresh_profiles(self) -> None:
        names = self.services.profiles()
        self.profile_box.configure(values=names)
        if self.profile_var.get() not in names:
            self.profile_var.set(names[0] if names else "")
        self._profile_changed()

    def entry_ok(self) -> str:
        if not self.profile_var.get():
            return _("connection.error.choose_profile")
        if not self.password_var.get():
            return _("connection.error.password")
        return ""

    def connect(self) -> bool:
        problem = self.entry_ok()
        if problem:
            self.message.configure(text=problem)
            self.notify("error", self.title(), problem)
            return False
        self.connect_button.configure(state="disabled")
        self.progress.grid(row=4, column=0, columnspan=2, sticky="ew", padx=4)
        self.progress.start(15)
        self.message.configure(text=_("connection.connecting"))
        self.task = BackgroundTask(self.services.connect, self.profile_var.get(), self.password_var.get())
        run_in_background(self, self.task, self._finished)
        return True

    def _finished(self, task: BackgroundTask) -> None:
        self.progress.stop()
        self.progress.grid_remove()
        self.connect_button.configure(state="normal")
        self.task = None
        self.password_var.set("")
        if task.error is not None:
            self.result = False
            text = error_text(task.error)
            self.message.configure(text=text)
            self.notify("error", self.title(), text)
            return
        self.result = True
        self.services._changed()
        if self.on_connected:
            self.on_connected()
        self.destroy()


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
        name, url, user = (self.vars[k].get().strip() for k in ("name", "url", "user"))
        if not name:
            return _("connection.error.profile_name")
        if not url.startswith(("http://", "https://")):
            return _("connection.error.url", url=url)
        if not user:
            return _("connection.error.user")
        return ""

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
