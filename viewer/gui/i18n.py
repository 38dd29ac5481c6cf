"""User-interface strings: keyed catalogues per language (fr, en), merged from locale/*.json.

Every visible string goes through ``_("key")``. Catalogue files are
``locale/<domain>.<lang>.json`` (a flat JSON object key -> text); all domains of a
language are merged, so each window module can keep its own domain file. A missing key
shows the key itself (and the catalogue test fails).
"""

from __future__ import annotations

import json
import locale
import os
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
SHARED_LOCALE_DIR = Path(__file__).parents[1] / "locale"  # viewer/locale: viewer.messages' texts (the command line's)
LANGUAGES = ("fr", "en")
_current = "fr"


def system_language() -> str:
    """fr on a French locale (the default for unknown locales too), en on an English one."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            code = value.split(":")[0][:2].lower()
            return code if code in LANGUAGES else "fr"
    try:
        code = (locale.getlocale()[0] or "fr")[:2].lower()
    except ValueError:
        code = "fr"
    return code if code in LANGUAGES else "fr"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All keys of ``lang``, merged over every domain file (and the error texts the command line shares).

    The shared files are read here, as ``viewer.messages.catalogue`` reads them, without importing
    that module (it imports the document reader's errors, which the first window does not need)."""
    merged: dict[str, str] = {}
    for folder in (SHARED_LOCALE_DIR, LOCALE_DIR):
        for path in sorted(folder.glob(f"*.{lang}.json")):
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def set_language(lang: str) -> str:
    """Use ``lang`` ("auto" picks the system's); returns the language in force."""
    global _current
    _current = system_language() if lang in ("", "auto") else (lang if lang in LANGUAGES else "fr")
    return _current


def language() -> str:
    return _current


def _(key: str, /, **fields: object) -> str:
    """The text of ``key`` in the current language, with ``{field}`` placeholders filled."""
    text = catalogue(_current).get(key) or catalogue("en").get(key) or key
    return text.format(**fields) if fields else text


def size_text(size: int) -> str:
    """A file size as a person reads it: "52,3 Ko" in French, "52.3 KB" in English."""
    if size < 1024:
        return f"{size} {_('unit.b')}"
    number, unit = (size / 1024, "unit.kb") if size < 1024 * 1024 else (size / 1024 / 1024, "unit.mb")
    text = f"{number:.1f}"
    return f"{text.replace('.', ',') if _current == 'fr' else text} {_(unit)}"
