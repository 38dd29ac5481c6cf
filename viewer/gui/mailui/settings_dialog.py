"""The Settings screens (S1–S8), named like the reference; validated on OK, nothing saved when invalid."""

from __future__ import annotations

import copy
import functools
import re
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import filedialog, ttk
from typing import Any

from viewer.gui.i18n import _, language
from viewer.gui.mailui.common import Notify, configure_styles, notifier
from viewer.gui.mailui.services import error_text
from viewer.gui.mailui.settings_watch import WATCH_FIELDS, WATCH_SCREEN
from viewer.gui.mailui.signin import SignInRunner, error_words, status_text
from viewer.gui.windows import dress, usable_screen

ROUTING_CHOICES = ("SERV_SMTP:%ADR%", "SERV_SMTP:%ADR%@fax.example.com", "")


@dataclass(frozen=True)
class FieldSpec:
    """One control: ``key`` is "section.field" of Settings; kind: bool, str, int, float, count (1-64), choice, combo,
    folder, file."""

    key: str
    kind: str = "str"
    choices: tuple[str, ...] = ()


SCREENS: tuple[tuple[str, tuple[FieldSpec, ...]], ...] = (
    ("printing", (
        FieldSpec("printing.journal", "bool"),
        FieldSpec("printing.journal_folder", "folder"),
        FieldSpec("printing.no_save_offer", "bool"),
        FieldSpec("printing.language", "choice", ("auto", "fr", "en")),
        FieldSpec("debug.trace", "bool"),
        FieldSpec("debug.trace_folder", "folder"),
    )),
    ("pdf", (
        FieldSpec("pdf.convert_mail", "bool"),
        FieldSpec("pdf.convert_fax", "bool"),
        FieldSpec("pdf.convert_fax2", "bool"),
        FieldSpec("pdf.protection", "choice", ("none", "no-modify", "password")),
        FieldSpec("pdf.password_policy", "choice", ("no", "yes", "ask")),
        FieldSpec("pdf.use_external", "bool"),
        FieldSpec("pdf.external_command", "str"),
        FieldSpec("pdf.pdfa", "bool"),
    )),
    ("routing", (
        FieldSpec("routing.email", "combo", ROUTING_CHOICES),
        FieldSpec("routing.email2", "combo", ROUTING_CHOICES),
        FieldSpec("routing.fax", "combo", ROUTING_CHOICES),
        FieldSpec("routing.fax2", "combo", ROUTING_CHOICES),
    )),
    ("service", (
        FieldSpec("service.pickup_folder", "folder"),
        FieldSpec("service.from_identity", "str"),
        FieldSpec("service.use_server_service", "bool"),
    )),
    ("functions", (
        FieldSpec("functions.send_direct", "bool"),
        FieldSpec("functions.use_server_functions", "bool"),
        FieldSpec("functions.from_identity", "str"),
        FieldSpec("functions.send_without_file", "bool"),
        FieldSpec("functions.host", "str"),
        FieldSpec("functions.port", "int"),
        FieldSpec("functions.domain", "str"),
        FieldSpec("functions.ssl", "bool"),
        FieldSpec("functions.tls_mode", "choice", ("starttls", "implicit")),
        FieldSpec("functions.ca_file", "file"),
        FieldSpec("functions.timeout", "float"),
        FieldSpec("functions.auth", "auth", ("password", "microsoft", "google", "custom")),
        FieldSpec("functions.oauth_client_id", "str"),
        FieldSpec("functions.oauth_tenant", "str"),
        FieldSpec("functions.oauth_issuer", "str"),
        FieldSpec("functions.oauth_scope", "str"),
        FieldSpec("functions.oauth_browser", "str"),
        FieldSpec("functions.oauth_token_url", "str"),
    )),
    ("copies", (
        FieldSpec("copies.sent_folder", "folder"),
        FieldSpec("copies.error_folder", "folder"),
        FieldSpec("copies.log_folder", "folder"),
        FieldSpec("copies.log_errors_only", "bool"),
    )),
    ("advanced", (
        FieldSpec("advanced.delay_seconds", "float"),
        FieldSpec("advanced.file_extension", "combo", (".eml", ".txt")),
        FieldSpec("advanced.use_default_charset", "bool"),
        FieldSpec("advanced.default_charset", "combo", ("windows-1252", "windows-1250", "windows-1257", "iso-8859-15", "utf-8")),
        FieldSpec("advanced.charset", "str"),
        FieldSpec("advanced.allow_html", "bool"),
        FieldSpec("advanced.allow_rtf", "bool"),
        FieldSpec("advanced.base64_body", "bool"),
        FieldSpec("advanced.process_cid", "bool"),
        FieldSpec("advanced.one_to_per_recipient", "bool"),
        FieldSpec("advanced.fold_subject", "bool"),
        FieldSpec("advanced.omit_closing_boundaries", "bool"),
        FieldSpec("directory.database_url", "str"),
    )),
    ("extract", (
        FieldSpec("extract.kind", "str"),
        FieldSpec("extract.number", "str"),
        FieldSpec("extract.date", "str"),
        FieldSpec("extract.customer", "str"),
        FieldSpec("extract.contact", "str"),
        FieldSpec("extract.language", "str"),
        FieldSpec("extract.region", "str"),
        FieldSpec("extract.customer_region", "str"),
        FieldSpec("extract.customer_by_name", "bool"),
    )),
    (WATCH_SCREEN, tuple(FieldSpec(key, kind) for key, kind in WATCH_FIELDS)),  # settings_watch.py
)
ENV_SCREEN = "environments"
LABEL_WRAP = 230  # px: long field names wrap, so every screen fits a 1024x768 display
TEMPLATE_SCREEN = "templates"
TEMPLATE_KEY = re.compile(r"[a-z0-9_-]+\.[a-z]{2}")
FIELDS = {spec.key: spec for _screen, specs in SCREENS for spec in specs}
FIELDS["functions.oauth_provider"] = FIELDS["functions.auth"]  # the one "Authentification" choice sets both
SCREEN_OF = {spec.key: screen for screen, specs in SCREENS for spec in specs}


def get_value(settings: Any, key: str) -> Any:
    if key == "functions.auth":  # mot de passe / Microsoft 365 / Google / autre fournisseur OAuth
        fn = settings.functions
        return fn.oauth_provider if fn.auth == "oauth2" else "password"
    section, name = key.split(".", 1)
    return getattr(getattr(settings, section), name)


def set_value(settings: Any, key: str, value: Any) -> None:
    section, name = key.split(".", 1)
    setattr(getattr(settings, section), name, value)


def label(key: str) -> str:
    return _("settings.field." + key)


CHOICE_KEYS = {"printing.language": "language.{}", "pdf.protection": "savepdf.mode.{}"}


def choice_label(key: str, value: str) -> str:
    """How a choice of the setting ``key`` reads in the interface (the value itself when unknown)."""
    if value not in getattr(FIELDS.get(key), "choices", ()):
        return value
    return _(CHOICE_KEYS.get(key, f"settings.choice.{key}.{{}}").format(value))


class SettingsDialog(tk.Toplevel):
    """The reference's screens (a list on the left) over a copy of the settings; ``result`` = saved settings."""

    def __init__(self, parent: tk.Misc, settings: Any, *, notify: Notify | None = None,
                 on_saved: Callable[[Any], None] | None = None, screen: str | None = None,
                 ask_folder: Callable[[str], str] | None = None, ask_file: Callable[[str], str] | None = None,
                 document: Any = None) -> None:
        super().__init__(parent)
        self.document = document  # the open document, for the extraction rules' preview
        configure_styles(self)
        self.original = settings
        self.candidate = copy.deepcopy(settings)
        self.notify = notifier(self, notify)
        self.on_saved = on_saved
        self.ask_folder = ask_folder or (lambda initial: filedialog.askdirectory(parent=self, initialdir=initial or None))
        self.ask_file = ask_file or (lambda initial: filedialog.askopenfilename(parent=self, initialdir=initial or None))
        self.result: Any = None
        self.vars: dict[str, tk.Variable] = {}
        self.shown: dict[str, tk.StringVar] = {}  # the translated label shown for a choice
        self.widgets: dict[str, tk.Widget] = {}
        self.tabs: dict[str, ttk.Frame] = {}
        self.invalid: list[str] = []
        self.title(_("settings.title"))
        self._build()
        if screen:
            self.show_screen(screen)
        dress(self, "settings", close=self.cancel)

    # -- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        outer = ttk.Frame(self, padding=8)
        outer.pack(fill="both", expand=True)
        buttons = ttk.Frame(outer)  # packed first: OK and Cancel stay visible whatever the screen's height
        buttons.pack(side="bottom", fill="x", pady=(8, 0))
        body = ttk.Frame(outer)
        body.pack(fill="both", expand=True)
        # The screens as a list on the left, like the reference's buttons, one shown at a time.
        self.screen_list = tk.Listbox(body, exportselection=False, activestyle="none", width=38, height=10)  # the longest name whole
        self.screen_list.pack(side="left", fill="y", padx=(0, 8))
        self.screen_list.bind("<<ListboxSelect>>", lambda e: self._list_selected())
        self.page = ttk.Frame(body)
        self.page.pack(side="left", fill="both", expand=True)
        self.page.columnconfigure(0, weight=1)
        self.page.rowconfigure(1, weight=1)
        self.page_title = ttk.Label(self.page, text="", font=("TkDefaultFont", 11, "bold"))
        self.page_title.grid(row=0, column=0, sticky="w", pady=(0, 6))
        # The screens sit in a scrolled area: a tall one (SMTP functions with OAuth) scrolls
        # inside a window that fits a 1024x768 screen.
        self.canvas = tk.Canvas(self.page, highlightthickness=0, borderwidth=0,
                                background=ttk.Style(self).lookup("TFrame", "background") or "")
        self.canvas.grid(row=1, column=0, sticky="nsew")
        self.scrollbar = ttk.Scrollbar(self.page, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=self.scrollbar.set)
        self.holder = ttk.Frame(self.canvas)
        self._holder_item = self.canvas.create_window(0, 0, window=self.holder, anchor="nw")
        self.holder.bind("<Configure>", lambda e: self._scroll_region())
        self.canvas.bind("<Configure>", self._canvas_resized)
        for sequence, step in (("<Button-4>", -1), ("<Button-5>", 1)):
            self.canvas.bind_all(sequence, functools.partial(self._wheel_step, step), add="+")
        for screen, specs in SCREENS:
            tab = self._new_screen(screen)
            row = 0
            for spec in specs:
                self._add_field(tab, row, spec)
                row += 1
                if spec.key == "functions.auth":  # « Se connecter… » right under the choice it serves
                    self._add_sign_in(tab, row)
                    row += 1
            if screen == "functions":
                self._add_credentials(tab, row)
            if screen == "extract":
                from viewer.gui.mailui.extractui import ExtractPreview

                self.preview = ExtractPreview(tab, len(specs), self, self.document, self.candidate)
            if screen == WATCH_SCREEN:
                from viewer.gui.mailui.settings_watch import add_notes

                add_notes(tab, len(specs))
        self._build_environments()
        self._build_templates()
        self._steady_size()
        ttk.Button(buttons, text=_("settings.button.cancel"), command=self.cancel).pack(side="right", padx=4)
        ttk.Button(buttons, text=_("settings.button.ok"), command=self.ok, default="active").pack(side="right", padx=4)

    def _steady_size(self) -> None:
        """Room for the largest screen, so the window keeps its size from one screen to the next."""
        self.update_idletasks()
        # ... but never wider or taller than a 1024x768 screen leaves (fields shrink instead).
        room_w, room_h = usable_screen(self)
        width = min(max(tab.winfo_reqwidth() for tab in self.tabs.values()),
                    room_w - self.screen_list.winfo_reqwidth() - 40)
        height = min(max(tab.winfo_reqheight() for tab in self.tabs.values()), room_h - 120)
        self.canvas.configure(width=width, height=height)

    def _scroll_region(self) -> None:
        """Scroll only when the screen shown is taller than the room; the scrollbar shows then."""
        self.canvas.configure(scrollregion=self.canvas.bbox("all") or (0, 0, 0, 0))
        tall = self.holder.winfo_reqheight() > self.canvas.winfo_height() > 1
        if tall and not self.scrollbar.winfo_ismapped():
            self.scrollbar.grid(row=1, column=1, sticky="ns")
        elif not tall and self.scrollbar.winfo_ismapped():
            self.scrollbar.grid_remove()
            self.canvas.yview_moveto(0)

    def _wheel(self, event: tk.Event, step: int) -> None:
        widget = event.widget
        if isinstance(widget, tk.Misc) and str(widget).startswith(str(self.canvas)) and self.scrollbar.winfo_ismapped():
            self.canvas.yview_scroll(step, "units")

    def _add_field(self, tab: ttk.Frame, row: int, spec: FieldSpec) -> None:
        value = get_value(self.candidate, spec.key)
        widget: ttk.Checkbutton | ttk.Combobox | ttk.Entry
        if spec.kind == "bool":
            var: tk.Variable = tk.BooleanVar(value=bool(value))
            widget = ttk.Checkbutton(tab, text=label(spec.key), variable=var)
            widget.grid(row=row, column=0, columnspan=3, sticky="w", padx=4, pady=2)
        else:
            ttk.Label(tab, text=label(spec.key), wraplength=LABEL_WRAP).grid(row=row, column=0, sticky="w", padx=4, pady=2)
            var = tk.StringVar(value="" if value is None else str(value))
            if spec.kind in ("choice", "auth"):
                widget = self._choice(tab, spec, var)
                widget.grid(row=row, column=1, sticky="w", padx=4, pady=2)
            elif spec.kind == "combo":
                widget = ttk.Combobox(tab, textvariable=var, values=spec.choices, width=30)
                widget.grid(row=row, column=1, sticky="ew", padx=4, pady=2)
            else:
                widget = ttk.Entry(tab, textvariable=var, width=30 if spec.kind in ("str", "folder", "file") else 10)  # int, float, count
                widget.grid(row=row, column=1, sticky="ew" if spec.kind in ("str", "folder", "file") else "w", padx=4, pady=2)
            if spec.kind in ("folder", "file"):
                ttk.Button(tab, text="…", width=3, command=functools.partial(self.browse, spec.key)).grid(row=row, column=2, padx=2, sticky="w")
            widget.bind("<KeyRelease>", functools.partial(self._clear_mark_on_key, spec.key), add="+")
        self.vars[spec.key] = var
        self.widgets[spec.key] = widget

    def _choice(self, tab: ttk.Frame, spec: FieldSpec, var: tk.StringVar) -> ttk.Combobox:
        """A read-only list showing translated labels while ``var`` keeps the setting's value."""
        labels = [choice_label(spec.key, c) for c in spec.choices]
        shown = tk.StringVar(master=tab, value=choice_label(spec.key, var.get()))
        widget = ttk.Combobox(tab, textvariable=shown, values=labels, state="readonly",
                              width=min(32, max(20, *(len(text) + 2 for text in labels))))

        def picked(_event: Any = None) -> None:
            index = widget.current()
            if 0 <= index < len(spec.choices):
                var.set(spec.choices[index])

        widget.bind("<<ComboboxSelected>>", picked, add="+")
        var.trace_add("write", lambda *_a: shown.set(choice_label(spec.key, var.get())))
        self.shown[spec.key] = shown
        return widget

    def _add_credentials(self, tab: ttk.Frame, row: int) -> None:
        """User and password of the active environment (the reference's 'Environnement' button)."""
        self.env_label = ttk.Label(tab, text=_("settings.environment.current", name=self.candidate.active_environment))
        self.env_label.grid(row=row, column=0, columnspan=3, sticky="w", padx=4, pady=(8, 2))
        for offset, key in ((1, "env.user"), (2, "env.password")):
            ttk.Label(tab, text=label(key), wraplength=LABEL_WRAP).grid(row=row + offset, column=0, sticky="w", padx=4, pady=2)
            var = tk.StringVar()
            widget = ttk.Entry(tab, textvariable=var, width=30, show="•" if key == "env.password" else "")
            widget.grid(row=row + offset, column=1, sticky="w", padx=4, pady=2)
            self.vars[key], self.widgets[key] = var, widget
        ttk.Button(tab, text=_("settings.button.environments"),
                   command=lambda: self.show_screen(ENV_SCREEN)).grid(row=row + 1, column=2, rowspan=2, padx=4)
        self._load_credentials()

    def _add_sign_in(self, tab: ttk.Frame, row: int) -> None:
        """The « Se connecter… » button and who is signed in, until when."""
        self.signin_button = ttk.Button(tab, text=_("settings.button.sign_in"), command=self.sign_in)
        self.signin_button.grid(row=row, column=0, sticky="w", padx=4, pady=2)
        self.signin_status = ttk.Label(tab, text="", wraplength=230, justify="left")
        self.signin_status.grid(row=row, column=1, columnspan=2, sticky="w", padx=4, pady=2)
        self.signin_runner: SignInRunner | None = None

    def sign_in(self) -> SignInRunner | None:
        """« Se connecter… »: the browser sign-in of the active environment on a worker thread."""
        problems = self.apply()
        if problems:
            for key, _message in problems:
                self.mark(key)
            return None
        from viewer.oauth.flows import sign_in_browser

        settings = copy.deepcopy(self.candidate)
        settings.functions.auth = "oauth2"
        self.signin_button.state(["disabled"])
        self.signin_status.configure(text=_("settings.oauth.waiting"))
        self.signin_runner = SignInRunner(self, lambda cancel: sign_in_browser(settings, cancel=cancel), self._signed_in).start()
        return self.signin_runner

    def _signed_in(self, result: Any, error: Exception | None) -> None:
        self.signin_button.state(["!disabled"])
        self.signin_status.configure(text=status_text(self.candidate))
        if error is not None:
            self.notify("error", _("settings.button.sign_in"), error_words(error))

    def _password(self, name: str) -> str:
        env = self.candidate.environments.get(name)
        if env is None:
            return ""
        try:
            from viewer.settings import get_password

            return get_password(self.candidate, name) or ""
        except Exception:  # noqa: BLE001 - no keyring backend: fall back to the environment's password
            return env.smtp_password

    def _load_credentials(self) -> None:
        env = self.candidate.environment
        self.vars["env.user"].set(env.smtp_user)
        self.vars["env.password"].set(self._password(self.candidate.active_environment))
        self.env_label.configure(text=_("settings.environment.current", name=self.candidate.active_environment))
        self.signin_status.configure(text=status_text(self.candidate))

    def _store_credentials(self) -> None:
        env = self.candidate.environment
        env.smtp_user = self.vars["env.user"].get().strip()
        env.smtp_password = self.vars["env.password"].get()

    def _build_environments(self) -> None:
        tab = self._new_screen(ENV_SCREEN)
        ttk.Label(tab, text=label("env.active")).grid(row=0, column=0, sticky="w", padx=4)
        self.active_var = tk.StringVar(value=self.candidate.active_environment)
        self.active_box = ttk.Combobox(tab, textvariable=self.active_var, state="readonly", width=24)
        self.active_box.grid(row=0, column=1, sticky="w", padx=4, pady=2)
        self.widgets["env.active"] = self.active_box
        self.active_box.bind("<<ComboboxSelected>>", lambda e: self.set_active(self.active_var.get()))
        self.env_list = ttk.Treeview(tab, columns=("name", "user"), show="headings", height=5)
        self.env_list.heading("name", text=label("env.name"))
        self.env_list.heading("user", text=label("env.user"))
        self.env_list.grid(row=1, column=0, columnspan=3, sticky="nsew", padx=4, pady=4)
        self.env_list.bind("<<TreeviewSelect>>", lambda e: self._env_selected())
        self.env_name = tk.StringVar()
        self.env_user = tk.StringVar()
        self.env_password = tk.StringVar()
        for row, (key, var) in enumerate((("env.name", self.env_name), ("env.user", self.env_user),
                                          ("env.password", self.env_password)), start=2):
            ttk.Label(tab, text=label(key)).grid(row=row, column=0, sticky="w", padx=4)
            ttk.Entry(tab, textvariable=var, width=30, show="•" if key == "env.password" else "").grid(
                row=row, column=1, sticky="w", padx=4, pady=2)
        buttons = ttk.Frame(tab)
        buttons.grid(row=5, column=0, columnspan=3, sticky="w", pady=4)
        ttk.Button(buttons, text=_("settings.button.env_save"), command=self.save_environment).pack(side="left", padx=4)
        ttk.Button(buttons, text=_("settings.button.env_delete"), command=self.delete_environment).pack(side="left", padx=4)
        self._refresh_environments()

    def _refresh_environments(self) -> None:
        names = sorted(self.candidate.environments)
        self.active_box.configure(values=names)
        self.env_list.delete(*self.env_list.get_children())
        for name in names:
            self.env_list.insert("", "end", iid=name, values=(name, self.candidate.environments[name].smtp_user))

    def _env_selected(self) -> None:
        chosen = self.env_list.selection()
        if chosen:
            name = chosen[0]
            self.env_name.set(name)
            self.env_user.set(self.candidate.environments[name].smtp_user)
            self.env_password.set(self._password(name))

    def _build_templates(self) -> None:
        """Subject and body per "kind.language" (e.g. devis.fr): the shipped text or the user's own."""
        from viewer.mail import templates as tpl

        tab = self._new_screen(TEMPLATE_SCREEN)
        keys = sorted(set(tpl.DEFAULT_SUBJECTS) | set(self.candidate.templates.subjects) | set(self.candidate.templates.bodies))
        ttk.Label(tab, text=label("templates.key")).grid(row=0, column=0, sticky="w", padx=4, pady=2)
        preferred = f"devis.{language()}"  # the quote in the interface language, the template most used
        first = preferred if preferred in keys else next((k for k in keys if k.endswith("." + language())), "")
        self.template_key = tk.StringVar(value=first or (keys[0] if keys else "devis.fr"))
        self.template_box = ttk.Combobox(tab, textvariable=self.template_key, values=keys, width=20)
        self.template_box.grid(row=0, column=1, sticky="w", padx=4)
        self.template_box.bind("<<ComboboxSelected>>", lambda e: self.load_template())
        self.template_state = ttk.Label(tab, text="")
        self.template_state.grid(row=1, column=1, sticky="w", padx=4)
        ttk.Label(tab, text=label("templates.subject")).grid(row=2, column=0, sticky="w", padx=4, pady=2)
        self.template_subject = tk.StringVar()
        ttk.Entry(tab, textvariable=self.template_subject, width=50).grid(row=2, column=1, sticky="ew", padx=4)
        ttk.Label(tab, text=label("templates.body")).grid(row=3, column=0, sticky="nw", padx=4, pady=2)
        self.template_body = tk.Text(tab, width=56, height=10, wrap="word", undo=True)
        self.template_body.grid(row=3, column=1, sticky="nsew", padx=4, pady=2)
        ttk.Label(tab, text=_("settings.templates.fields", fields=" ".join(f"%{f}%" for f in tpl.PERCENT_FIELDS)
                                                        + " " + " ".join(f"{{{f}}}" for f in tpl.FIELDS)),
                  wraplength=460).grid(row=4, column=1, sticky="w", padx=4)
        buttons = ttk.Frame(tab)
        buttons.grid(row=5, column=1, sticky="w", pady=4)
        ttk.Button(buttons, text=_("settings.button.template_save"), command=self.store_template).pack(side="left", padx=4)
        ttk.Button(buttons, text=_("settings.button.template_reset"), command=self.reset_template).pack(side="left", padx=4)
        self.widgets["templates"] = self.template_box
        self.load_template()

    def _template_texts(self, key: str) -> tuple[str, str, bool]:
        from viewer.mail import templates as tpl

        t = self.candidate.templates
        own = key in t.subjects or key in t.bodies
        return t.subjects.get(key, tpl.DEFAULT_SUBJECTS.get(key, "")), t.bodies.get(key, tpl.DEFAULT_BODIES.get(key, "")), own

    def load_template(self) -> None:
        key = self.template_key.get().strip()
        subject, body, own = self._template_texts(key)
        self.template_subject.set(subject)
        self.template_body.delete("1.0", "end")
        self.template_body.insert("1.0", body)
        self._loaded_template = (key, subject, body)
        self.template_state.configure(text=_("settings.templates.own" if own else "settings.templates.default"))

    def _template_edited(self) -> bool:
        current = (self.template_key.get().strip(), self.template_subject.get(), self.template_body.get("1.0", "end-1c"))
        return current != getattr(self, "_loaded_template", None)

    def store_template(self, quiet: bool = False) -> str:
        """Keep the template shown as the user's own (checked by rendering it); '' or the problem."""
        from viewer.mail import templates as tpl

        key = self.template_key.get().strip().lower()
        if not TEMPLATE_KEY.fullmatch(key):
            problem = _("settings.error.template_key", key=key)
        else:
            trial = copy.deepcopy(self.candidate)
            trial.templates.subjects[key] = self.template_subject.get()
            trial.templates.bodies[key] = self.template_body.get("1.0", "end-1c")
            kind, lang = key.split(".")
            try:
                tpl.render(kind, lang, {}, trial)
                problem = ""
            except Exception as exc:  # noqa: BLE001 - any template error is shown next to the template
                problem = error_text(exc)
        if problem:
            if not quiet:
                self.notify("error", _("settings.title"), problem)
            return problem
        default = (tpl.DEFAULT_SUBJECTS.get(key), tpl.DEFAULT_BODIES.get(key))
        subject, body = self.template_subject.get(), self.template_body.get("1.0", "end-1c")
        t = self.candidate.templates
        if (subject, body.strip()) == (default[0], (default[1] or "").strip()):
            t.subjects.pop(key, None)
            t.bodies.pop(key, None)
        else:
            t.subjects[key], t.bodies[key] = subject, body
        self.template_key.set(key)
        self.template_box.configure(values=sorted(set(self.template_box.cget("values")) | {key}))
        self.load_template()
        return ""

    def reset_template(self) -> None:
        key = self.template_key.get().strip()
        self.candidate.templates.subjects.pop(key, None)
        self.candidate.templates.bodies.pop(key, None)
        self.load_template()

    # -- actions --------------------------------------------------------------------------
    def _new_screen(self, screen: str) -> ttk.Frame:
        tab = ttk.Frame(self.holder, padding=(0, 4))
        tab.columnconfigure(1, weight=1)
        self.tabs[screen] = tab
        self.screen_list.insert("end", _(f"settings.screen.{screen}"))
        if len(self.tabs) == 1:
            self.show_screen(screen)
        return tab

    def screen_names(self) -> list[str]:
        return list(self.screen_list.get(0, "end"))

    def _list_selected(self) -> None:
        chosen = self.screen_list.curselection()
        if chosen:
            self.show_screen(list(self.tabs)[chosen[0]])

    def show_screen(self, screen: str) -> None:
        for tab in self.tabs.values():
            tab.grid_remove()
        self.tabs[screen].grid(row=0, column=0, sticky="nsew")
        self.holder.columnconfigure(0, weight=1)
        self.canvas.yview_moveto(0)
        self._current = screen
        index = list(self.tabs).index(screen)
        self.screen_list.selection_clear(0, "end")
        self.screen_list.selection_set(index)
        self.screen_list.see(index)
        self.page_title.configure(text=_(f"settings.screen.{screen}"))

    def current_screen(self) -> str:
        return self._current

    def browse(self, key: str) -> None:
        kind = FIELDS[key].kind
        chosen = (self.ask_folder if kind == "folder" else self.ask_file)(self.vars[key].get())
        if chosen:
            self.vars[key].set(chosen)

    def set_active(self, name: str) -> None:
        """Switch the active environment (its user/password show on the SMTP functions screen)."""
        from viewer.settings import Environment

        self._store_credentials()
        self.candidate.active_environment = name
        self.candidate.environments.setdefault(name, Environment())
        self.active_var.set(name)
        self._load_credentials()
        self._refresh_environments()

    def save_environment(self) -> str:
        """Add or update the environment named in the Environments screen; '' or the problem."""
        from viewer.settings import Environment

        self._store_credentials()
        name = self.env_name.get().strip()
        if not name or any(c.isspace() for c in name):
            problem = _("settings.error.env_name")
            self.notify("error", _("settings.title"), problem)
            return problem
        env = self.candidate.environments.setdefault(name, Environment())
        env.smtp_user, env.smtp_password = self.env_user.get().strip(), self.env_password.get()
        if name == self.candidate.active_environment:
            self._load_credentials()
        self._refresh_environments()
        return ""

    def delete_environment(self) -> str:
        self._store_credentials()
        name = self.env_name.get().strip()
        if name == self.candidate.active_environment or name not in self.candidate.environments:
            problem = _("settings.error.env_delete", name=name)
            self.notify("error", _("settings.title"), problem)
            return problem
        del self.candidate.environments[name]
        self.env_name.set("")
        self._refresh_environments()
        return ""

    def apply(self) -> list[tuple[str, str]]:
        """Copy the controls into the candidate settings; (key, problem) for values that do not parse."""
        problems: list[tuple[str, str]] = []
        for key, spec in FIELDS.items():
            if key != spec.key:  # an alias set through another control
                continue
            raw = self.vars[key].get()
            if spec.kind == "auth":
                self.candidate.functions.auth = "password" if raw == "password" else "oauth2"
                if raw != "password":
                    self.candidate.functions.oauth_provider = raw
                continue
            if spec.kind == "bool":
                value: Any = bool(raw)
            elif spec.kind == "int":
                try:
                    value = int(str(raw).strip() or "0")
                    if not 0 <= value <= 65535:
                        raise ValueError
                except ValueError:
                    problems.append((key, _("settings.error.port", value=raw)))
                    continue
            elif spec.kind == "count":
                try:
                    value = int(str(raw).strip())
                    if not 1 <= value <= 64:
                        raise ValueError
                except ValueError:
                    problems.append((key, _("settings.error.count", value=raw)))
                    continue
            elif spec.kind == "float":
                try:
                    value = float(str(raw).strip().replace(",", ".") or "0")
                    if value < 0 or (key == "functions.timeout" and value == 0):
                        raise ValueError
                except ValueError:
                    problems.append((key, _("settings.error.number", value=raw)))
                    continue
            else:
                value = str(raw).strip()
            set_value(self.candidate, key, value)
        self._store_credentials()
        if self._template_edited():
            problem = self.store_template(quiet=True)
            if problem:
                problems.append(("templates", problem))
        return problems

    def entry_ok(self) -> list[tuple[str, str]]:
        """Every problem of the values entered, as (key, explanation); [] when they can be saved."""
        problems = self.apply()
        if problems:
            return problems
        from viewer.gui.i18n import language
        from viewer.settings import check

        return [(self._field_key(problem.key), problem.text(language())) for problem in check(self.candidate)]

    def _field_key(self, key: str) -> str:
        """The control that shows the setting ``key`` of a Problem."""
        if key in self.widgets:
            return key
        if key.startswith("templates."):
            return "templates"
        if key == "active_environment" or key.startswith("environments."):
            return "env.user" if key.endswith("smtp_user") or key.endswith("smtp_password") else "env.active"
        return key

    def mark(self, key: str) -> None:
        """Highlight the control of ``key`` and show its screen."""
        widget = self.widgets.get(key)
        if widget is None:
            return
        screen = SCREEN_OF.get(key) or (ENV_SCREEN if key == "env.active" else "functions" if key.startswith("env.")
                                         else TEMPLATE_SCREEN if key.startswith("templates") else None)
        if screen:
            self.show_screen(screen)
        if isinstance(widget, ttk.Combobox):
            widget.configure(style="Invalid.TCombobox")
        elif isinstance(widget, ttk.Entry):
            widget.configure(style="Invalid.TEntry")
        widget.focus_set()
        self.update_idletasks()
        total = self.holder.winfo_reqheight()
        if total > self.canvas.winfo_height() > 1:  # bring the refused field into view
            top = widget.winfo_rooty() - self.holder.winfo_rooty()
            self.canvas.yview_moveto(max(0.0, (top - 40) / total))
        self.invalid.append(key)

    def _canvas_resized(self, event: tk.Event) -> None:
        self.canvas.itemconfigure(self._holder_item, width=event.width)
        self._scroll_region()

    def _wheel_step(self, step: int, event: tk.Event) -> None:
        self._wheel(event, step)

    def _clear_mark_on_key(self, key: str, _event: object) -> None:
        self._clear_mark(key)

    def _clear_mark(self, key: str) -> None:
        if key in self.invalid:
            widget = self.widgets[key]
            widget.configure(style="TCombobox" if isinstance(widget, ttk.Combobox) else "TEntry")  # type: ignore[call-arg]  # a ttk widget
            self.invalid.remove(key)

    def ok(self) -> bool:
        """Validate; on success save and close; else highlight, explain, save nothing."""
        for key in list(self.invalid):
            self._clear_mark(key)
        problems = self.entry_ok()
        if problems:
            for key, _message in reversed(problems):
                self.mark(key)
            text = "\n".join(f"{self._label_of(key)}: {message}" for key, message in problems)
            self.notify("error", _("settings.title"), _("settings.error.invalid") + "\n" + text)
            return False
        try:
            self._save()
        except Exception as exc:  # noqa: BLE001 - any failure is shown in a dialog, never a traceback
            self.notify("error", _("settings.title"), error_text(exc))
            return False
        self.result = self.candidate
        if self.on_saved:
            self.on_saved(self.candidate)
        self.destroy()
        return True

    def _label_of(self, key: str) -> str:
        if key in FIELDS or key.startswith("env.") or key == "templates":
            return label(key)
        return key

    def _save(self) -> None:
        """Write the settings (passwords go to the keyring or the file); forget cleared passwords."""
        from viewer import settings as settings_mod

        settings_mod.save(self.candidate)
        for name, env in self.candidate.environments.items():
            if not env.smtp_password and self._original_password(name):
                settings_mod.set_password(self.candidate, "", environment=name)

    def _original_password(self, name: str) -> str:
        env = self.original.environments.get(name)
        if env is None:
            return ""
        try:
            from viewer.settings import get_password

            return env.smtp_password or get_password(copy.deepcopy(self.original), name) or ""
        except Exception:  # noqa: BLE001 - no keyring backend: no stored password to show
            return ""

    def cancel(self) -> None:
        if self.signin_runner is not None:
            self.signin_runner.cancel.set()
        self.destroy()
