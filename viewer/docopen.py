"""Open a document the way the settings say: limits, PostScript cache, document info read from the page."""

from __future__ import annotations

import os
import re
from typing import Any

from formats import DocInfo, Document
from formats import open_document as _open
from viewer import paths
from viewer.settings import Settings


def open_document(
    path: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    password: str | None = None,
    encoding: str | None = None,
    directory: Any = None,
) -> Document:
    """``formats.open_document`` with the settings' limits and cache; a document that carries no
    info of its own gets what the ``[extract]`` rules find on its first page (and, with
    ``customer_by_name``, the customer code the directory gives for the printed name), so the
    send job, the watched folder and the GUI use it as if it came from a .spv."""
    if settings is None:
        settings = _load()
    doc = _open(path, password=password, encoding=encoding, limits=settings.limits.to_limits(),
                cache_dir=paths.cache_dir() / "postscript")
    try:
        read_page_info(doc, settings, directory)
    except BaseException:
        doc.close()
        raise
    return doc


def read_page_info(doc: Document, settings: Settings, directory: Any = None) -> DocInfo:
    """Apply the extraction rules to ``doc`` (see open_document); returns what they found."""
    ex = settings.extract
    if not any((ex.kind, ex.number, ex.date, ex.customer, ex.contact, ex.language)):
        return DocInfo()  # no rule set (formats.extract.FIELDS): nothing to read, the reader not even imported
    from formats.extract import RuleError, apply

    try:
        rules = settings.extract.rules()
        rules.patterns()
    except RuleError:
        return DocInfo()  # an unusable rule (hand-edited file): `settings check` names it; opening goes on
    found = apply(doc, rules)
    if settings.extract.customer_by_name and found.customer and doc.info.customer == found.customer:
        name = found.customer
        code = customer_code(name, settings, directory)
        doc.info.customer = code
        doc.info.customer_name = doc.info.customer_name or name
        found.customer_name, found.customer = name, code
    return found


def customer_code(name: str, settings: Settings | None = None, directory: Any = None) -> str:
    """The code of the one customer whose name is ``name`` (accents, case and spaces aside); "" otherwise.

    ``directory`` answers ``search``; by default the server's when connected, else the local one.
    """
    from formats.extract import UNREADABLE
    from viewer.directory_rules import fold

    # Letters the page gives no text for match any letter: "Atelier Dupr\ufffd SARL".
    parts = fold(name).split(UNREADABLE)
    wanted = re.compile(".".join(re.escape(p) for p in parts))
    query = name.split(UNREADABLE)[0]
    if len(fold(query)) < 3:
        return ""
    owned = None
    if directory is None:
        from viewer.connection import current
        from viewer.mail.lookup import Lookups

        settings = settings if settings is not None else _load()
        owned = directory = Lookups(settings, current(settings))  # the server's, else the local one
    try:
        codes = {e.code for e in directory.search(query, limit=50) if e.kind == "customer" and wanted.fullmatch(fold(e.name))}
    finally:
        if owned is not None:
            owned.close()
    return codes.pop() if len(codes) == 1 else ""


def _load() -> Settings:
    from viewer.settings import load

    return load()


__all__ = ["customer_code", "open_document", "read_page_info"]
