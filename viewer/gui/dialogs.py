"""Modal dialogs of the viewer, each with testable validation (``entry_ok()``) and ``.result``.

Like idlelib's ``query.Query``: a dialog builds its widgets, then either waits for the
user (``wait_window``) or, when a *responder* is installed (tests), hands itself to the
responder, which fills fields and calls ``ok()``/``cancel()`` — the same code paths a
click takes. File choosers go through the same hook as :class:`FileRequest` objects::

    with dialogs.respond_with(lambda d: d.cancel()) as shown:
        window.open_path(path)
    assert shown[0].kind == "error"
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from tkinter import filedialog, ttk
from typing import Any

from viewer.gui.i18n import _, language

Responder = Callable[[Any], None]
_responders: list[Responder] = []
_shown: list[list[Any]] = []


@contextlib.contextmanager
def respond_with(responder: Responder) -> Iterator[list[Any]]:
    """While active, dialogs are not waited for: ``responder(dialog)`` answers them.

    Yields the list of every dialog and file request shown meanwhile.
    """
    shown: list[Any] = []
    _responders.append(responder)
    _shown.append(shown)
    try:
        yield shown
    finally:
        _responders.remove(responder)
        _shown.remove(shown)


def _intercepted(dialog: Any) -> bool:
    """Give ``dialog`` to the active responder; True when one answered it."""
    if not _responders:
        return False
    _shown[-1].append(dialog)
    _responders[-1](dialog)
    return True


class Dialog(tk.Toplevel):
    """A small modal dialog: ``body()`` builds fields, ``entry_ok()`` validates, ``.result``."""

    frame: ttk.Frame  # type: ignore[assignment]  # shadows Misc.frame() (the window id), never called

    kind = "dialog"

    def __init__(self, parent: tk.Misc, title: str, *, _utest: bool = False) -> None:
        super().__init__(parent)
        self.withdraw()
        self.parent = parent
        self.result: Any = None
        self.title(title)
        self.resizable(False, False)
        self.protocol("WM_DELETE_WINDOW", self.cancel)
        for sequence in ("<Escape>", "<Control-w>", "<Control-W>"):
            self.bind(sequence, lambda e: self.cancel())
        self.bind("<Return>", lambda e: self.ok())
        self.frame = ttk.Frame(self, padding=12)
        self.frame.pack(fill="both", expand=True)
        self.error_var = tk.StringVar(self)
        self.body(self.frame)
        self.error_label = ttk.Label(self.frame, textvariable=self.error_var, foreground="#b00020", wraplength=380)
        self.error_label.grid(row=90, column=0, columnspan=3, sticky="w", pady=(6, 0))
        self.buttons(self.frame)
        if _utest:
            return
        if _intercepted(self):
            if self.winfo_exists():
                self.destroy()
            return
        self._show()

    def _show(self) -> None:
        top = self.parent.winfo_toplevel()
        if top.winfo_viewable():  # a transient of a withdrawn window would stay hidden
            self.transient(top)
        self.update_idletasks()  # its size, computed while withdrawn: placed before it is mapped,
        self._place()  # never shown first in the screen's corner and then moved (a flash at start-up)
        self.deiconify()
        try:
            self.wait_visibility()
            self.grab_set()
        except tk.TclError:  # closed before it was even mapped
            return
        focus = self.initial_focus()
        if focus is not None:
            focus.focus_set()
        self.wait_window()

    def _place(self) -> None:
        top = self.parent.winfo_toplevel()
        x = top.winfo_rootx() + max(0, (top.winfo_width() - self.winfo_reqwidth()) // 2)
        y = top.winfo_rooty() + max(0, (top.winfo_height() - self.winfo_reqheight()) // 3)
        self.geometry(f"+{x}+{y}")

    def body(self, frame: ttk.Frame) -> None:  # pragma: no cover - overridden
        pass

    def initial_focus(self) -> tk.Widget | None:
        """The widget with the keyboard focus when shown: the default button, so Return and Escape work at once."""
        return getattr(self, "ok_button", None)

    def buttons(self, frame: ttk.Frame) -> None:
        box = ttk.Frame(frame)
        box.grid(row=99, column=0, columnspan=3, sticky="e", pady=(12, 0))
        self.ok_button = ttk.Button(box, text=_("button.ok"), command=self.ok, default="active")
        self.ok_button.pack(side="left", padx=4)
        self.cancel_button = ttk.Button(box, text=_("button.cancel"), command=self.cancel)
        self.cancel_button.pack(side="left")

    def entry_ok(self) -> Any:
        """The validated answer, or None after setting ``error_var`` to say what is wrong."""
        return True

    def ok(self) -> None:
        self.error_var.set("")
        value = self.entry_ok()
        if value is None:
            return
        self.result = value
        self.destroy()

    def cancel(self) -> None:
        self.result = None
        self.destroy()

    def destroy(self) -> None:
        try:
            self.grab_release()
        except tk.TclError:
            pass
        super().destroy()


class MessageDialog(Dialog):
    """An error or information message: ``.message`` is the text shown (OK only)."""

    def __init__(self, parent: tk.Misc, message: str, *, title: str | None = None, kind: str = "error",
                 _utest: bool = False) -> None:
        self.kind = kind
        self.message = message
        super().__init__(parent, title or _(f"dialog.{kind}.title"), _utest=_utest)

    def body(self, frame: ttk.Frame) -> None:
        icon = "::tk::icons::error" if self.kind == "error" else "::tk::icons::information"
        ttk.Label(frame, image=icon).grid(row=0, column=0, sticky="n", padx=(0, 10))
        ttk.Label(frame, text=self.message, wraplength=420, justify="left").grid(row=0, column=1, sticky="w")

    def buttons(self, frame: ttk.Frame) -> None:
        super().buttons(frame)
        self.cancel_button.pack_forget()


class QuestionDialog(Dialog):
    """A yes/no question; ``.result`` is True (yes) or None (no)."""

    kind = "question"

    def __init__(self, parent: tk.Misc, message: str, *, title: str, _utest: bool = False) -> None:
        self.message = message
        super().__init__(parent, title, _utest=_utest)

    def body(self, frame: ttk.Frame) -> None:
        ttk.Label(frame, image="::tk::icons::question").grid(row=0, column=0, sticky="n", padx=(0, 10))
        ttk.Label(frame, text=self.message, wraplength=420, justify="left").grid(row=0, column=1, sticky="w")

    def buttons(self, frame: ttk.Frame) -> None:
        super().buttons(frame)
        self.ok_button.configure(text=_("button.yes"))
        self.cancel_button.configure(text=_("button.no"))


class PasswordDialog(Dialog):
    """Asks for the password of an encrypted document; ``retry`` says the last one was wrong."""

    kind = "password"

    def __init__(self, parent: tk.Misc, filename: str, *, retry: bool = False, _utest: bool = False) -> None:
        self.filename = filename
        self.retry = retry
        super().__init__(parent, _("password.title"), _utest=_utest)

    def body(self, frame: ttk.Frame) -> None:
        ttk.Label(frame, text=_("password.prompt", name=self.filename), wraplength=380).grid(
            row=0, column=0, columnspan=2, sticky="w")
        if self.retry:
            ttk.Label(frame, text=_("password.wrong"), foreground="#b00020").grid(
                row=1, column=0, columnspan=2, sticky="w", pady=(4, 0))
        self.entry = ttk.Entry(frame, show="•", width=32)
        self.entry.grid(row=2, column=0, columnspan=2, sticky="we", pady=(8, 0))

    def initial_focus(self) -> tk.Widget:
        return self.entry

    def entry_ok(self) -> str | None:
        value = self.entry.get()
        if not value:
            self.error_var.set(_("password.empty"))
            return None
        return value


class GoToPageDialog(Dialog):
    """Asks for a page number between 1 and ``page_count``; ``.result`` is 0-based."""

    kind = "goto"

    def __init__(self, parent: tk.Misc, page_count: int, current: int = 0, *, _utest: bool = False) -> None:
        self.page_count = page_count
        self.current = current
        super().__init__(parent, _("goto.title"), _utest=_utest)

    def body(self, frame: ttk.Frame) -> None:
        ttk.Label(frame, text=_("goto.prompt", count=self.page_count)).grid(row=0, column=0, sticky="w")
        self.entry = ttk.Entry(frame, width=8)
        self.entry.insert(0, str(self.current + 1))
        self.entry.select_range(0, "end")
        self.entry.grid(row=0, column=1, sticky="w", padx=(8, 0))

    def initial_focus(self) -> tk.Widget:
        return self.entry

    def entry_ok(self) -> int | None:
        text = self.entry.get().strip()
        try:
            number = int(text)
        except ValueError:
            self.error_var.set(_("goto.not_a_number", text=text))
            return None
        if not 1 <= number <= self.page_count:
            self.error_var.set(_("goto.out_of_range", count=self.page_count))
            return None
        return number - 1


class SavePreviewDialog(Dialog):
    """V3: offers to save a copy of the spool; ``.result`` is True; ``dont_offer`` the checkbox."""

    kind = "save-preview"

    def __init__(self, parent: tk.Misc, filename: str, *, _utest: bool = False) -> None:
        self.filename = filename
        super().__init__(parent, _("savepreview.title"), _utest=_utest)

    def body(self, frame: ttk.Frame) -> None:
        ttk.Label(frame, text=_("savepreview.prompt", name=self.filename), wraplength=380).grid(
            row=0, column=0, sticky="w")
        self.dont_offer = tk.BooleanVar(self, value=False)
        ttk.Checkbutton(frame, text=_("savepreview.dont_offer"), variable=self.dont_offer).grid(
            row=1, column=0, sticky="w", pady=(8, 0))

    def buttons(self, frame: ttk.Frame) -> None:
        super().buttons(frame)
        self.ok_button.configure(text=_("savepreview.save"))
        self.cancel_button.configure(text=_("savepreview.skip"))


PROTECTION_MODES = ("none", "no-modify", "password")


@dataclass
class PdfChoice:
    """What the save-as-PDF dialog returns: protection mode and (for "password") the password."""

    mode: str = "none"
    password: str = field(default="", repr=False)


class SaveAsPdfDialog(Dialog):
    """F3: choose the protection of the PDF (none, no-modify, password to open)."""

    kind = "save-pdf"

    def __init__(self, parent: tk.Misc, *, mode: str = "none", _utest: bool = False) -> None:
        self.initial_mode = mode if mode in PROTECTION_MODES else "none"
        super().__init__(parent, _("savepdf.title"), _utest=_utest)

    def body(self, frame: ttk.Frame) -> None:
        self.mode = tk.StringVar(self, value=self.initial_mode)
        ttk.Label(frame, text=_("savepdf.protection")).grid(row=0, column=0, columnspan=2, sticky="w")
        for row, mode in enumerate(PROTECTION_MODES, start=1):
            ttk.Radiobutton(frame, text=_(f"savepdf.mode.{mode}"), value=mode, variable=self.mode,
                            command=self._mode_changed).grid(row=row, column=0, columnspan=2, sticky="w")
        ttk.Label(frame, text=_("savepdf.password")).grid(row=5, column=0, sticky="w", pady=(8, 0))
        self.password = ttk.Entry(frame, show="•", width=28)
        self.password.grid(row=5, column=1, sticky="we", pady=(8, 0))
        ttk.Label(frame, text=_("savepdf.confirm")).grid(row=6, column=0, sticky="w")
        self.confirm = ttk.Entry(frame, show="•", width=28)
        self.confirm.grid(row=6, column=1, sticky="we")
        self._mode_changed()

    def _mode_changed(self) -> None:
        state = "normal" if self.mode.get() == "password" else "disabled"
        self.password.configure(state=state)
        self.confirm.configure(state=state)

    def entry_ok(self) -> PdfChoice | None:
        mode = self.mode.get()
        if mode != "password":
            return PdfChoice(mode)
        password, confirm = self.password.get(), self.confirm.get()
        if not password:
            self.error_var.set(_("savepdf.password_empty"))
            return None
        if password != confirm:
            self.error_var.set(_("savepdf.password_mismatch"))
            return None
        return PdfChoice(mode, password)


@dataclass
class FileRequest:
    """A file chooser request, answered by a responder in tests (``.result`` = path or "";
    ``.results`` = the paths chosen for an "open_many" request)."""

    kind: str  # "open" | "open_many" | "save" | "directory"
    title: str
    initialdir: str = ""
    initialfile: str = ""
    filetypes: list[tuple[str, str]] = field(default_factory=list)
    result: str = ""
    results: list[str] = field(default_factory=list)

    def cancel(self) -> None:
        self.result = ""
        self.results = []


def ask_path(parent: tk.Misc, kind: str, title: str, *, initialdir: str = "", initialfile: str = "",
             filetypes: list[tuple[str, str]] | None = None) -> str:
    """A native file chooser (``kind`` open / save / directory); "" when cancelled."""
    request = FileRequest(kind, title, initialdir, initialfile, list(filetypes or []))
    if _intercepted(request):
        return request.result
    options: dict[str, Any] = {"parent": parent, "title": title}
    if initialdir:
        options["initialdir"] = initialdir
    if kind == "directory":
        return filedialog.askdirectory(**options) or ""
    if filetypes:
        options["filetypes"] = filetypes
    if kind == "save":
        return filedialog.asksaveasfilename(initialfile=initialfile, **options) or ""
    return filedialog.askopenfilename(**options) or ""


def ask_paths(parent: tk.Misc, title: str, *, initialdir: str = "",
              filetypes: list[tuple[str, str]] | None = None) -> list[str]:
    """A native file chooser for several files to open; [] when cancelled."""
    request = FileRequest("open_many", title, initialdir, "", list(filetypes or []))
    if _intercepted(request):
        return list(request.results)
    options: dict[str, Any] = {"parent": parent, "title": title}
    if initialdir:
        options["initialdir"] = initialdir
    if filetypes:
        options["filetypes"] = filetypes
    chosen = filedialog.askopenfilenames(**options)
    return [str(p) for p in parent.tk.splitlist(chosen)] if chosen else []


def show_error(parent: tk.Misc, message: str, *, title: str | None = None) -> MessageDialog:
    return MessageDialog(parent, message, title=title, kind="error")


def show_info(parent: tk.Misc, message: str, *, title: str | None = None) -> MessageDialog:
    return MessageDialog(parent, message, title=title, kind="info")


def ask_yes_no(parent: tk.Misc, message: str, *, title: str) -> bool:
    return bool(QuestionDialog(parent, message, title=title).result)


def user_message(exc: BaseException, *, named: str | Path = "") -> str:
    """What to tell a person about ``exc`` (never a traceback), in the interface language.

    ``named``: the document the sentence around already names (an error about it then
    starts at its page)."""
    from formats.document import DocumentError
    from viewer.errors import SpoolviewError

    if isinstance(exc, (DocumentError, SpoolviewError)):
        return document_error_text(exc, named=named)
    if isinstance(exc, FileNotFoundError):
        return _("error.not_found", path=exc.filename or "")
    if isinstance(exc, PermissionError):
        return _("error.permission", path=exc.filename or "")
    if isinstance(exc, OSError):
        return _("error.os", path=exc.filename or "", detail=exc.strerror or str(exc))
    return _("error.unexpected", detail=f"{type(exc).__name__}: {exc}")


def document_error_text(exc: BaseException, *, named: str | Path = "") -> str:
    """A DocumentError (or coded SpoolviewError) in the interface language: its place (file name, page,
    item, field), then what is wrong and what to do."""
    from viewer.messages import describe

    return describe(exc, language(), file_name_only=True, named=named)
