"""The send dialog: a pre-filled mail (To, Cc, Bcc, subject, body, attachments, protection), sent off the UI thread."""

from __future__ import annotations

import functools
import gc
import tkinter as tk
from collections.abc import Callable
from tkinter import filedialog, ttk
from typing import Any

from viewer.gui.i18n import _
from viewer.gui.mailui.common import Notify, human_size, notifier, run_in_background
from viewer.gui.mailui.richtext import RichEditor
from viewer.gui.mailui.services import (
    FAX_TYPES,
    PROTECTIONS,
    AttachmentItem,
    BackgroundTask,
    Draft,
    MailServices,
    SendReport,
    error_text,
)
from viewer.gui.theme import PALETTE
from viewer.gui.windows import dress

COMPLETION_DELAY_MS = 200
DOCUMENT_ROW = "document"  # the attachment row of the document while its PDF is made (or when it failed)
# The workers (recipient look-up, PDF) start once the dialog is drawn: a worker holding the GIL
# (PyMuPDF's C calls keep it) would stall every event the drawing needs. A dialog shown but never
# exposed (covered whole) starts them after this delay anyway.
DRAWN_WAIT_MS = 400


class SendDialog(tk.Toplevel):
    """Edit and send one draft. ``result`` holds the SendReport once the send has finished."""

    def __init__(self, parent: tk.Misc, services: MailServices, draft: Draft, *, notify: Notify | None = None,
                 ask_files: Callable[[], Any] | None = None,
                 open_folder: Callable[[str], None] | None = None,
                 open_trace: Callable[[], None] | None = None,
                 open_settings: Callable[[str], Any] | None = None) -> None:
        super().__init__(parent)
        self.open_settings = open_settings
        self.services = services
        self.draft = draft
        self.notify = notifier(self, notify)
        self.ask_files = ask_files or (lambda: filedialog.askopenfilenames(parent=self))
        self.open_folder = open_folder
        self.open_trace = open_trace
        self.result: SendReport | None = None
        self.task: Any = None
        self.preview: Any = None
        self._completion_job: str | None = None
        self._workers_job: str | None = None  # the look-up and PDF workers, waiting for the dialog to be drawn
        self._expose_binding = ""
        self.lookup_task: BackgroundTask | None = None
        self.attachment_task: BackgroundTask | None = None  # the document's PDF being made
        self._completion_seq = 0  # only the latest completion request is shown
        fax = draft.address_type in FAX_TYPES
        self.title(_("mail.dialog.title_fax" if fax else "mail.dialog.title") + (f" — {draft.subject}" if draft.subject else ""))
        self.transient(parent.winfo_toplevel())
        self._build()
        dress(self, "send", close=self.close)
        self._start_workers_when_drawn()

    # -- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        d = self.draft
        top = ttk.Frame(self, padding=8)
        top.pack(fill="both", expand=True)
        top.columnconfigure(1, weight=1)
        self.to_var, self.cc_var, self.bcc_var = tk.StringVar(value=d.to), tk.StringVar(value=d.cc), tk.StringVar(value=d.bcc)
        self.subject_var = tk.StringVar(value=d.subject)
        self.address_boxes: dict[str, ttk.Entry] = {}
        for row, (key, var) in enumerate((("to", self.to_var), ("cc", self.cc_var), ("bcc", self.bcc_var))):
            ttk.Label(top, text=_(f"mail.field.{key}")).grid(row=row, column=0, sticky="w", padx=4, pady=2)
            box = ttk.Entry(top, textvariable=var, width=62)
            box.grid(row=row, column=1, sticky="ew", padx=4, pady=2)
            box.bind("<KeyRelease>", functools.partial(self._completion_key, box))
            box.bind("<Down>", functools.partial(self._down_key, box))
            box.bind("<Escape>", self._escape_suggestions)
            self.address_boxes[key] = box
        self.to_box = self.address_boxes["to"]
        # Completion: the directory's matches in a list under the field being typed.
        self.suggestions = tk.Listbox(top, height=6, exportselection=False, activestyle="dotbox")
        self.suggestions.bind("<Return>", lambda e: self.accept_suggestion())
        self.suggestions.bind("<Double-1>", lambda e: self.accept_suggestion())
        self.suggestions.bind("<Escape>", self._escape_suggestions)
        self._suggest_box: ttk.Entry | None = None
        row = 3
        self.lookup_label = ttk.Label(top, text=self._lookup_words(), style="Error.TLabel", wraplength=520)
        self.lookup_label.grid(row=row, column=1, sticky="w", padx=4)
        if not self._lookup_words():
            self.lookup_label.grid_remove()
        row += 1
        ttk.Label(top, text=_("mail.field.subject")).grid(row=row, column=0, sticky="w", padx=4, pady=2)
        self.subject_entry = ttk.Entry(top, textvariable=self.subject_var, width=60)
        self.subject_entry.grid(row=row, column=1, sticky="ew", padx=4, pady=2)
        row += 1
        self._build_body(top, row)
        top.rowconfigure(row, weight=1)
        row += 1
        self._build_attachments(top, row)
        row += 1
        self.protection_var = tk.StringVar(value=d.protection or "no-modify")
        self.password_var = tk.StringVar(value=d.password)
        if d.ask_protection:
            frame = ttk.Frame(top)
            frame.grid(row=row, column=1, sticky="ew", padx=4, pady=2)
            ttk.Label(top, text=_("mail.field.protection")).grid(row=row, column=0, sticky="w", padx=4)
            self.protection_box = ttk.Combobox(frame, state="readonly", width=24,
                                               values=[_(f"mail.protection.{p}") for p in PROTECTIONS])
            self.protection_box.current(PROTECTIONS.index(self.protection_var.get()))
            self.protection_box.bind("<<ComboboxSelected>>", self._protection_changed)
            self.protection_box.grid(row=0, column=0, sticky="w")
            ttk.Label(frame, text=_("mail.field.password")).grid(row=0, column=1, padx=(12, 4))
            self.password_entry = ttk.Entry(frame, textvariable=self.password_var, show="•", width=18)
            self.password_entry.grid(row=0, column=2, sticky="ew")
            frame.columnconfigure(2, weight=1)
            # What is typed can be shown (no second field to retype), and how strong it is is said.
            self.show_password = tk.BooleanVar(value=False)
            self.eye = ttk.Checkbutton(frame, text=_("mail.password.show"), variable=self.show_password,
                                       command=lambda: self.password_entry.configure(
                                           show="" if self.show_password.get() else "•"))
            self.eye.grid(row=0, column=3, padx=(6, 0))
            self.strength_label = ttk.Label(frame, text="", style="Muted.TLabel")
            self.strength_label.grid(row=1, column=2, columnspan=2, sticky="w")
            self.password_var.trace_add("write", lambda *_a: self._rate_password())
            self._protection_changed()
            row += 1
        ttk.Label(top, text=_("mail.field.route")).grid(row=row, column=0, sticky="w", padx=4)
        self.route_label = ttk.Label(top, text=d.route_text, wraplength=520)
        self.route_label.grid(row=row, column=1, sticky="w", padx=4, pady=2)
        row += 1
        self.progress = ttk.Progressbar(top, mode="indeterminate")
        self.progress.grid(row=row, column=1, sticky="ew", padx=4, pady=2)
        self.progress.grid_remove()
        row += 1
        self.outcome = tk.Text(top, height=4, width=60, state="disabled", wrap="word")
        self.outcome.grid(row=row, column=0, columnspan=2, sticky="ew", padx=4, pady=2)
        self.outcome.grid_remove()
        row += 1
        buttons = ttk.Frame(top)
        buttons.grid(row=row, column=0, columnspan=2, sticky="e", pady=(6, 0))
        self.error_button = ttk.Button(buttons, text=_("mail.button.error_folder"), command=self.show_error_folder)
        self.trace_button = ttk.Button(buttons, text=_("mail.button.trace"), command=self.show_trace)
        self.send_button = ttk.Button(buttons, text=_("mail.button.send"), command=self.send, default="active")
        self.close_button = ttk.Button(buttons, text=_("mail.button.close"), command=self.close)
        self.another_button = ttk.Button(buttons, text=_("mail.button.another"), command=self.another_recipient)
        self.send_button.pack(side="left", padx=4)
        self.close_button.pack(side="left", padx=4)
        if d.lookup_pending:
            self._show_lookup_pending()
        self._update_send()

    # -- the workers: started once the dialog is on screen -------------------------------------
    def _start_workers_when_drawn(self) -> None:
        """Start the look-up and the conversion at the first idle moment after the dialog's widgets
        were exposed (drawn), or at once when the dialog is not shown (its parent withdrawn)."""
        if not (self.draft.lookup_pending or self.draft.attachment_pending):
            return
        if not self.winfo_ismapped():  # nothing will be drawn: no reason to wait
            self._workers_job = self.after_idle(self._start_workers)
            return
        self._expose_binding = self.bind("<Expose>", self._exposed, add="+")  # the toplevel's tag: every widget's Expose
        self._workers_job = self.after(DRAWN_WAIT_MS, self._start_workers)

    def _exposed(self, _event: object = None) -> None:
        # Each Expose moves the start to the idle moment after it: the redraws it asked for come first.
        if self._workers_job:
            self.after_cancel(self._workers_job)
        self._workers_job = self.after_idle(self._start_workers)

    def _start_workers(self) -> None:
        self._workers_job = None
        if self._expose_binding:
            self.unbind("<Expose>", self._expose_binding)
            self._expose_binding = ""
        if self.draft.lookup_pending:
            self._run_lookup()
        if self.draft.attachment_pending:
            self._run_attachment(self.draft.attached_protection or None, "", collect=not self.draft.lookup_pending)

    # -- the recipient look-up on a worker ---------------------------------------------
    def _show_lookup_pending(self) -> None:
        """The recipient is asked of the server (connected) or the local directory (not loaded yet)
        on a worker; the window is usable meanwhile."""
        self.to_var.set(_("mail.lookup.pending"))
        self.to_box.configure(state="disabled")
        self._shown_texts = (self.subject_var.get(), self.body_text.get("1.0", "end-1c"))

    def _run_lookup(self) -> None:
        self.lookup_task = BackgroundTask(self.services.fetch_recipient, self.draft.lookup_info, self.draft.address_type,
                                          name="mailui-lookup")
        run_in_background(self, self.lookup_task, self._recipient_arrived)

    def _recipient_arrived(self, task: Any) -> None:
        """The worker's answer (UI thread): fill To, say what the look-up found, refresh untouched texts."""
        d = self.draft
        self.services.apply_recipient(d, task.result, task.error)
        self.to_box.configure(state="normal")
        self.to_var.set(d.to)
        if self._lookup_words():
            self.lookup_label.configure(text=self._lookup_words())
            self.lookup_label.grid()
        else:
            self.lookup_label.grid_remove()
        subject, body = self._shown_texts
        if task.error is None and self.subject_var.get() == subject:  # the user has not typed one
            self.subject_var.set(d.subject)
            fax = d.address_type in FAX_TYPES
            self.title(_("mail.dialog.title_fax" if fax else "mail.dialog.title") + (f" — {d.subject}" if d.subject else ""))
        if task.error is None and not self.body_touched() and self.body_text.get("1.0", "end-1c") == body:
            self.set_body_html(d.html if d.html is not None else d.body)
        self._update_send()
        if not d.to:
            self.to_box.focus_set()

    def _lookup_words(self) -> str:
        """What the look-up says, and which directory answered when it was not the expected one."""
        return "\n".join(t for t in (self.draft.directory_note, self.draft.lookup_message) if t)

    def _build_body(self, top: ttk.Frame, row: int) -> None:
        """HTML allowed: a formatted editor first, the HTML source and a preview as secondary tabs; else plain text."""
        d = self.draft
        self.editor: RichEditor | None = None
        if d.html is not None:
            self.body_notebook = ttk.Notebook(top)
            self.body_notebook.grid(row=row, column=0, columnspan=2, sticky="nsew", padx=4, pady=4)
            self.editor = RichEditor(self.body_notebook, signature=self._signature)
            self.editor.set_html(d.html)
            source = ttk.Frame(self.body_notebook)
            self.body_text = tk.Text(source, height=12, width=70, wrap="word", undo=True)
            self.body_text.pack(fill="both", expand=True)
            self.body_text.insert("1.0", d.html)
            self.body_text.edit_modified(False)
            self.preview_frame = ttk.Frame(self.body_notebook)
            self.body_notebook.add(self.editor, text=_("mail.body.message"))
            self.body_notebook.add(source, text=_("mail.body.source"))
            self.body_notebook.add(self.preview_frame, text=_("mail.body.preview"))
            self._body_tab = 0
            self.body_notebook.bind("<<NotebookTabChanged>>", self._tab_changed)
        else:
            self.body_notebook = None  # type: ignore[assignment]  # plain-text mail: no tabs
            self.body_text = tk.Text(top, height=12, width=70, wrap="word", undo=True)
            self.body_text.grid(row=row, column=0, columnspan=2, sticky="nsew", padx=4, pady=4)
            self.body_text.insert("1.0", d.body)

    def _signature(self) -> str:
        """What the signature button adds: the sender's name from the From identity."""
        from email.utils import parseaddr

        name, address = parseaddr(self.services.settings.from_identity())
        return "-- \n" + (name or address)

    def _sync_body(self) -> None:
        """Carry the edits of the view being left over to the other one (editor <-> HTML source)."""
        if self.editor is None:
            return
        if self._body_tab == 0 and self.editor.text.edit_modified():
            self.body_text.delete("1.0", "end")
            self.body_text.insert("1.0", self.editor.get_html())
            self.body_text.edit_modified(False)
            self.editor.text.edit_modified(False)
        elif self._body_tab == 1 and self.body_text.edit_modified():
            self.editor.set_html(self.body_text.get("1.0", "end-1c"))
            self.body_text.edit_modified(False)

    def set_body_html(self, markup: str) -> None:
        """Replace the body in both views (a template filled in after the look-up)."""
        self.body_text.delete("1.0", "end")
        self.body_text.insert("1.0", markup)
        self.body_text.edit_modified(False)
        if self.editor is not None:
            self.editor.set_html(markup)

    def body_touched(self) -> bool:
        """True once the user changed the body in any view."""
        self._sync_body()
        return self.body_text.edit_modified() or (self.editor is not None and self.editor.text.edit_modified())

    def _build_attachments(self, top: ttk.Frame, row: int) -> None:
        ttk.Label(top, text=_("mail.field.attachments")).grid(row=row, column=0, sticky="nw", padx=4)
        frame = ttk.Frame(top)
        frame.grid(row=row, column=1, sticky="ew", padx=4, pady=2)
        frame.columnconfigure(0, weight=1)
        self.attachment_list = ttk.Treeview(frame, columns=("name", "size"), show="headings", height=3)
        self.attachment_list.heading("name", text=_("mail.attachments.name"))
        self.attachment_list.heading("size", text=_("mail.attachments.size"))
        self.attachment_list.column("size", width=90, anchor="e", stretch=False)
        self.attachment_list.tag_configure("pending", foreground=PALETTE["muted"])
        self.attachment_list.tag_configure("failed", foreground=PALETTE["error_text"])
        self.attachment_list.grid(row=0, column=0, rowspan=2, sticky="ew")
        ttk.Button(frame, text=_("mail.button.add"), command=self.add_attachments).grid(row=0, column=1, padx=4, sticky="ew")
        ttk.Button(frame, text=_("mail.button.remove"), command=self.remove_attachment).grid(row=1, column=1, padx=4, sticky="ew")
        # Why the document could not be attached, in words (shown only then).
        self.attachment_note = ttk.Label(frame, text="", style="Error.TLabel", wraplength=520)
        self.attachment_note.grid(row=2, column=0, columnspan=2, sticky="w")
        self.attachment_note.grid_remove()
        self._refresh_attachments()

    def _refresh_attachments(self) -> None:
        """The list: the document first (« Préparation du PDF… » while it is made, or why it failed), then the others."""
        d = self.draft
        self.attachment_list.delete(*self.attachment_list.get_children())
        if d.attachment_pending:
            self.attachment_list.insert("", "end", iid=DOCUMENT_ROW, values=(_("mail.attachments.preparing"), ""),
                                        tags=("pending",))
        elif d.attachment_error:
            self.attachment_list.insert("", "end", iid=DOCUMENT_ROW, values=(_("mail.attachments.failed"), ""),
                                        tags=("failed",))
        for index, item in enumerate(d.attachments):
            if item.from_document and d.attachment_pending:
                continue  # being made again (another protection): the row above says so
            self.attachment_list.insert("", "end", iid=str(index), values=(item.filename, human_size(item.size)))
        if d.attachment_error:
            self.attachment_note.configure(text=_("mail.attachments.error", error=d.attachment_error))
            self.attachment_note.grid()
        else:
            self.attachment_note.grid_remove()

    # -- the document's PDF on a worker ----------------------------------------------------------
    def _run_attachment(self, protect: str | None, password: str, *, then_send: bool = False, collect: bool = True) -> None:
        """Make the document's attachment on a worker (``protect``/``password``: the user's choice when the
        policy is "ask"); then attach it, and send when ``then_send``. The dialog never waits for it."""
        d = self.draft
        d.attachment_pending, d.attachment_error = True, ""
        self._refresh_attachments()
        self._update_send()
        if collect:
            # The young generations only (a few ms; a full collection of a viewer is 50-200 ms of a frozen
            # dialog): the dialogs closed since the warm-up's full collection are there, and collected
            # here, on Tk's thread, not by the worker's allocations.
            gc.collect(1)
        self.attachment_task = BackgroundTask(self.services.document_attachment, d.document, d.address_type, protect,
                                              password, collect=False, name="mailui-attachment")
        protection = protect or ""
        run_in_background(self, self.attachment_task,
                          lambda task: self._attachment_arrived(task, protection, then_send))

    def _attachment_arrived(self, task: BackgroundTask, protection: str, then_send: bool) -> None:
        """The worker's PDF (UI thread; not called once the dialog is closed: the work is dropped)."""
        d = self.draft
        self.attachment_task = None
        if task.error is None:
            self.services.attach(d, task.result, protection)
        elif then_send:  # a protection chosen at send could not be applied: say why, Send may be pressed again
            d.attachment_pending = False
            self._stop_progress()
            self._show_outcome(_("mail.status.failed") + "\n" + _("mail.attachments.error", error=error_text(task.error)),
                               ok=False)
        else:  # the document itself cannot be attached: the mail cannot go
            d.attachment_pending, d.attachment_error = False, error_text(task.error)
        self._refresh_attachments()
        self._update_send()
        if then_send and task.error is None:
            self._start_send()

    def _update_send(self) -> None:
        """Send is possible when the recipient look-up and the document's PDF are done, and no send runs."""
        d = self.draft
        busy = self.task is not None or d.lookup_pending or d.attachment_pending or bool(d.attachment_error)
        sent = self.result is not None and self.result.ok  # "another recipient" opens it again
        self.send_button.configure(state="disabled" if busy or sent else "normal")

    # -- behaviour ----------------------------------------------------------------------
    def _protection_changed(self, _event: object = None) -> None:
        self.protection_var.set(PROTECTIONS[self.protection_box.current()])
        on = self.protection_var.get() == "password"
        self.password_entry.configure(state="normal" if on else "disabled")
        self.eye.state(["!disabled"] if on else ["disabled"])
        self._rate_password()

    def _rate_password(self) -> str:
        """Say how strong the password to open is (nothing when the PDF has none)."""
        level = password_strength(self.password_var.get()) if self.protection_var.get() == "password" else ""
        self.strength_label.configure(text=_(f"mail.password.{level}") if level else "",
                                      style="Error.TLabel" if level == "weak" else "Ok.TLabel" if level == "strong"
                                      else "Muted.TLabel")
        return level

    def _tab_changed(self, _event: object = None) -> None:
        if self.body_notebook is None:
            return
        self._sync_body()
        self._body_tab = self.body_notebook.index("current")
        if self._body_tab == 2:
            self.refresh_preview()

    def refresh_preview(self) -> None:
        """Render the HTML source in the preview tab (tkinterweb, created on first use)."""
        source = self.body_text.get("1.0", "end-1c")
        if self.preview is None:
            # The preview takes the size of the source editor instead of tkhtml's own.
            self.preview_frame.configure(width=self.body_text.winfo_reqwidth(), height=self.body_text.winfo_reqheight())
            self.preview_frame.pack_propagate(False)
            try:
                from tkinterweb import HtmlFrame

                self.preview = HtmlFrame(self.preview_frame, messages_enabled=False)
            except Exception as exc:  # noqa: BLE001 - no tkhtml on this platform: show the source as text
                self.preview = tk.Text(self.preview_frame, wrap="word")
                self.preview.insert("1.0", error_text(exc))
            self.preview.pack(fill="both", expand=True)
        if hasattr(self.preview, "load_html"):
            self.preview.load_html(source)

    def _schedule_completion(self, event: tk.Event, box: ttk.Entry) -> None:
        if event.keysym in ("Return", "Tab", "Up", "Down", "Escape"):
            return
        if self._completion_job:
            self.after_cancel(self._completion_job)
        self._completion_job = self.after(COMPLETION_DELAY_MS, lambda: self.complete(box))

    def complete(self, box: ttk.Entry) -> list[str]:
        """Show the directory's matches for the address being typed in ``box``.

        Connected, the directory is the server's: asked on a worker thread, shown when it
        answers (if the text is still the same), so typing never waits for the network.
        """
        self._completion_job = None
        text = box.get()
        self._completion_seq += 1
        if self.services.connected:
            seq = self._completion_seq
            task = BackgroundTask(self.services.completions, text)
            run_in_background(self, task, lambda t: self._show_completions(box, t.result or [])
                              if seq == self._completion_seq and box.get() == text else None)
            return []
        return self._show_completions(box, self.services.completions(text))

    def _show_completions(self, box: ttk.Entry, values: list[str]) -> list[str]:
        self.suggestions.delete(0, "end")
        for value in values:
            self.suggestions.insert("end", value)
        if values:
            self._suggest_box = box
            self.suggestions.configure(height=min(6, len(values)))
            self.suggestions.place(in_=box, x=0, rely=1.0, relwidth=1.0)
            self.suggestions.lift()
        else:
            self.hide_suggestions()
        return values

    def _enter_suggestions(self, box: ttk.Entry) -> str | None:
        if self._suggest_box is not box or not self.suggestions.winfo_ismapped():
            return None
        self.suggestions.focus_set()
        self.suggestions.selection_clear(0, "end")
        self.suggestions.selection_set(0)
        self.suggestions.activate(0)
        return "break"

    def accept_suggestion(self, index: int | None = None) -> str:
        """Put the chosen suggestion in the field it was offered for."""
        box = self._suggest_box
        chosen = self.suggestions.curselection() if index is None else (index,)
        if box is None or not chosen:
            return ""
        value = self.suggestions.get(chosen[0])
        box.delete(0, "end")
        box.insert(0, value)
        box.icursor("end")
        self.hide_suggestions()
        box.focus_set()
        return value

    def _escape_suggestions(self, _event: object) -> str:
        self.hide_suggestions()
        return "break"

    def _completion_key(self, box: ttk.Entry, event: tk.Event) -> None:
        self._schedule_completion(event, box)

    def _down_key(self, box: ttk.Entry, _event: object) -> str | None:
        return self._enter_suggestions(box)

    def hide_suggestions(self) -> None:
        self.suggestions.place_forget()
        self._suggest_box = None

    def add_attachments(self, paths: Any = None) -> None:
        for path in paths if paths is not None else (self.ask_files() or ()):
            try:
                self.draft.attachments.append(AttachmentItem.from_path(path))
            except Exception as exc:  # noqa: BLE001 - any failure is shown in a dialog, never a traceback
                self.notify("error", _("mail.dialog.title"), error_text(exc))
        self._refresh_attachments()

    def remove_attachment(self) -> None:
        # The document's row while it is made (or failed) is not an entry of the list: it stays.
        for iid in sorted((int(i) for i in self.attachment_list.selection() if i != DOCUMENT_ROW), reverse=True):
            del self.draft.attachments[iid]
        self._refresh_attachments()

    def collect(self) -> Draft:
        """The draft as the fields now say."""
        d = self.draft
        if not d.lookup_pending:  # the To field shows the look-up placeholder meanwhile
            d.to = self.to_var.get().strip()
        d.cc, d.bcc = self.cc_var.get().strip(), self.bcc_var.get().strip()
        d.subject = self.subject_var.get()
        self._sync_body()
        text = self.body_text.get("1.0", "end-1c")
        if d.html is not None:
            d.html = text
        else:
            d.body = text
        if d.ask_protection:
            d.protection = self.protection_var.get()
            d.password = self.password_var.get()
        return d

    def entry_ok(self) -> str:
        """'' when the draft can be sent, else what to fix."""
        return self.services.check(self.collect())

    def send(self) -> bool:  # type: ignore[override]  # the dialog's send; Tk's Misc.send (Tcl 'send') is never used
        """Check, warn about a repeated send, then send on a worker thread (after converting the
        document again on a worker when the user chose another protection)."""
        d = self.draft
        if self.task is not None or d.lookup_pending or d.attachment_pending or d.attachment_error:
            return False  # Send is disabled meanwhile: never a mail without its document
        problem = self.entry_ok()
        title = self.title()
        if problem and problem == self.services.sender_problem() and self.open_settings is not None:
            if self.notify("yesno", title, problem + "\n\n" + _("mail.question.open_settings")):
                self.open_settings(self.services.sender_screen())
            return False
        if problem:
            self.notify("error", title, problem)
            return False
        guards = self.services.guards(self.draft)
        if guards.mismatches:  # never another customer's recipient without asking, naming both customers
            if not self.notify("yesno", title, self.services.mismatch_question(guards.mismatches)):
                return False
            self.draft.force = True
        if guards.already_sent and not self.notify("yesno", title, already_sent_question(guards.already_sent)):
            return False
        try:
            change = self.services.protection_change(self.draft)
        except Exception as exc:  # noqa: BLE001 - any failure is shown in a dialog, never a traceback
            self.notify("error", title, error_text(exc))
            return False
        self.services.refresh_settings()  # another window or process may have changed the route since
        self.draft.route_text = self.services.route_text(self.draft.address_type)
        self.route_label.configure(text=self.draft.route_text)
        self.send_button.configure(state="disabled")
        self.progress.grid()
        self.progress.start(15)
        if change is not None:  # the PDF with the protection chosen, on a worker; the send follows
            self._show_outcome(_("mail.status.preparing", route=self.draft.route_text))
            self._run_attachment(*change, then_send=True)
            return True
        self._start_send()
        return True

    def _start_send(self) -> None:
        self._show_outcome(_("mail.status.sending", route=self.draft.route_text))
        self.task = self.services.start_send(self.draft)
        self._update_send()
        run_in_background(self, self.task, self._finished)

    def _stop_progress(self) -> None:
        self.progress.stop()
        self.progress.grid_remove()

    def _finished(self, task: Any) -> None:
        self._stop_progress()
        report = task.result if task.error is None else self.services._failure(task.error)
        self.task = None
        self.result = report
        if report.route:  # the route the send took, and why when it fell back: the same words as the outcome
            self.draft.route_text = report.route
            self.route_label.configure(text=report.route)
        self.services.sent(report)
        # The outcome shows in one place, here in the dialog (no popup on top of it).
        if report.ok:
            self._show_outcome(_("mail.status.sent") + "\n" + report.text, ok=True)
            self.send_button.configure(state="disabled")
            self.another_button.pack(side="left", padx=4, before=self.send_button)
            self.another_button.focus_set()
            return
        self._show_outcome(report.message(_("mail.status.failed")), ok=False)
        self._update_send()  # may try again
        self.error_button.pack(side="left", padx=4, before=self.send_button)
        if report.trace_folder:
            self.trace_button.pack(side="left", padx=4, before=self.send_button)
        if report.kind == "signin" and self.open_settings is not None:
            # The provider's sign-in expired or was revoked: offer it at once (OAuth screen, « Se connecter… »).
            if self.notify("yesno", _("mail.dialog.title"), _("mail.question.sign_in")):
                self.open_settings("functions")

    def another_recipient(self) -> None:
        """After a send: the same mail to someone else, without reopening (To emptied, the rest kept)."""
        self.result = None
        self.another_button.pack_forget()
        self.to_var.set("")
        self._update_send()
        self._show_outcome(self.outcome_text() + "\n" + _("mail.status.another"), ok=True)
        self.to_box.focus_set()

    def _show_outcome(self, text: str, ok: bool | None = None) -> None:
        self.outcome.grid()
        colour = {True: PALETTE["ok_text"], False: PALETTE["error_text"]}.get(ok, PALETTE["text"]) if ok is not None \
            else PALETTE["text"]
        self.outcome.configure(state="normal", foreground=colour)
        self.outcome.delete("1.0", "end")
        self.outcome.insert("1.0", text)
        self.outcome.configure(state="disabled")

    def outcome_text(self) -> str:
        return self.outcome.get("1.0", "end-1c")

    def show_error_folder(self) -> None:
        folder = self.result.error_folder if self.result else self.services.settings.copies.error_folder
        if self.open_folder:
            self.open_folder(folder)
        else:
            from viewer.gui.mailui.tools import FolderBrowser

            FolderBrowser(self, folder)

    def show_trace(self) -> None:
        if self.open_trace:
            self.open_trace()
        else:
            from viewer.gui.mailui.tools import TraceWindow

            TraceWindow(self, self.services, notify=self.notify).load()

    def close(self) -> None:
        if self._completion_job:
            self.after_cancel(self._completion_job)
        if self._workers_job:
            self.after_cancel(self._workers_job)
        # A worker still running ends on its own: its poll stops with the window, its result is dropped.
        self.destroy()


def already_sent_question(entries: list[Any]) -> str:
    """The repeated-send question: to whom and when the document already went (newest send per recipient)."""
    from viewer.gui.i18n import language

    latest: dict[str, Any] = {}
    for entry in entries:  # newest first
        latest.setdefault(entry.recipient, entry)
    pattern = "%d/%m/%Y" if language() == "fr" else "%Y-%m-%d"
    lines = [_("mail.warning.already_sent_line", recipient=e.recipient, date=e.time.strftime(pattern),
               time=e.time.strftime("%H:%M")) for e in latest.values()]
    return _("mail.warning.already_sent_when") + "\n" + "\n".join(lines) + "\n\n" + _("mail.question.send_again")


def password_strength(password: str) -> str:
    """'' (empty), weak, fair or strong: length first, then the kinds of characters mixed."""
    if not password:
        return ""
    kinds = sum(any(test(c) for c in password) for test in (str.islower, str.isupper, str.isdigit,
                                                             lambda c: not c.isalnum()))
    if len(password) >= 14 and kinds >= 2 or len(password) >= 10 and kinds >= 3:
        return "strong"
    if len(password) >= 8 and kinds >= 2:
        return "fair"
    return "weak"


def open_send_dialog(parent: tk.Misc, services: MailServices, document: Any = None, address_type: str = "EMAIL", *,
                     notify: Notify | None = None, **prepare: Any) -> SendDialog | None:
    """Prepare a draft (look-up, templates) and show the dialog; errors shown, not raised.

    The document's PDF is made after the dialog is shown (Send waits for it), and so is the
    recipient look-up when it would be slow (connected, or the directory not loaded yet).
    """
    show = notifier(parent, notify)
    prepare.setdefault("defer_lookup", True)
    prepare.setdefault("defer_attachment", True)
    try:
        draft = services.prepare(document, address_type, **prepare)
    except Exception as exc:  # noqa: BLE001 - any failure is shown in a dialog, never a traceback
        show("error", _("mail.dialog.title"), error_text(exc))
        return None
    return SendDialog(parent, services, draft, notify=notify)
