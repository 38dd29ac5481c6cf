"""Both catalogues of domain "main" are complete: every key used in the GUI code is translated."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

GUI = Path(__file__).resolve().parents[3] / "viewer" / "gui"
LOCALE = GUI / "locale"
MINE = ["app.py", "mainwindow.py", "pageview.py", "thumbnails.py", "toolbar.py", "statusbar.py", "dialogs.py",
        "printing.py", "emlview.py", "recent.py", "search.py", "filecommands.py", "menus.py"]
# Keys built at run time from a fixed set of values.
DYNAMIC = {
    "dialog.{}.title": ["error", "info"],
    "savepdf.mode.{}": ["none", "no-modify", "password"],
    "kind.{}": ["spv", "text", "pdf", "ps", "xps", "image", "eml"],
    "eml.header.{}": ["from", "to", "cc", "date", "subject"],
    "language.{}": ["auto", "fr", "en"],
    "menu.{}": ["file", "view", "connection", "tools", "settings", "help"],
    "unit.{}": ["b", "kb", "mb"],
    "accel.{}": ["shift", "home", "end", "pgup", "pgdn"],
}
KEY = re.compile(r"^[a-z]+(\.[a-z0-9_-]+)+$")

pytestmark = pytest.mark.gui


def used_keys() -> set[str]:
    keys: set[str] = set()
    for name in MINE:
        tree = ast.parse((GUI / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    keys.add(arg.value)
            # keys handed over as data: add_menu_command(..., "menu.x", ...), OPEN_TYPES, tooltips
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value):
                if node.value.split(".")[0] in {"menu", "tip", "status", "error", "print", "search"}:
                    keys.add(node.value)
    for pattern, values in DYNAMIC.items():
        keys.update(pattern.format(v) for v in values)
    return keys


def catalogue(lang: str) -> dict[str, str]:
    return json.loads((LOCALE / f"main.{lang}.json").read_text(encoding="utf-8"))


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_used_key_is_translated(lang):
    table = catalogue(lang)
    missing = sorted(k for k in used_keys() if not table.get(k, "").strip())
    assert not missing, f"main.{lang}.json lacks {missing}"


def test_both_catalogues_have_the_same_keys_and_placeholders():
    fr, en = catalogue("fr"), catalogue("en")
    assert set(fr) == set(en)
    for key in fr:
        assert fields(fr[key]) == fields(en[key]), key


def test_no_unused_keys_linger():
    unused = set(catalogue("en")) - used_keys()
    assert not unused, f"unused keys: {sorted(unused)}"


def test_scanner_sees_literal_keys():
    assert {"password.title", "goto.prompt", "menu.file.open", "tip.zoom_in"} <= used_keys()


def error_kinds() -> set[str]:
    """Every kind ``error_kind`` can answer (read from its source, so a new kind is seen at once)."""
    source = (GUI / "mailui" / "model.py").read_text(encoding="utf-8")
    [function] = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == "error_kind"]
    returns = [n.value for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
    return {c.value for r in returns for c in ast.walk(r) if isinstance(c, ast.Constant) and isinstance(c.value, str)
            and c.value}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_key_and_every_error_kind_is_worded_in_both_languages(lang):
    from viewer.gui import i18n
    from viewer.mail.outbox import LOG_WORDS
    from viewer.mail.routes.base import ConfigurationError, PermanentError, TemporaryError

    merged = i18n.catalogue(lang)
    everything = set(i18n.catalogue("fr")) | set(i18n.catalogue("en"))
    assert not sorted(k for k in everything if not merged.get(k, "").strip())
    kinds = error_kinds()
    assert {"temporary", "permanent", "configuration", "login", "certificate", "unavailable"} <= kinds
    assert not sorted(k for k in kinds if not merged.get(f"mail.error.kind.{k}", "").strip())
    for error in (TemporaryError, PermanentError, ConfigurationError):  # the error folder's .log words them too
        assert LOG_WORDS[lang].get(f"kind.{error('x').kind}")
