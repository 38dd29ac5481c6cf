"""The document model shared by every reader: Document, Page, DocInfo and DocumentError."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SourceKind = Literal["spv", "text", "pdf", "ps", "xps", "image", "eml"]


class DocumentError(Exception):
    """Unreadable or invalid input; names the file, page, item and field where known.

    ``str(err)`` is a one-line message a person can act on.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        page: int | None = None,
        item: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
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


@dataclass
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


@dataclass
class Page:
    """One page: its size in points (1/72 inch) and its index (0-based) in the document."""

    index: int
    width: float
    height: float


@dataclass
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
            raise DocumentError(f"no page {index + 1} (the document has {self.page_count})", file=self.path)
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
