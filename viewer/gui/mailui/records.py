"""The customers/contacts window: search as you type, list, details, history, a mail icon per record."""

from __future__ import annotations

import dataclasses
import tkinter as tk
from collections.abc import Callable, Iterable
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

from viewer.gui.i18n import _
from viewer.gui.mailui.common import Notify, notifier, run_in_background
from viewer.gui.mailui.services import BackgroundTask, MailServices, error_text
from viewer.gui.windows import close_bar, dress, elide_to_width

SEARCH_DELAY_MS = 150
MAIL_ICON = "✉"
TITLE_FONT = ("TkDefaultFont", 11, "bold")


def record_fields(record: Any) -> list[tuple[str, str]]:
    """(name, value) pairs of a directory record, whatever its class (dataclass, ORM row, dict)."""
    if record is None:
        return []
    items: Iterable[tuple[Any, Any]]
    if isinstance(record, dict):
        items = record.items()
    elif dataclasses.is_dataclass(record):
        items = ((f.name, getattr(record, f.name)) for f in dataclasses.fields(record))
    else:
        items = ((k, v) for k, v in vars(record).items() if not k.startswith("_"))
    out = []
    for key, value in items:
        if isinstance(value, dict):
            value = ", ".join(_("records.field_line", label=k, value=v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            continue
        if value not in (None, ""):
            out.append((str(key), str(value)))
    return out


def _field_label(name: str) -> str:
    key = "records.field." + name
    text = _(key)
    return name if text == key else text


class RecordsWindow(tk.Toplevel):
    """Search customers and contacts; mail one of them, with the open document when there is one."""

    def __init__(self, parent: tk.Misc, services: MailServices, *, document: Callable[[], Any] | None = None,
                 open_send: Callable[..., Any] | None = None, notify: Notify | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.document = document or (lambda: None)
        self.open_send = open_send
        self.notify = notifier(self, notify)
        self.entries: dict[str, Any] = {}
        self.selected: Any = None
        self.contact_entries: dict[str, Any] = {}
        self._search_job: str | None = None
        self._search_seq = 0  # only the latest search fills the list
        self._select_after = ""
        self.title(_("records.title"))
        self._build()
        dress(self, "records")
        self._start()

    def _start(self) -> None:
        """Open on the open document's customer when there is one; else say what to type."""
        document = self.document()
        code = getattr(getattr(document, "info", None), "customer", "") or ""
        if code:
            self._select_after = code  # selected once the search has answered
            self.search_var.set(code)
            self.refresh()
        else:
            self.message.configure(text=_("records.hint"), style="TLabel")
        self.search_entry.focus_set()
        self.search_entry.select_range(0, "end")

    def _build(self) -> None:
        top = ttk.Frame(self, padding=8)
        top.pack(fill="both", expand=True)
        self.close_button = close_bar(top, self.destroy)
        bar = ttk.Frame(top)
        bar.pack(fill="x")
        ttk.Label(bar, text=_("records.search")).pack(side="left")
        self.search_var = tk.StringVar()
        self.search_entry = ttk.Entry(bar, textvariable=self.search_var, width=40)
        self.search_entry.pack(side="left", fill="x", expand=True, padx=4)
        self.search_var.trace_add("write", lambda *a: self._schedule_search())
        self.attach_var = tk.BooleanVar(value=self.document() is not None)
        self.attach_check = ttk.Checkbutton(bar, text=_("records.attach_document"), variable=self.attach_var)
        self.attach_check.pack(side="left", padx=8)
        if self.document() is None:
            self.attach_check.state(["disabled"])
        self.message = ttk.Label(top, text="", style="Error.TLabel")
        self.message.pack(fill="x")
        panes = ttk.Panedwindow(top, orient="horizontal")
        panes.pack(fill="both", expand=True, pady=4)
        left = ttk.Frame(panes)
        self.tree = ttk.Treeview(left, columns=("kind", "code", "name", "email"), show="headings", height=14)
        for col, width in (("kind", 70), ("code", 80), ("name", 180), ("email", 220)):
            self.tree.heading(col, text=_(f"records.column.{col}"))
            self.tree.column(col, width=width)
        self.tree.pack(fill="both", expand=True)
        self.tree.bind("<<TreeviewSelect>>", lambda e: self.show_selected())
        self.tree.bind("<Double-1>", lambda e: self.mail_selected())
        panes.add(left, weight=1)
        right = ttk.Frame(panes, padding=(8, 0))
        head = ttk.Frame(right)
        head.pack(fill="x")
        # The button is packed first: a long name gives way (cut with an ellipsis), never the button.
        self.mail_button = ttk.Button(head, text=f"{MAIL_ICON} {_('records.mail')}", command=self.mail_selected)
        self.mail_button.pack(side="right")
        self.mail_button.state(["disabled"])
        self.detail_title = ttk.Label(head, text="", font=TITLE_FONT, width=1)
        self.detail_title.pack(side="left", fill="x", expand=True)
        self.detail_title.bind("<Configure>", lambda e: self._fit_title())
        self._title_text = ""
        self._title_font = tkfont.Font(self, font=TITLE_FONT)
        self.details = tk.Text(right, height=8, width=48, state="disabled", wrap="word")
        self.details.pack(fill="x", pady=4)
        contacts_head = ttk.Frame(right)
        contacts_head.pack(fill="x")
        self.contact_mail_button = ttk.Button(contacts_head, text=f"{MAIL_ICON} {_('records.mail_contact')}",
                                              command=self.mail_contact)
        self.contact_mail_button.pack(side="right")
        ttk.Label(contacts_head, text=_("records.contacts")).pack(side="left")
        self.contact_mail_button.state(["disabled"])
        self.contacts = ttk.Treeview(right, columns=("code", "name", "email"), show="headings", height=4)
        for col, width in (("code", 70), ("name", 150), ("email", 230)):
            self.contacts.heading(col, text=_(f"records.column.{col}"))
            self.contacts.column(col, width=width)
        self.contacts.pack(fill="x")
        self.contacts.bind("<<TreeviewSelect>>", lambda e: self._contact_selected())
        ttk.Label(right, text=_("records.history")).pack(anchor="w", pady=(6, 0))
        self.history = tk.Listbox(right, height=6)
        self.history.pack(fill="both", expand=True)
        panes.add(right, weight=1)

    # -- search -------------------------------------------------------------------------
    def _schedule_search(self) -> None:
        if self._search_job:
            self.after_cancel(self._search_job)
        self._search_job = self.after(SEARCH_DELAY_MS, self.refresh)

    def refresh(self) -> list[Any]:
        """Run the search for the text typed and fill the list.

        Local searches (SQLite) run here; a search that goes to the application server runs on
        a worker thread so a slow or lost server never freezes the window (returns [] at once).
        """
        if self._search_job:
            self.after_cancel(self._search_job)
        self._search_job = None
        text = self.search_var.get()
        self._search_seq += 1
        if self.services.connected:
            seq = self._search_seq
            task = BackgroundTask(self.services.search, text, 100)
            self.message.configure(text=_("records.searching"), style="TLabel")
            run_in_background(self, task, lambda t: self._fill(text, t.result if t.error is None else t.error)
                              if seq == self._search_seq else None)  # a later search replaced this one
            return []
        try:
            found: Any = self.services.search(text, limit=100)
        except Exception as exc:  # noqa: BLE001 - any search failure is shown in the list's message line
            found = exc
        return self._fill(text, found)

    def _fill(self, text: str, found: Any) -> list[Any]:
        """Show the search's result (a list of entries, or the error that stopped it)."""
        self.tree.delete(*self.tree.get_children())
        self.entries.clear()
        select, self._select_after = self._select_after, ""
        if isinstance(found, BaseException):
            self.message.configure(text=error_text(found), style="Error.TLabel")
            return []
        typed = bool(text.strip())
        words = "" if found else _("records.none") if typed else _("records.hint")
        note = self.services.directory_note()  # the local directory answers for a server that does not
        self.message.configure(text=f"{note}\n{words}".strip() if note else words,
                               style="Error.TLabel" if typed or note else "TLabel")
        for index, entry in enumerate(found):
            iid = f"e{index}"
            self.entries[iid] = entry
            kind = _(f"records.kind.{entry.kind}") if entry.kind in ("customer", "contact") else entry.kind
            self.tree.insert("", "end", iid=iid, values=(kind, entry.code, entry.name, entry.email or ""))
        if select:
            self.select(select, "customer")
        return list(found)

    def select(self, code: str, kind: str | None = None) -> bool:
        """Select the listed record ``code`` (tests and keyboard users)."""
        for iid, entry in self.entries.items():
            if entry.code == code and (kind is None or entry.kind == kind):
                self.tree.selection_set(iid)
                self.tree.see(iid)
                self.show_selected(iid)
                return True
        return False

    # -- details --------------------------------------------------------------------------
    def show_selected(self, iid: str | None = None) -> None:
        chosen = iid or (self.tree.selection() or [None])[0]
        entry = self.entries.get(chosen) if chosen else None
        self.selected = entry
        self.contacts.delete(*self.contacts.get_children())
        self.contact_entries.clear()
        self.contact_mail_button.state(["disabled"])
        if entry is None:
            self.mail_button.state(["disabled"])
            self.detail_title.configure(text="")
            self._set_details("")
            self.history.delete(0, "end")
            return
        self.mail_button.state(["!disabled"] if entry.email else ["disabled"])
        self.set_title(f"{entry.code} — {entry.name}")
        customer: Any = None
        record: Any
        try:
            if entry.kind == "contact":
                record = self.services.contact(entry.code)
                code = getattr(record, "customer_code", "") or entry.customer_code
                customer = self.services.customer(code) if code else None
                contacts: list[Any] = []
            else:
                record = self.services.customer(entry.code)
                contacts = self.services.contacts_of(entry.code)
        except Exception as exc:  # noqa: BLE001 - any look-up failure is shown in the message line
            record, contacts = None, []
            self.message.configure(text=error_text(exc), style="Error.TLabel")
        lines = [_("records.field_line", label=_field_label(k), value=v) for k, v in record_fields(record)
                 if not (customer is not None and k == "customer_code")]
        if customer is not None:  # a contact: its customer by name, not only by code
            lines.insert(0, _("records.field_line", label=_("records.customer_of_contact"),
                              value=f"{customer.name} ({customer.code})"))
            self.set_title(f"{entry.name} — {customer.name}")
        self._set_details("\n".join(lines))
        # By customer: every address it is known by (second address, per-document defaults) and its contacts'.
        addresses = [entry.email] + [getattr(c, "email", "") for c in contacts]
        if entry.kind != "contact" and record is not None:
            addresses += [getattr(record, "email2", "")] + list((getattr(record, "defaults", None) or {}).values())
        for index, contact in enumerate(contacts):
            iid2 = f"c{index}"
            self.contact_entries[iid2] = contact
            self.contacts.insert("", "end", iid=iid2, values=(contact.code, contact.name, getattr(contact, "email", "") or ""))
        self.history.delete(0, "end")
        for line in self.services.history([a for a in addresses if a]):
            self.history.insert("end", line)

    def set_title(self, text: str) -> None:
        self._title_text = text
        self._fit_title()

    def _fit_title(self) -> None:
        width = self.detail_title.winfo_width()
        text = self._title_text
        if width > 1 and text:
            text = elide_to_width(text, self._title_font, width - 4, where="end")
        self.detail_title.configure(text=text)

    def title_text(self) -> str:
        """The whole title of the details (the label may show it elided)."""
        return self._title_text

    def _set_details(self, text: str) -> None:
        self.details.configure(state="normal")
        self.details.delete("1.0", "end")
        self.details.insert("1.0", text)
        self.details.configure(state="disabled")

    def details_text(self) -> str:
        return self.details.get("1.0", "end-1c")

    def _contact_selected(self) -> None:
        contact = self.selected_contact()
        self.contact_mail_button.state(["!disabled"] if contact is not None and getattr(contact, "email", None) else ["disabled"])

    def selected_contact(self) -> Any:
        chosen = self.contacts.selection()
        return self.contact_entries.get(chosen[0]) if chosen else None

    # -- mail icon ------------------------------------------------------------------------
    def mail_selected(self) -> Any:
        entry = self.selected
        if entry is None:
            return None
        customer = entry.customer_code if entry.kind == "contact" else entry.code
        contact = entry.code if entry.kind == "contact" else ""
        return self._mail(entry.email, entry.name, customer, contact)

    def mail_contact(self) -> Any:
        contact = self.selected_contact()
        if contact is None:
            return None
        return self._mail(getattr(contact, "email", ""), contact.name, getattr(contact, "customer_code", "") or
                          (self.selected.code if self.selected else ""), contact.code)

    def _mail(self, address: str, name: str, customer: str, contact: str) -> Any:
        if not address:
            self.notify("error", _("records.title"), _("records.no_address", name=name))
            return None
        document = self.document() if self.attach_var.get() else None
        kwargs: dict[str, Any] = dict(to=address, name=name, customer_code=customer, contact_code=contact,
                                      attach_document=document is not None)
        if self.open_send is not None:
            return self.open_send(document, **kwargs)
        from viewer.gui.mailui.send_dialog import open_send_dialog

        return open_send_dialog(self, self.services, document, notify=self.notify, **kwargs)
