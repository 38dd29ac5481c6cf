"""Shared helpers and the "mail" catalogues: complete in French and English, every key used exists."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from viewer.gui.i18n import set_language
from viewer.gui.mailui.common import human_size, notifier
from viewer.gui.mailui.settings_dialog import FIELDS

pytestmark = pytest.mark.gui
PACKAGE = Path(__file__).resolve().parents[4] / "viewer" / "gui" / "mailui"
LOCALE = PACKAGE.parent / "locale"
PREFIXES = ("mail.", "records.", "settings.", "tools.", "connection.", "extract.preview.")
DYNAMIC = [f"settings.field.{k}" for k in FIELDS] + [
    f"settings.field.env.{k}" for k in ("active", "name", "user", "password")] + [
    f"mail.field.{k}" for k in ("to", "cc", "bcc")] + [
    f"mail.protection.{k}" for k in ("none", "no-modify", "password")] + [
    f"records.column.{k}" for k in ("kind", "code", "name", "email")] + [
    f"records.kind.{k}" for k in ("customer", "contact")] + [
    f"settings.screen.{k}" for k in ("printing", "pdf", "routing", "service", "functions", "copies", "advanced",
                                     "environments", "templates")] + [
    f"tools.test.{k}" for k in ("to", "subject")] + [
    f"tools.folder.{k}" for k in ("name", "size", "date")] + [
    f"connection.field.{k}" for k in ("profile", "password", "name", "url", "user", "ca_file")] + [
    "mail.outcome.accepted", "mail.outcome.refused", "tools.trace.on", "tools.trace.off",
    "settings.field.templates", "settings.field.templates.key", "settings.field.templates.subject",
    "settings.field.templates.body", "settings.templates.own", "settings.templates.default"]


def catalogue(lang: str) -> dict[str, str]:
    return json.loads((LOCALE / f"mail.{lang}.json").read_text(encoding="utf-8"))


def used_keys() -> set[str]:
    keys = set(DYNAMIC)
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(PREFIXES):
                if re.fullmatch(r"[a-z]+(\.[a-z0-9_-]+)+", node.value):
                    keys.add(node.value)
    return keys


def test_both_catalogues_have_the_same_keys():
    assert set(catalogue("fr")) == set(catalogue("en"))
    assert all(k.startswith(PREFIXES) for k in catalogue("fr"))


def test_every_key_used_is_translated():
    fr, en = catalogue("fr"), catalogue("en")
    missing = sorted(k for k in used_keys() if k not in fr or k not in en)
    assert missing == []


def test_placeholders_match():
    fr, en = catalogue("fr"), catalogue("en")
    for key in fr:
        assert set(re.findall(r"{(\w+)}", fr[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_human_size_per_language():
    assert human_size(512) == "512 o"
    assert human_size(53564) == "52,3 Ko"  # a French decimal comma
    assert human_size(5 * 1024 * 1024) == "5,0 Mo"
    set_language("en")
    try:
        assert human_size(3 * 1024 * 1024) == "3.0 MB"
        assert human_size(53564) == "52.3 KB"
    finally:
        set_language("fr")


def test_injected_notifier_is_used(root):
    calls = []
    show = notifier(root, lambda *a: calls.append(a) or True)
    assert show("yesno", "t", "m") is True and calls == [("yesno", "t", "m")]


def test_real_message_box_headline_bold_details_below(monkeypatch):
    """The first line is the box's message, the rest its detail (not one long bold paragraph)."""
    from tkinter import messagebox

    from viewer.gui.mailui.common import default_notify

    shown = []
    for name in ("showinfo", "showerror", "showwarning", "askyesno"):
        monkeypatch.setattr(messagebox, name, lambda title, message, _n=name, **kw: shown.append((_n, title, message, kw)))
    default_notify("info", "Envoi", "Mail envoyé.\nelodie@example.com: accepted\nmessage file: /x.eml")
    default_notify("error", "Envoi", "Le mail n'a pas été envoyé.")
    default_notify("yesno", "Envoi", "Déjà envoyé.\n\nEnvoyer quand même ?")
    assert shown[0] == ("showinfo", "Envoi", "Mail envoyé.", {"detail": "elodie@example.com: accepted\nmessage file: /x.eml"})
    assert shown[1] == ("showerror", "Envoi", "Le mail n'a pas été envoyé.", {})
    assert shown[2] == ("askyesno", "Envoi", "Déjà envoyé.", {"detail": "Envoyer quand même ?"})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_error_code_and_connection_error_is_worded_in_the_interface(lang):
    """The GUI's catalogue carries the words of every formats error code and connection error, in both
    languages (viewer/locale/messages.*.json, shared with the command line; tests/viewer/test_messages.py
    checks that every code raised has them), and no window's domain file shadows one of them."""
    from formats.document import ERROR_CODES
    from viewer import messages
    from viewer.gui import i18n

    gui = i18n.catalogue(lang)
    missing = sorted(f"formats.{code}" for code in ERROR_CODES if not gui.get(f"formats.{code}", "").strip())
    assert missing == []
    connection = [k for k in messages.catalogue(lang) if k.startswith("appserver.")]
    assert len(connection) > 20 and all(gui[k] == messages.catalogue(lang)[k] for k in messages.catalogue(lang))
    for path in LOCALE.glob(f"*.{lang}.json"):
        shadowed = set(json.loads(path.read_text(encoding="utf-8"))) & set(messages.catalogue(lang))
        assert shadowed == set(), f"{path.name} redefines {sorted(shadowed)}"
