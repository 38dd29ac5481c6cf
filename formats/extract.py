"""Document info read from the page: one regular expression per field over the first page's text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from formats.document import DocInfo, Document, DocumentError
from formats.lock import locked

FIELDS = ("kind", "number", "date", "customer", "contact", "language")
MAX_TEXT = 100_000  # characters of the first page searched (a page holds a few thousand)
_MM = 72.0 / 25.4
_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")


class RuleError(DocumentError):
    """A rule is not a usable regular expression; names the field."""


@dataclass(frozen=True)
class Rules:
    """One pattern per field (empty: not searched); group 1 of the first match is the value.

    ``region`` limits the search to a rectangle of the first page, in millimetres from the
    top-left corner: (left, top, right, bottom); ``customer_region`` does so for the customer
    rule alone (the address block). Patterns ignore case; ``^``/``$`` match at lines.
    """

    kind: str = ""
    number: str = ""
    date: str = ""
    customer: str = ""
    contact: str = ""
    language: str = ""
    region: tuple[float, float, float, float] | None = None
    customer_region: tuple[float, float, float, float] | None = None

    def region_of(self, name: str) -> tuple[float, float, float, float] | None:
        return self.customer_region if name == "customer" and self.customer_region else self.region

    def patterns(self) -> dict[str, re.Pattern[str]]:
        """The compiled patterns by field; RuleError names the first bad one."""
        out = {}
        for name in FIELDS:
            text = getattr(self, name)
            if text:
                out[name] = compile_rule(name, text)
        return out

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in FIELDS)


def compile_rule(name: str, pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled, with exactly the group it needs; RuleError says what is wrong."""
    try:
        compiled = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise RuleError(f"rule {name}: not a valid regular expression ({exc})", code="rule.regex",
                        params={"rule": name, "reason": str(exc)}, field=name) from None
    if compiled.groups < 1:
        raise RuleError(f"rule {name}: the expression needs a group ( ) around the value", code="rule.group",
                        params={"rule": name}, field=name,
                        hint=r"e.g. N°\s*(\S+)")
    return compiled


UNREADABLE = "\ufffd"  # stands for a letter the file gives no Unicode for (common in PostScript)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")


def _normalise(name: str, value: str) -> str:
    value = " ".join(_CONTROL.sub(UNREADABLE, value).split())
    if name == "kind":
        return value.lower()
    if name == "date":
        m = _DATE.match(value)  # 20/11/2026 -> 2026-11-20 (day first, as printed in France)
        if m:
            day, month, year = (int(g) for g in m.groups())
            if 1 <= day <= 31 and 1 <= month <= 12:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return value


@locked
def first_page_text(doc: Document, region: tuple[float, float, float, float] | None = None) -> str:
    """The text of the first page (or of a region of it, in mm from the top-left corner)."""
    from formats.render import _guard, _textpage

    page, tp = _textpage(doc, 0)
    if region is None:
        return str(tp.extractText())[:MAX_TEXT]
    import pymupdf

    left, top, right, bottom = (v * _MM for v in region)
    rect = pymupdf.Rect(left, top, right, bottom)
    return str(_guard(doc, 0, lambda: page.get_text("text", clip=rect)))[:MAX_TEXT]


def find_in_text(text: str | dict[str, str], rules: Rules) -> DocInfo:
    """What the rules find in ``text`` (or in each field's own text, by field name)."""
    found = {}
    for name, pattern in rules.patterns().items():
        m = pattern.search(text if isinstance(text, str) else text.get(name, ""))
        if m and m.group(1):
            found[name] = _normalise(name, m.group(1))
    return DocInfo.from_dict(found)


def texts(doc: Document, rules: Rules) -> dict[str, str]:
    """The text each rule reads: the first page, or its region of it."""
    by_region: dict[tuple[float, float, float, float] | None, str] = {}
    out = {}
    for name in rules.patterns():
        region = rules.region_of(name)
        if region not in by_region:
            by_region[region] = first_page_text(doc, region)
        out[name] = by_region[region]
    return out


def find(doc: Document, rules: Rules) -> DocInfo:
    """What the rules find on the first page of ``doc``."""
    if not rules:
        return DocInfo()
    return find_in_text(texts(doc, rules), rules)


def apply(doc: Document, rules: Rules) -> DocInfo:
    """Fill the fields the document does not give itself with what the rules find on its page.

    Only for documents that carry no document info (no kind, number or customer of their own):
    a spool's own info is never overridden. Returns what the rules found.
    """
    if not rules or any((doc.info.kind, doc.info.number, doc.info.customer)):
        return DocInfo()
    found = find(doc, rules)
    mine = doc.info.to_dict()
    doc.info = DocInfo.from_dict({**found.to_dict(), **mine})
    return found


def parse_region(text: str, name: str = "region") -> tuple[float, float, float, float] | None:
    """``"10 40 110 80"`` (left top right bottom, mm; commas allowed) -> a tuple; "" -> None."""
    parts = text.replace(",", " ").split()
    if not parts:
        return None
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise RuleError(f"{name}: four numbers in millimetres expected (left top right bottom)", code="rule.region",
                        field=name) from None
    if len(values) != 4 or values[2] <= values[0] or values[3] <= values[1]:
        raise RuleError(f"{name}: four numbers in millimetres expected (left top right bottom), right > left, bottom > top",
                        code="rule.region", field=name)
    return values[0], values[1], values[2], values[3]


__all__ = ["FIELDS", "UNREADABLE", "RuleError", "Rules", "apply", "compile_rule", "find", "find_in_text", "first_page_text", "parse_region",
           "texts"]
