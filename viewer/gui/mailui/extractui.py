"""Live preview of the "Lecture des documents imprimés" screen: what the [extract] rules find on the open document."""

from __future__ import annotations

from tkinter import ttk
from typing import Any

from formats.extract import FIELDS, RuleError, Rules, find_in_text, parse_region, texts
from viewer.gui.i18n import _

DELAY_MS = 300  # after the last key stroke


class ExtractPreview:
    """A frame under the rules showing, field by field, what they find on ``document``'s first page.

    ``dialog.vars`` holds the screen's variables ("extract.kind", ...); every change re-reads
    the page (debounced). ``found`` is what is shown, for tests.
    """

    def __init__(self, tab: ttk.Frame, row: int, dialog: Any, document: Any, settings: Any) -> None:
        self.dialog = dialog
        self.document = document
        self.settings = settings
        self.found: dict[str, str] = {}
        self._job: str | None = None
        frame = ttk.LabelFrame(tab, text=_("settings.extract.title"), padding=6)
        frame.grid(row=row, column=0, columnspan=3, sticky="nsew", padx=4, pady=(10, 2))
        frame.columnconfigure(1, weight=1)
        self.frame = frame
        self.values: dict[str, ttk.Label] = {}
        for n, name in enumerate(FIELDS):
            ttk.Label(frame, text=_(f"settings.field.extract.{name}")).grid(row=n, column=0, sticky="w", padx=(0, 8))
            value = ttk.Label(frame, text="", font=("TkDefaultFont", 9, "bold"))
            value.grid(row=n, column=1, sticky="w")
            self.values[name] = value
        self.note = ttk.Label(frame, text="", wraplength=520, justify="left")
        self.note.grid(row=len(FIELDS), column=0, columnspan=2, sticky="w", pady=(6, 0))
        for key in (*FIELDS, "region", "customer_region", "customer_by_name"):
            dialog.vars[f"extract.{key}"].trace_add("write", lambda *_a: self.schedule())
        self.refresh()

    def schedule(self) -> None:
        if self._job is not None:
            self.frame.after_cancel(self._job)
        self._job = self.frame.after(DELAY_MS, self.refresh)

    def _rules(self) -> Rules:
        get = self.dialog.vars
        kind, number, date, customer, contact, language = (str(get[f"extract.{name}"].get()).strip() for name in FIELDS)
        return Rules(kind, number, date, customer, contact, language,
                     region=parse_region(str(get["extract.region"].get())),
                     customer_region=parse_region(str(get["extract.customer_region"].get()), "customer_region"))

    def refresh(self) -> None:
        """Read the open document's first page with the rules as typed now."""
        self._job = None
        self.found = {}
        for label in self.values.values():
            label.configure(text="")
        if self.document is None:
            self.note.configure(text=_("settings.extract.no_document"))
            return
        try:
            rules = self._rules()
            found = find_in_text(texts(self.document, rules), rules) if rules else None
        except RuleError as exc:
            self.note.configure(text=exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - the page may not be readable: say so, keep the screen
            self.note.configure(text=_("settings.extract.unreadable", detail=str(exc)))
            return
        if found is None:
            self.note.configure(text=_("settings.extract.no_rules"))
            return
        self.found = found.to_dict()
        for name in FIELDS:
            value = self.found.get(name, "")
            self.values[name].configure(text=value or _("settings.extract.not_found"))
        notes = []
        if self.found.get("customer") and bool(self.dialog.vars["extract.customer_by_name"].get()):
            notes.append(self._customer_note(self.found["customer"]))
        info = self.document.info
        if info.kind or info.number or info.customer:
            notes.append(_("settings.extract.own_info", name=self.document.name))
        self.note.configure(text="\n".join(notes))

    def _customer_note(self, name: str) -> str:
        from viewer.docopen import customer_code

        try:
            code = customer_code(name, self.settings)
        except Exception as exc:  # noqa: BLE001 - no directory answers: the preview says it
            return _("settings.extract.no_directory", detail=str(exc))
        self.found["customer_code"] = code
        return _("settings.extract.customer_code", code=code) if code else _("settings.extract.no_customer", name=name)


__all__ = ["ExtractPreview"]
