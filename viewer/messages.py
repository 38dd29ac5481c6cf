"""Errors in the interface language (fr, en): formats error codes and coded SpoolviewErrors worded from the catalogues.

formats and viewer.connection raise errors whose ``str()`` is English (logs keep it) and
that carry a stable code with parameters (``DocumentError.code``/``params``,
``SpoolviewError.msgid``/``params``). ``describe(exc, lang)`` words them from
``locale/messages.<lang>.json``: key ``formats.<code>``, and the msgid itself (e.g.
``appserver.unreachable``) for a SpoolviewError; an error
without a code (or a code the catalogue lacks) keeps its own text. A server's reply is a
parameter: it is quoted as received, only the sentence around it is translated.

The GUI merges this catalogue into its own (viewer.gui.i18n); the command line picks its
language with ``cli_language``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from formats.document import DocumentError
from viewer.errors import SpoolviewError

__all__ = ["LANGUAGES", "catalogue", "cli_language", "counted", "describe", "route_text", "said", "text"]

LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("fr", "en")
_NESTING = 6  # an error quoted in an error quoted in...: the server route's chains, a TOML file's placed words


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every key of ``lang`` in ``locale/*.<lang>.json``."""
    merged: dict[str, str] = {}
    for path in sorted(LOCALE_DIR.glob(f"*.{lang}.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def text(lang: str, key: str, /, **fields: object) -> str:
    """The text of ``key`` in ``lang`` (else English, else the key), ``{field}`` placeholders filled."""
    template = catalogue(lang).get(key) or catalogue("en").get(key) or key
    return template.format(**fields) if fields else template


def counted(lang: str, key: str, n: int, /, **fields: object) -> str:
    """``key.one`` or ``key.other`` for the count ``n`` (French: 0 and 1 are singular), ``{n}`` filled."""
    one = n == 1 or (lang == "fr" and n == 0)
    return text(lang, f"{key}.{'one' if one else 'other'}", n=n, **fields)


def said(exc: BaseException, lang: str) -> str:
    """What a command-line line says of ``exc``: its own (English) text in English, worded in French."""
    return str(exc) if lang == "en" else describe(exc, lang)


# The route as the send job names it (select.Choice.text, kept in the history in English): worded.
_ROUTE_FALLBACK = r"^(?P<route>.*) \(local after server failure: (?P<reason>.*)\)$"
_ROUTE_WORDS = (
    (r"^pickup folder (?P<folder>.+)$", "route.pickup"),
    (r"^SMTP server (?P<where>\S+) \((?P<security>[^()]*)\)$", "route.smtp"),
    (r"^application server (?P<name>.*?) \((?P<url>[^()]*)\)$", "route.server"),
    (r"^pickup folder$", "route.pickup.bare"),
    (r"^direct SMTP$", "route.smtp.bare"),
)
_SECURITY = {"no TLS": "route.security.none", "implicit TLS": "route.security.tls"}


def route_text(lang: str, route: str) -> str:
    """``route`` (``pickup folder /x``, ``SMTP server h:587 (STARTTLS)``...) in ``lang``; as given in English
    or when it is not one of the send job's descriptions. Folder, host and reasons stay as they are."""
    if lang == "en" or not route:
        return route or text(lang, "route.unknown")
    fallback = re.match(_ROUTE_FALLBACK, route, re.S)  # compiled on first use (re caches it): nothing at import
    if fallback:
        return text(lang, "route.after_failure", route=route_text(lang, fallback["route"]), reason=fallback["reason"])
    for pattern, key in _ROUTE_WORDS:
        found = re.match(pattern, route, re.S)
        if found:
            fields = found.groupdict()
            if "security" in fields and fields["security"] in _SECURITY:
                fields["security"] = text(lang, _SECURITY[fields["security"]])
            return text(lang, key, **fields)
    return route


def cli_language(setting: str = "auto") -> str:
    """fr or en for command-line messages: ``setting`` when it names one, else the locale's.

    As gettext does: the locale is LC_ALL, else LC_MESSAGES, else LANG; LANGUAGE is read
    only when that locale is not C/POSIX. French when it says French, English otherwise
    (a terminal in the C locale reads English; the GUI defaults to French instead).
    """
    if setting in LANGUAGES:
        return setting
    locale_name = next((os.environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(v)), "")
    if locale_name.split(".")[0] in ("", "C", "POSIX"):
        return "en"
    wanted = [lang for lang in os.environ.get("LANGUAGE", "").split(":") if lang] + [locale_name]
    return "fr" if wanted[0][:2].lower() == "fr" else "en"


def describe(exc: BaseException, lang: str, *, file_name_only: bool = False, named: str | Path = "") -> str:
    """What a person reads for ``exc`` in ``lang``: the worded code when it has one, else ``str(exc)``.

    A DocumentError is placed first (file, page, item, field); ``file_name_only`` shows
    the file's name rather than its path; the file ``named`` (one the sentence around
    already names) is left out — another one, such as a sidecar, is still named.
    """
    try:
        return _describe(exc, lang, file_name_only, _NESTING, str(named))
    except (KeyError, IndexError, ValueError):  # words that do not fit the error's parameters: its own text, never a traceback
        return str(exc)


def _describe(exc: BaseException, lang: str, file_name_only: bool, depth: int, named: str = "") -> str:
    if isinstance(exc, DocumentError):  # placed in ``lang`` even without a code (then its English reason)
        where = _where(exc, lang, file_name_only, named)
        if f"formats.{exc.code}" in catalogue(lang):
            fields = _fields(exc.params, lang, file_name_only, depth)
            if exc.code == "schema.type":  # JSON's type names, as the interface language says them
                fields["expected"] = " | ".join(text(lang, f"formats.jsontype.{t}") for t in str(fields["expected"]).split(" | "))
            said = text(lang, f"formats.{exc.code}", **fields)
        else:
            said = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return text(lang, "formats.placed", where=where, text=said) if where else said
    if isinstance(exc, SpoolviewError) and exc.msgid in catalogue(lang):
        return text(lang, exc.msgid, **_fields(exc.params, lang, file_name_only, depth))
    return str(exc)


def _fields(params: Mapping[str, object], lang: str, file_name_only: bool, depth: int) -> dict[str, object]:
    fields = dict(params)
    for name, value in fields.items():
        if isinstance(value, BaseException):
            fields[name] = _describe(value, lang, file_name_only, depth - 1) if depth > 0 else str(value)
    return fields


def _where(exc: DocumentError, lang: str, file_name_only: bool, named: str) -> str:
    where = []
    if exc.file and not (named and Path(exc.file).name == Path(named).name):
        where.append(text(lang, "formats.where.file", file=Path(exc.file).name if file_name_only else exc.file))
    if exc.page is not None:
        where.append(text(lang, "formats.where.page", page=exc.page))
    if exc.item is not None:
        where.append(text(lang, "formats.where.item", item=exc.item))
    if exc.field:
        where.append(text(lang, "formats.where.field", field=exc.field))
    return ", ".join(where)
