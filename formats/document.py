"""The document model shared by every reader: Document, Page, DocInfo and DocumentError."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any, Literal

from formats.records import record

SourceKind = Literal["spv", "text", "pdf", "ps", "xps", "image", "eml"]


# Every code a DocumentError of formats may carry, with the names of its ``params``: the
# application words each one (tests/viewer/test_messages.py fails on a code without words).
ERROR_CODES: dict[str, tuple[str, ...]] = {
    "file.folder": (), "file.not_found": (), "file.permission": (), "file.unreadable": ("reason",),
    "file.empty": (), "file.utf16": (), "file.unknown_kind": (), "file.damaged": ("kind", "reason"),
    "document.no_pages": (), "password.required": (), "password.wrong": (),
    "page.missing": ("page", "count"), "page.unreadable": ("reason",), "page.not_displayable": (),
    "page.draw_failed": ("reason",), "page.too_large": ("page", "dpi"), "page.not_object": (), "page.schema": (),
    "item.no_type": (), "item.unknown_type": ("type", "expected"),
    "spool.not_utf8": ("byte",), "spool.json": ("line", "column", "reason"), "spool.too_deep": (),
    "spool.not_object": (), "spool.schema": (),
    "schema.required": ("name",), "schema.type": ("expected", "value"), "schema.enum": ("value", "choices"),
    "schema.minimum": ("value", "limit"), "schema.exclusive_minimum": ("value", "limit"),
    "schema.maximum": ("value", "limit"), "schema.exclusive_maximum": ("value", "limit"),
    "schema.unknown_field": ("name",), "schema.other": ("reason",),
    "image.missing": ("name",), "image.base64": ("name",), "image.unreadable": ("name",), "image.damaged": ("name",),
    "image.too_large": ("width", "height", "limit"), "image.bomb": ("width", "height", "limit"),
    "font.unknown_family": ("family",), "font.base64": ("family",), "font.unusable": ("name", "reason"),
    "fonts.missing": (), "fonts.unreadable": ("path", "reason"),
    "limit.file_size": ("size", "limit"), "limit.pages": ("count", "limit"), "limit.items": ("count", "limit"),
    "limit.depth": ("limit",),
    "meta.not_utf8": (), "meta.json": ("line", "column", "reason"), "meta.not_object": (), "meta.not_text": (),
    "text.unknown_encoding": ("encoding",), "text.decode": ("encoding", "line", "byte"), "text.undecodable": (),
    "mail.unreadable": ("reason",), "mail.layout": ("reason",),
    "ps.no_ghostscript": ("install",), "ps.no_page": (), "ps.invalid": ("reason",), "ps.timeout": ("seconds",),
    "pdf.not_convertible": (), "pdf.convert_failed": ("reason",),
    "protect.unknown_mode": ("mode",), "protect.no_password": (), "protect.too_long": ("length", "limit"),
    "protect.control_chars": (), "protect.not_pdf": (), "protect.already": (),
    "rule.regex": ("rule", "reason"), "rule.group": ("rule",), "rule.region": (),
}


class DocumentError(Exception):
    """Unreadable or invalid input; names the file, page, item and field where known.

    ``str(err)`` is a one-line English message a person can act on (and logs keep).
    ``code`` (e.g. ``"json.invalid"``) is stable and, with ``params``, lets the
    application word the same error (message and hint) in the interface language:
    formats itself has no catalogue. Every error raised in formats carries a code.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        params: Mapping[str, str | int | float] | None = None,
        file: str | Path | None = None,
        page: int | None = None,
        item: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.params: dict[str, str | int | float] = dict(params or {})
        self.file = str(file) if file is not None else None
        self.page = page
        self.item = item
        self.field = field
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.page is not None:
            where.append(f"page {self.page}")
        if self.item is not None:
            where.append(f"item {self.item}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class PasswordRequired(DocumentError):
    """The document is encrypted and no (or a wrong) password was given."""


@record
class DocInfo:
    """What the ERP says about the printed document: kind, number, customer, contact, hints."""

    kind: str = ""  # devis, commande, facture, ... (free text from the ERP)
    number: str = ""
    date: str = ""  # ISO date as written by the ERP
    customer: str = ""  # customer code
    contact: str = ""  # contact code (empty: the customer's main record is used)
    civility: str = ""  # the contact's civility as the ERP writes it (Madame, Monsieur, Mr, Ms...)
    amount: str = ""  # the document's total as printed (e.g. "1 234,56 €")
    language: str = ""  # fr, en, ...
    title: str = ""
    issuer: str = ""  # the issuing company (written as the PDF's Author)
    customer_name: str = ""  # the customer's name (written as the PDF's Subject)
    mail_subject: str = ""
    mail_body: str = ""
    mail_to: str = ""  # an explicit address hint, if the ERP gives one

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DocInfo:
        data = data or {}
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: str(v) for k, v in data.items() if k in names and v is not None})


@record
class Page:
    """One page: its size in points (1/72 inch) and its index (0-based) in the document."""

    index: int
    width: float
    height: float


@record
class Document:
    """An opened document. Pages are loaded lazily by the reader behind ``backend``.

    ``backend`` is reader-specific; callers use the methods below and formats.render /
    formats.pdf, never the backend directly.
    """

    path: Path
    source: SourceKind
    info: DocInfo
    page_count: int
    backend: Any = None
    attachments: list[Any] = field(default_factory=list)  # eml: list of formats.eml.Attachment
    headers: dict[str, str] = field(default_factory=dict)  # eml: main headers
    repaired: bool = False  # damaged file read by the second PDF engine (say so to the user)
    _pdf: dict[tuple[object, ...], bytes] = field(default_factory=dict)  # to_pdf's last result, kept when small
    _page_loader: Callable[[int], Page] | None = None
    _pages: dict[int, Page] = field(default_factory=dict)

    def page(self, index: int) -> Page:
        """Page ``index`` (0-based), loaded on first use."""
        if not 0 <= index < self.page_count:
            raise DocumentError(f"no page {index + 1} (the document has {self.page_count})", code="page.missing",
                                params={"page": index + 1, "count": self.page_count}, file=self.path)
        if index not in self._pages:
            assert self._page_loader is not None
            self._pages[index] = self._page_loader(index)
        return self._pages[index]

    def pages(self) -> Iterator[Page]:
        for i in range(self.page_count):
            yield self.page(i)

    @property
    def name(self) -> str:
        return self.path.name

    def close(self) -> None:
        closer = getattr(self.backend, "close", None)
        if callable(closer):
            closer()

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
