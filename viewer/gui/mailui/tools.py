"""The Tools menu's windows: mail test utility, debug trace, copy/error folders, Smtp.log viewer."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import filedialog, ttk
from typing import Any

from viewer.gui.i18n import _
from viewer.gui.mailui.common import Notify, notifier, run_in_background
from viewer.gui.mailui.services import BackgroundTask, MailServices, SendReport, error_text
from viewer.gui.windows import close_bar, dress

ADDRESS_TYPES = ("EMAIL", "EMAIL2", "FAX", "FAX2")
FILTER_DELAY_MS = 150


class MailTestDialog(tk.Toplevel):
    """Divers > test mail: TYPE from the settings, To, subject, body, attachment; Send; a popup says how it went."""

    def __init__(self, parent: tk.Misc, services: MailServices, *, notify: Notify | None = None,
                 ask_file: Callable[[], str] | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.notify = notifier(self, notify)
        self.ask_file = ask_file or (lambda: filedialog.askopenfilename(parent=self))
        self.result: SendReport | None = None
        self.task: BackgroundTask | None = None
        self.title(_("tools.test.title"))
        top = ttk.Frame(self, padding=8)
        top.pack(fill="both", expand=True)
        top.columnconfigure(1, weight=1)
        self.type_var = tk.StringVar(value="EMAIL")
        ttk.Label(top, text=_("tools.test.type")).grid(row=0, column=0, sticky="w", padx=4, pady=2)
        self.type_box = ttk.Combobox(top, textvariable=self.type_var, values=ADDRESS_TYPES, state="readonly", width=10)
        self.type_box.grid(row=0, column=1, sticky="w", padx=4)
        self.type_box.bind("<<ComboboxSelected>>", lambda e: self._type_changed())
        self.template_label = ttk.Label(top, text="")
        self.template_label.grid(row=1, column=1, sticky="w", padx=4)
        self.to_var = tk.StringVar()
        self.subject_var = tk.StringVar(value=_("tools.test.default_subject"))
        self.attachment_var = tk.StringVar()
        for row, (key, var) in enumerate((("to", self.to_var), ("subject", self.subject_var)), start=2):
            ttk.Label(top, text=_(f"tools.test.{key}")).grid(row=row, column=0, sticky="w", padx=4, pady=2)
            ttk.Entry(top, textvariable=var, width=50).grid(row=row, column=1, columnspan=2, sticky="ew", padx=4, pady=2)
        ttk.Label(top, text=_("tools.test.body")).grid(row=4, column=0, sticky="nw", padx=4, pady=2)
        self.body = tk.Text(top, height=8, width=60, wrap="word")
        self.body.grid(row=4, column=1, columnspan=2, sticky="nsew", padx=4, pady=2)
        self.body.insert("1.0", _("tools.test.default_body"))
        ttk.Label(top, text=_("tools.test.attachment")).grid(row=5, column=0, sticky="w", padx=4, pady=2)
        ttk.Entry(top, textvariable=self.attachment_var, width=40).grid(row=5, column=1, sticky="ew", padx=4)
        ttk.Button(top, text="…", width=3, command=self.browse).grid(row=5, column=2, padx=2)
        self.route_label = ttk.Label(top, text="", wraplength=480)
        self.route_label.grid(row=6, column=1, columnspan=2, sticky="w", padx=4, pady=2)
        self.progress = ttk.Progressbar(top, mode="indeterminate")
        buttons = ttk.Frame(top)
        buttons.grid(row=8, column=0, columnspan=3, sticky="e", pady=(6, 0))
        self.send_button = ttk.Button(buttons, text=_("tools.test.send"), command=self.send, default="active")
        self.send_button.pack(side="left", padx=4)
        ttk.Button(buttons, text=_("mail.button.close"), command=self.destroy).pack(side="left", padx=4)
        self._type_changed()
        dress(self, "test-mail")

    def _type_changed(self) -> None:
        kind = self.type_var.get()
        template = self.services.settings.routing.template(kind) or _("tools.test.not_configured")
        self.template_label.configure(text=_("tools.test.template", template=template))
        self.route_label.configure(text=self.services.route_text(kind))

    def browse(self) -> None:
        chosen = self.ask_file()
        if chosen:
            self.attachment_var.set(chosen)

    def entry_ok(self) -> str:
        if not self.to_var.get().strip():
            return _("mail.error.no_recipient")
        attachment = self.attachment_var.get().strip()
        if attachment and not Path(attachment).is_file():
            return _("tools.test.no_file", path=attachment)
        return ""

    def send(self) -> bool:  # type: ignore[override]  # the dialog's send; Tk's Misc.send (Tcl 'send') is never used
        problem = self.entry_ok()
        if problem:
            self.notify("error", _("tools.test.title"), problem)
            return False
        self.send_button.configure(state="disabled")
        self.progress.grid(row=7, column=1, columnspan=2, sticky="ew", padx=4)
        self.progress.start(15)
        self.task = BackgroundTask(self.services.test_mail, self.type_var.get(), self.to_var.get().strip(),
                                   self.subject_var.get(), self.body.get("1.0", "end-1c"),
                                   self.attachment_var.get().strip())
        run_in_background(self, self.task, self._finished)
        return True

    def _finished(self, task: BackgroundTask) -> None:
        self.progress.stop()
        self.progress.grid_remove()
        self.send_button.configure(state="normal")
        report = task.result if task.error is None else self.services._failure(task.error)
        self.result = report
        self.task = None
        if report.ok:
            self.notify("info", _("tools.test.title"), _("tools.test.sent") + "\n" + report.text)
        else:
            self.notify("error", _("tools.test.title"), report.message(_("tools.test.failed")))


class TraceWindow(tk.Toplevel):
    """The debug trace, loaded from the trace folder, shown in a Trace tab."""

    def __init__(self, parent: tk.Misc, services: MailServices, *, notify: Notify | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.notify = notifier(self, notify)
        self.title(_("tools.trace.title"))
        self.close_button = close_bar(self, self.destroy, padding=(8, 0, 8, 8))
        self.notebook = ttk.Notebook(self)
        self.notebook.pack(fill="both", expand=True)
        frame = ttk.Frame(self.notebook)
        self.notebook.add(frame, text=_("tools.trace.tab"))
        self.text = tk.Text(frame, wrap="none", width=100, height=30)
        scroll = ttk.Scrollbar(frame, command=self.text.yview)
        self.text.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.text.pack(fill="both", expand=True)
        dress(self, "trace")

    def load(self, folder: str | None = None) -> str:
        try:
            content = self.services.load_trace(folder)
        except Exception as exc:  # noqa: BLE001 - any failure is shown in a dialog, never a traceback
            self.notify("error", _("tools.trace.title"), error_text(exc))
            return ""
        if not content.strip():
            content = _("tools.trace.empty", folder=folder or self.services.settings.debug.trace_folder)
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.insert("1.0", content)
        self.text.configure(state="disabled")
        return content

    def content(self) -> str:
        return self.text.get("1.0", "end-1c")


class FolderBrowser(tk.Toplevel):
    """The files of a copies/error folder; a double-click opens an .eml in the viewer, a .log as text."""

    def __init__(self, parent: tk.Misc, folder: str, *, open_path: Callable[[Path], Any] | None = None,
                 notify: Notify | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder)
        self.open_path = open_path
        self.notify = notifier(self, notify)
        self.title(str(self.folder))
        self.close_button = close_bar(self, self.destroy, padding=(8, 0, 8, 8))
        self.list = ttk.Treeview(self, columns=("name", "size", "date"), show="headings", height=16)
        for col, width in (("name", 360), ("size", 80), ("date", 150)):
            self.list.heading(col, text=_(f"tools.folder.{col}"))
            self.list.column(col, width=width)
        self.list.pack(fill="both", expand=True, padx=8, pady=8)
        self.list.bind("<Double-1>", lambda e: self.open_selected())
        self.list.bind("<Return>", lambda e: self.open_selected())
        self.text = tk.Text(self, height=8, wrap="word", state="disabled")
        self.text.pack(fill="both", padx=8, pady=(0, 8))
        self.refresh()
        dress(self, "folder")

    def refresh(self) -> list[Path]:
        import datetime

        self.list.delete(*self.list.get_children())
        try:
            files = sorted((p for p in self.folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)
        except FileNotFoundError:
            files = []
        for path in files:
            stat = path.stat()
            when = datetime.datetime.fromtimestamp(stat.st_mtime).strftime("%Y-%m-%d %H:%M:%S")
            self.list.insert("", "end", iid=str(path), values=(path.name, stat.st_size, when))
        if not files:
            self._show(_("tools.folder.empty", folder=self.folder))
        return files

    def open_selected(self, path: Path | None = None) -> None:
        if path is None:
            chosen = self.list.selection()
            if not chosen:
                return
            path = Path(chosen[0])
        if path.suffix.lower() in (".eml", ".txt") and self.open_path is not None:
            try:
                self.open_path(path)
            except Exception as exc:  # noqa: BLE001 - any failure is shown in a dialog, never a traceback
                self.notify("error", str(self.folder), error_text(exc))
            return
        try:
            self._show(path.read_text(encoding="utf-8", errors="replace"))
        except OSError as exc:
            self.notify("error", str(self.folder), error_text(exc))

    def _show(self, text: str) -> None:
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.insert("1.0", text)
        self.text.configure(state="disabled")

    def shown_text(self) -> str:
        return self.text.get("1.0", "end-1c")


class SmtpLogViewer(tk.Toplevel):
    """Smtp.log with a filter (any text: date, address, subject, file) and an errors-only switch."""

    ERROR_WORDS = ("error", "erreur", "refused", "refus", "fail", "échec")

    def __init__(self, parent: tk.Misc, services: MailServices) -> None:
        super().__init__(parent)
        self.services = services
        self.title(_("tools.log.title", path=services.smtp_log_path()))
        self.close_button = close_bar(self, self.destroy, padding=(6, 0, 6, 6))
        bar = ttk.Frame(self, padding=6)
        bar.pack(fill="x")
        ttk.Label(bar, text=_("tools.log.filter")).pack(side="left")
        self.filter_var = tk.StringVar()
        ttk.Entry(bar, textvariable=self.filter_var, width=40).pack(side="left", padx=4)
        self.errors_var = tk.BooleanVar(value=False)
        ttk.Checkbutton(bar, text=_("tools.log.errors_only"), variable=self.errors_var, command=self.refresh).pack(side="left", padx=4)
        ttk.Button(bar, text=_("tools.log.reload"), command=self.reload).pack(side="left", padx=4)
        self.count_label = ttk.Label(bar, text="")
        self.count_label.pack(side="right")
        self.text = tk.Text(self, wrap="none", width=120, height=25, state="disabled")
        self.text.pack(fill="both", expand=True, padx=6, pady=(0, 6))
        self._job: str | None = None
        self.filter_var.trace_add("write", lambda *a: self._schedule())
        self.lines: list[str] = []
        self.reload()
        dress(self, "smtp-log")

    def _schedule(self) -> None:
        if self._job:
            self.after_cancel(self._job)
        self._job = self.after(FILTER_DELAY_MS, self.refresh)

    def reload(self) -> None:
        self.lines = self.services.smtp_log_lines()
        self.refresh()

    def visible_lines(self) -> list[str]:
        needle = self.filter_var.get().strip().lower()
        out = []
        for line in self.lines:
            low = line.lower()
            if needle and needle not in low:
                continue
            if self.errors_var.get() and not any(w in low for w in self.ERROR_WORDS):
                continue
            out.append(line)
        return out

    def refresh(self) -> list[str]:
        self._job = None
        shown = self.visible_lines()
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.insert("1.0", "\n".join(shown) if self.lines else _("tools.log.missing", path=self.services.smtp_log_path()))
        self.text.configure(state="disabled")
        self.count_label.configure(text=_("tools.log.count", shown=len(shown), total=len(self.lines)))
        return shown
