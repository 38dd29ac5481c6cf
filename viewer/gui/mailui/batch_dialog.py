"""File > Send several documents…: the list of documents and their recipients, the run with its progress, the results."""

from __future__ import annotations

import dataclasses
import gc
import queue
import threading
import tkinter as tk
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from tkinter import ttk
from typing import Any

from viewer.gui import dialogs
from viewer.gui.i18n import _
from viewer.gui.mailui.batchrun import (
    ACCEPTED,
    CANCELLED,
    NOT_SENT,
    OUTCOME_KEYS,
    BatchRun,
    DocResult,
    Finished,
    Row,
    Started,
    Waiting,
    look_up,
    recipient_problem,
    write_csv,
)
from viewer.gui.mailui.common import POLL_MS, Notify, notifier, run_in_background
from viewer.gui.mailui.model import BackgroundTask, error_text
from viewer.gui.mailui.services import MailServices
from viewer.gui.theme import PAD, PALETTE
from viewer.gui.windows import dress

ROW_COLUMNS = (("document", 180), ("kind", 70), ("number", 95), ("customer", 170), ("recipient", 230), ("note", 230))
RESULT_COLUMNS = (("document", 160), ("recipient", 210), ("route", 180), ("outcome", 425))
COUNT_KEYS = {
    "accepted": "mail.batch.count.accepted", "partly": "mail.batch.count.partly", "refused": "mail.batch.count.refused",
    "already": "mail.batch.count.already", "unreadable": "mail.batch.count.unreadable",
    "no_recipient": "mail.batch.count.no_recipient", "not_sent": "mail.batch.count.not_sent",
    "cancelled": "mail.batch.count.cancelled",
}


class BatchDialog(tk.Toplevel):
    """Pick documents, check or change each recipient, send them all through the send job, save the results."""

    def __init__(self, parent: tk.Misc, services: MailServices, paths: Sequence[str | Path] = (), *,
                 notify: Notify | None = None,
                 make_run: Callable[[MailServices], BatchRun] | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.notify = notifier(self, notify)
        self.make_run = make_run or (lambda s: BatchRun(s.settings))
        self.rows: list[Row] = []
        self.results: list[DocResult | None] = []
        self.looking_up = 0  # look-ups under way
        self.running = False
        self.finished = False
        self.cancel_event = threading.Event()
        self._events: queue.Queue[Any] = queue.Queue()
        self._close_after_run = False
        self._editing: int | None = None  # the line whose recipient the field shows
        self._failure = ""  # why the run stopped before the end, when it did
        self.worker: threading.Thread | None = None
        self._pending: set[Path] = set()  # documents whose look-up is under way (listed once, even if added twice)
        self.title(_("mail.batch.title"))
        self._build()
        dress(self, "batch", close=self.close)
        # Destroyed with its parent (the viewer quits) during a run: the worker stops after the document in hand.
        self.bind("<Destroy>", lambda e: self.cancel_event.set() if e.widget is self else None, add="+")
        self._update_buttons()
        if paths:
            self.add_paths(paths)

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        top = ttk.Frame(self, padding=PAD)
        top.pack(fill="both", expand=True)
        buttons = ttk.Frame(top)
        buttons.pack(side="bottom", fill="x", pady=(PAD, 0))  # packed first: always visible
        self.close_button = ttk.Button(buttons, text=_("mail.button.close"), command=self.close)
        self.close_button.pack(side="right")
        self.cancel_button = ttk.Button(buttons, text=_("mail.batch.cancel"), command=self.cancel)
        self.cancel_button.pack(side="right", padx=(0, PAD // 2))
        self.send_button = ttk.Button(buttons, text=_("mail.button.send"), command=self.send)
        self.send_button.pack(side="right", padx=(0, PAD // 2))
        self.csv_button = ttk.Button(buttons, text=_("mail.batch.save_csv"), command=self.save_csv)
        self.csv_button.pack(side="left")

        self.progress_frame = ttk.Frame(top)
        self.progress_frame.pack(side="bottom", fill="x", pady=(PAD // 2, 0))
        self.progress = ttk.Progressbar(self.progress_frame, mode="determinate", maximum=1)
        self.progress.pack(fill="x")
        self.progress_label = ttk.Label(self.progress_frame, text="", anchor="w")
        self.progress_label.pack(fill="x", pady=(PAD // 4, 0))

        self.edit_frame = ttk.Frame(top)
        self.edit_frame.pack(side="bottom", fill="x", pady=(PAD // 2, 0))
        ttk.Label(self.edit_frame, text=_("mail.batch.edit.label")).pack(side="left")
        self.recipient_var = tk.StringVar(self)
        self.recipient_entry = ttk.Entry(self.edit_frame, textvariable=self.recipient_var)
        self.recipient_entry.pack(side="left", fill="x", expand=True, padx=PAD // 2)
        self.recipient_entry.bind("<Return>", lambda e: (self.apply_recipient(), "break")[1])
        self.recipient_entry.bind("<KP_Enter>", lambda e: (self.apply_recipient(), "break")[1])
        self.apply_button = ttk.Button(self.edit_frame, text=_("mail.batch.edit.apply"), command=self.apply_recipient)
        self.apply_button.pack(side="left")
        # The selected line in full (a long note or server reply is cut in its column), or why an edit was refused.
        self.edit_message = ttk.Label(top, text="", style="Error.TLabel", anchor="w", justify="left")
        self.edit_message.pack(side="bottom", fill="x", pady=(PAD // 4, 0))
        self.edit_message.bind("<Configure>", lambda e: self.edit_message.configure(wraplength=max(100, e.width - 4)))

        bar = ttk.Frame(top)
        bar.pack(side="top", fill="x")
        self.add_button = ttk.Button(bar, text=_("mail.batch.add"), command=self.choose_files)
        self.add_button.pack(side="left")
        self.remove_button = ttk.Button(bar, text=_("mail.button.remove"), command=self.remove_selected)
        self.remove_button.pack(side="left", padx=(PAD // 2, 0))
        self.route_label = ttk.Label(bar, text="", style="Muted.TLabel", anchor="e", width=1)
        self.route_label.pack(side="right", fill="x", expand=True, padx=(PAD, 0))
        self.route_label.bind("<Configure>", lambda e: self._fit_route())
        self._route_text = ""
        self.hint = ttk.Label(top, text=_("mail.batch.hint"), style="Muted.TLabel", anchor="w")
        self.hint.pack(side="top", fill="x", pady=(PAD // 2, PAD // 4))

        self.lists = ttk.Frame(top)
        self.lists.pack(side="top", fill="both", expand=True)
        self.rows_frame, self.tree = self._tree(ROW_COLUMNS, "mail.batch.column.")
        self.tree.bind("<<TreeviewSelect>>", lambda e: self._selected())
        self.tree.bind("<Double-1>", lambda e: self._edit_selected())
        self.tree.bind("<Delete>", lambda e: self.remove_selected())
        self.results_frame, self.result_tree = self._tree(RESULT_COLUMNS, "mail.batch.result.")
        self.result_tree.bind("<<TreeviewSelect>>", lambda e: self._result_selected())
        self.rows_frame.pack(fill="both", expand=True)
        self._show_route()

    def _tree(self, columns: Sequence[tuple[str, int]], heading: str) -> tuple[ttk.Frame, ttk.Treeview]:
        frame = ttk.Frame(self.lists)
        tree = ttk.Treeview(frame, columns=[c for c, _width in columns], show="headings", height=12)
        for column, width in columns:
            tree.heading(column, text=_(heading + column), anchor="w")
            tree.column(column, width=width, minwidth=60, stretch=True, anchor="w")
        scroll = ttk.Scrollbar(frame, orient="vertical", command=tree.yview)
        tree.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        tree.pack(side="left", fill="both", expand=True)
        tree.tag_configure("problem", foreground=PALETTE["error_text"])
        tree.tag_configure("edited", foreground=PALETTE["accent"])
        tree.tag_configure("ok", foreground=PALETTE["ok_text"])
        tree.tag_configure("pending", foreground=PALETTE["muted"])
        return frame, tree

    def _show_route(self) -> None:
        self._route_text = _("mail.batch.route", route=self.services.route_text("EMAIL", short=True))
        self._fit_route()

    def _fit_route(self) -> None:
        """The route, elided in the middle when the window is too narrow for a long pickup path."""
        from tkinter import font as tkfont

        from viewer.gui.windows import elide_to_width

        width = self.route_label.winfo_width()
        text = self._route_text
        if width > 1:
            text = elide_to_width(text, tkfont.nametofont("TkDefaultFont"), width - 4)
        self.route_label.configure(text=text)

    def route_text(self) -> str:
        """The whole route line (the label may show it elided)."""
        return self._route_text

    # -- the documents ---------------------------------------------------------------------
    def choose_files(self) -> list[str]:
        """The file chooser (several files at once); the chosen documents are added."""
        from viewer.gui.mainwindow import OPEN_TYPES

        initial = str(self.rows[-1].path.parent) if self.rows else ""
        chosen = dialogs.ask_paths(self, _("mail.batch.choose"), initialdir=initial,
                                   filetypes=[(_(k), p) for k, p in OPEN_TYPES])
        if chosen:
            self.add_paths(chosen)
        return chosen

    def add_paths(self, paths: Sequence[str | Path]) -> None:
        """Add documents (once each) and look their recipients up on a worker thread."""
        if self.running or self.finished:
            return
        known = {row.path.resolve() for row in self.rows} | self._pending
        new = []
        for p in paths:
            path = Path(p)
            if path.resolve() not in known:
                known.add(path.resolve())
                new.append(path)
        if not new:
            return
        self.looking_up += 1
        self._pending.update(p.resolve() for p in new)
        self.progress_label.configure(text=_("mail.batch.looking_up", count=len(new)))
        self._update_buttons()
        self.services.refresh_settings()
        task = BackgroundTask(look_up, new, self.services)
        run_in_background(self, task, self._looked_up)

    def _looked_up(self, task: BackgroundTask) -> None:
        self.looking_up -= 1
        if not self.looking_up:
            self._pending.clear()
        if task.error is not None:  # look_up reports per row; this is a bug-level failure, still said in words
            self.notify("error", _("mail.batch.title"), error_text(task.error))
        else:
            self.rows.extend(task.result)
            self._fill_rows()
        if not self.looking_up:
            self.progress_label.configure(text=self._ready_text())
        self._update_buttons()

    def _ready_text(self) -> str:
        ready = sum(1 for row in self.rows if not row.unreadable and row.recipient.strip())
        return _("mail.batch.ready", ready=ready, total=len(self.rows)) if self.rows else ""

    def _fill_rows(self) -> None:
        selected = self.selected_index()
        self.tree.delete(*self.tree.get_children())
        for index, row in enumerate(self.rows):
            values = (*self.row_values(index)[:5], self.note_line(index))
            self.tree.insert("", "end", iid=str(index), values=values, tags=(self._row_tag(row),))
        if selected is not None and selected < len(self.rows):
            self.tree.selection_set(str(selected))

    def _row_tag(self, row: Row) -> str:
        if row.unreadable or not row.recipient.strip():
            return "problem"
        return "edited" if row.edited else ""

    def row_values(self, index: int) -> tuple[str, ...]:
        """What the list shows for document ``index``: file, kind, number, customer, recipient, note."""
        row = self.rows[index]
        note = _("mail.batch.edited", found=row.found or "—") if row.edited else row.note
        recipient = row.recipient or ("" if row.unreadable else _("mail.batch.none"))
        return (row.path.name, row.kind, row.number, row.customer, recipient, note)

    def note_line(self, index: int) -> str:
        """The note as its column shows it: the first line (the whole note shows under the list)."""
        return (self.row_values(index)[5].splitlines() or [""])[0]

    def selected_index(self) -> int | None:
        chosen = self.tree.selection()
        return int(chosen[0]) if chosen else None

    def select(self, index: int) -> None:
        self.tree.selection_set(str(index))
        self.tree.see(str(index))
        self._selected()

    def _selected(self) -> None:
        index = self.selected_index()
        if index != self._editing:  # another line: its recipient in the field (what is typed stays otherwise)
            self._editing = index
            self._show_note(index)
            self.recipient_var.set(self.rows[index].recipient if index is not None else "")
        self._update_buttons()

    def _show_note(self, index: int | None) -> None:
        """The selected line's note in full under the list."""
        note = self.row_values(index)[5] if index is not None else ""
        self.edit_message.configure(text=note, style="Muted.TLabel")

    def _result_selected(self) -> None:
        chosen = self.result_tree.selection()
        text = ""
        if chosen:
            name, recipient, route, outcome = self.result_values(int(chosen[0]))
            text = _("mail.batch.result_line", document=name, recipient=recipient or "—", route=route, outcome=outcome)
        self.edit_message.configure(text=text, style="TLabel")

    def _edit_selected(self) -> None:
        if self.selected_index() is not None and not self.running and not self.finished:
            self.recipient_entry.focus_set()
            self.recipient_entry.select_range(0, "end")

    def set_recipient(self, index: int, text: str) -> str:
        """Give document ``index`` the recipient ``text``; '' when done, else why not (shown too)."""
        row = self.rows[index]
        problem = _("mail.batch.edit.unreadable") if row.unreadable else recipient_problem(text)
        self.edit_message.configure(text=problem, style="Error.TLabel")
        if not problem:
            row.recipient = text.strip()
            self._fill_rows()
            self._show_note(index)
            self.progress_label.configure(text=self._ready_text())
            self._update_buttons()
        return problem

    def apply_recipient(self) -> str:
        index = self.selected_index()
        if index is None or self.running or self.finished:
            return ""
        return self.set_recipient(index, self.recipient_var.get())

    def remove_selected(self) -> None:
        index = self.selected_index()
        if index is None or self.running or self.finished:
            return
        del self.rows[index]
        self._editing = None
        self.tree.selection_remove(*self.tree.selection())
        self._fill_rows()
        self.recipient_var.set("")
        self.progress_label.configure(text=self._ready_text())
        self._update_buttons()

    # -- sending ---------------------------------------------------------------------------
    def send(self) -> bool:  # type: ignore[override]  # the dialog's send; Tk's Misc.send (Tcl 'send') is never used
        """Start the batch on a worker thread; False (and said why) when it cannot start."""
        if self.running or self.finished or self.looking_up or not self.rows:
            return False
        self.services.refresh_settings()
        self._show_route()  # the settings may have changed since the window opened
        problem = self.services.sender_problem()
        if problem:
            self.notify("error", _("mail.batch.title"), problem)
            return False
        self.running = True
        self.cancel_event.clear()
        self.results = [None] * len(self.rows)
        self.progress.configure(maximum=len(self.rows), value=0)
        self._show_results()
        rows = [dataclasses.replace(r) for r in self.rows]  # the worker's own copy
        run = self.make_run(self.services)
        gc.collect()  # dead Tk objects go now, on this thread, not on the worker
        self.worker = threading.Thread(target=self._work, args=(run, rows), daemon=True, name="mailui-batch")
        self.worker.start()
        self.after(POLL_MS, self._poll)
        self._update_buttons()
        return True

    def _work(self, run: BatchRun, rows: list[Row]) -> None:
        """The worker: every event of the run goes to the UI thread through the queue; None ends it."""
        try:
            for event in run.run(rows, self.cancel_event):
                self._events.put(event)
        except Exception as exc:  # noqa: BLE001 - handed to the UI thread, shown there in words
            self._events.put(exc)
        self._events.put(None)

    def _poll(self) -> None:
        try:
            if not self.winfo_exists():
                return
        except tk.TclError:
            return
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            if event is None:
                self._run_ended()
                return
            self._show_event(event)
        self.after(POLL_MS, self._poll)

    def _show_event(self, event: Any) -> None:
        total = len(self.rows)
        if isinstance(event, Started):
            self.progress_label.configure(text=_("mail.batch.progress.sending", index=event.index + 1, total=total,
                                                 name=event.name))
            self.result_tree.item(str(event.index), values=(event.name, self.rows[event.index].recipient, "",
                                                            _("mail.batch.progress.in_hand")), tags=("pending",))
            self.result_tree.see(str(event.index))
        elif isinstance(event, Waiting):
            self.progress_label.configure(text=_("mail.batch.progress.waiting", seconds=f"{event.seconds:.0f}",
                                                 index=event.index + 1, total=total))
        elif isinstance(event, Finished):
            self.results[event.index] = event.result
            self.progress.configure(value=sum(1 for r in self.results if r is not None))
            self._show_result(event.index)
        elif isinstance(event, BaseException):  # the run itself stopped (not one document): said, and kept for the list
            self._failure = error_text(event)
            self.notify("error", _("mail.batch.title"), self._failure)

    def _show_results(self) -> None:
        """The list becomes the result list: one line per document, filled in as they are done."""
        self.rows_frame.pack_forget()
        self.edit_frame.pack_forget()
        self.edit_message.configure(text="")
        self.hint.configure(text=_("mail.batch.results_hint"))
        self.results_frame.pack(fill="both", expand=True)
        self.result_tree.delete(*self.result_tree.get_children())
        for index, row in enumerate(self.rows):
            self.result_tree.insert("", "end", iid=str(index), values=(row.name, row.recipient, "",
                                                                        _("mail.batch.progress.pending")),
                                    tags=("pending",))

    def _show_result(self, index: int) -> None:
        result = self.results[index]
        if result is None:
            return
        tag = "ok" if result.sent else "pending" if result.outcome == CANCELLED else "problem"
        self.result_tree.item(str(index), values=self.result_values(index), tags=(tag,))

    def result_values(self, index: int) -> tuple[str, ...]:
        """What the result list shows for document ``index``: document, recipient, route used, outcome in words."""
        result = self.results[index]
        if result is None:
            return (self.rows[index].name, self.rows[index].recipient, "", _("mail.batch.progress.pending"))
        route = result.route
        if result.decision is not None:  # the route used, in the interface language (as the send dialog says it)
            route = self.services.route_text("EMAIL", short=True, decision=result.decision)
        return (result.name, result.recipient, route or "—", result.words())

    def _run_ended(self) -> None:
        self.running, self.finished = False, True
        for index, row in enumerate(self.rows):  # documents the run never reached (it stopped): not sent, and why
            if self.results[index] is None:
                self.results[index] = DocResult(row.name, row.recipient, "", NOT_SENT, self._failure)
                self._show_result(index)
        done = [r for r in self.results if r is not None]
        self.progress_label.configure(text=self.summary(done))
        self._update_buttons()
        if self._close_after_run:
            self.destroy()

    def summary(self, results: Sequence[DocResult]) -> str:
        """'3 envoyés, 1 refusé…' in the interface language, in a fixed order."""
        counts = Counter(r.outcome for r in results)
        parts = [_(COUNT_KEYS[o], count=counts[o]) for o in OUTCOME_KEYS if counts[o] or o == ACCEPTED]
        return _("mail.batch.summary", total=len(results), parts=", ".join(parts))

    def cancel(self) -> None:
        """Stop after the document in hand (its outcome is the server's); the rest are not sent."""
        if self.running:
            self.cancel_event.set()
            self.progress_label.configure(text=_("mail.batch.cancelling"))
            self._update_buttons()

    def close(self) -> None:
        """Close; during a run, cancel first and close once the document in hand is done."""
        if self.running:
            self._close_after_run = True
            self.cancel()
            return
        self.destroy()

    # -- results -----------------------------------------------------------------------------
    def save_csv(self, path: str | Path | None = None) -> Path | None:
        """« Enregistrer en CSV… »: the results with the columns of `spoolview report --csv` (file 0600)."""
        done = [r for r in self.results if r is not None]
        if not self.finished or not done:
            return None
        if path is None:
            path = dialogs.ask_path(self, "save", _("mail.batch.save_csv_title"), initialfile=_("mail.batch.csv_name"),
                                    filetypes=[(_("mail.batch.csv_type"), "*.csv")])
            if not path:
                return None
        try:
            written = write_csv(path, done)
        except OSError as exc:
            self.notify("error", _("mail.batch.title"), _("mail.batch.csv_failed", path=path, detail=exc.strerror or str(exc)))
            return None
        self.progress_label.configure(text=_("mail.batch.csv_saved", path=written))
        return written

    def _update_buttons(self) -> None:
        def enable(button: ttk.Button, on: bool) -> None:
            button.state(["!disabled"] if on else ["disabled"])

        idle = not self.running and not self.finished
        ready = any(not row.unreadable and row.recipient.strip() for row in self.rows)
        enable(self.send_button, idle and not self.looking_up and ready)
        enable(self.add_button, idle)
        enable(self.remove_button, idle and self.selected_index() is not None)
        enable(self.apply_button, idle and self.selected_index() is not None)
        enable(self.cancel_button, self.running and not self.cancel_event.is_set())
        enable(self.csv_button, self.finished and any(r is not None for r in self.results))


def open_batch_dialog(parent: tk.Misc, services: MailServices, paths: Sequence[str | Path] = (), *,
                      notify: Notify | None = None) -> BatchDialog:
    """The batch dialog over ``parent``, with ``paths`` already listed."""
    return BatchDialog(parent, services, paths, notify=notify)
