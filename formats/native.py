"""The native page-description spool (.spv): lazy reader, schema check and a small writer."""

from __future__ import annotations

import base64
import binascii
import codecs
import copy
import json
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn, overload

from formats.document import DocInfo, Document, DocumentError, Page
from formats.drawn import DrawnPages
from formats.limits import DEFAULT, Limits
from formats.pdfimage import Picture, UnreadableImage
from formats.records import record

MM = 72.0 / 25.4  # points per millimetre
A4 = (210.0, 297.0)
ITEM_TYPES = ("text", "line", "rect", "image", "table")
FAMILIES = ("sans", "serif", "mono")
MAX_IMAGE_PIXELS = 40_000_000  # larger images are refused as decompression bombs


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of the .spv format (formats/spv.schema.json)."""
    # Next to this module in every install (package data); importlib.resources cost each open ~5 ms to import.
    text = Path(__file__).with_name("spv.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@lru_cache(maxsize=1)
def _validators() -> tuple[Any, Any, dict[str, Any]]:
    from jsonschema import Draft202012Validator

    defs = schema()["$defs"]
    envelope = _envelope_schema()
    page = {"$defs": defs, **copy.deepcopy(defs["page"])}
    page["properties"]["items"] = {"type": "array", "items": {"type": "object"}}
    items = {t: Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{t}"}) for t in ITEM_TYPES}
    return Draft202012Validator(envelope), Draft202012Validator(page), items


@lru_cache(maxsize=2)
def _fast_validator(part: str) -> Any:
    """The quick valid/invalid check (formats.schemacheck) of ``part``.

    ``part`` is "page" (one page) or "envelope" (all but the pages' items). It only
    answers valid/invalid quickly; error messages always come from jsonschema.
    """
    from formats.schemacheck import Checker

    if part == "page":
        return Checker({"$defs": schema()["$defs"], "$ref": "#/$defs/page"})
    return Checker(_envelope_schema())


def _fast_page_validator() -> Any:
    return _fast_validator("page")


@lru_cache(maxsize=1)
def _envelope_schema() -> dict[str, Any]:
    whole = schema()
    # Pages are checked one at a time, when first used (lazy loading of big spools). Only
    # properties.pages differs from the whole schema: the rest is shared, not deep-copied.
    pages = {"type": "array", "minItems": 1, "items": {"type": "object"}}
    return {**whole, "properties": {**whole["properties"], "pages": pages}}


def _first_error(validator: Any, instance: Any) -> Any:
    from jsonschema.exceptions import best_match

    return best_match(validator.iter_errors(instance))


def _path(err: Any) -> str:
    return ".".join(str(p) for p in err.absolute_path)


def _short(err: Any) -> str:
    msg: str = err.message
    return msg if len(msg) <= 160 else msg[:157] + "..."


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_BOUNDS = {"minimum": "schema.minimum", "exclusiveMinimum": "schema.exclusive_minimum",
           "maximum": "schema.maximum", "exclusiveMaximum": "schema.exclusive_maximum"}


def _schema_error(err: Any, **where: Any) -> DocumentError:
    """A schema violation as a DocumentError whose code says which rule failed (the wording is the caller's)."""
    rule, expected, value = err.validator, err.validator_value, err.instance
    code, params = "schema.other", {"reason": _short(err)}
    if rule == "required" and isinstance(value, dict):
        code, params = "schema.required", {"name": next((str(k) for k in expected if k not in value), "")}
    elif rule == "type":
        code, params = "schema.type", {"expected": " | ".join(expected) if isinstance(expected, list) else str(expected),
                                       "value": _value(value)}
    elif rule in ("enum", "const"):
        choices = expected if rule == "enum" else [expected]
        code, params = "schema.enum", {"value": _value(value), "choices": ", ".join(_value(c) for c in choices)}
    elif rule in _BOUNDS:
        code, params = _BOUNDS[rule], {"value": _value(value), "limit": _value(expected)}
    elif rule == "additionalProperties" and isinstance(value, dict):
        known = (err.schema or {}).get("properties", {})
        code, params = "schema.unknown_field", {"name": ", ".join(sorted(str(k) for k in value if k not in known))}
    return DocumentError(_short(err), code=code, params=params, field=_path(err) or None, **where)


class SpvBackend:
    """Holds the parsed JSON; checks pages and decodes resources on first use."""

    def __init__(self, path: Path, data: dict[str, Any], limits: Limits = DEFAULT) -> None:
        self.path = path
        self.limits = limits
        self.data = data
        self.pages_raw: Sequence[Any] = data["pages"]
        size = data.get("page") or {}
        self.default_size = (float(size.get("width", A4[0])), float(size.get("height", A4[1])))
        res = data.get("resources") or {}
        self.image_resources: dict[str, Any] = res.get("images") or {}
        self.font_resources: dict[str, Any] = res.get("fonts") or {}
        self._checked: set[int] = set()
        self._images: dict[str, Picture] = {}
        self._fonts: dict[str, str] = {}
        self._drawn = DrawnPages(self._page_pdf)

    def _page_pdf(self, index: int) -> bytes:
        from formats.draw import spv_page_pdf

        return spv_page_pdf(self, index)

    # -- checking -------------------------------------------------------------------
    def check_page(self, index: int) -> dict[str, Any]:
        """The raw page ``index``, validated against the schema (once)."""
        raw: dict[str, Any] = self.pages_raw[index]
        if index in self._checked:
            return raw
        where: dict[str, Any] = {"file": self.path, "page": index + 1}
        if isinstance(raw, dict) and isinstance(raw.get("items"), list):
            items = raw["items"]
            rows = sum(len(i["rows"]) for i in items if isinstance(i, dict) and isinstance(i.get("rows"), list))
            self.limits.check_items(len(items) + rows, self.path, index + 1)
        fast = _fast_page_validator()
        if fast is None or not fast.is_valid(raw):
            self._explain(raw, where)
        for n, item in enumerate(raw["items"]):
            kind = item["type"]
            if kind == "image" and item["resource"] not in self.image_resources:
                raise DocumentError(
                    f"missing image resource {item['resource']!r}",
                    code="image.missing",
                    params={"name": str(item["resource"])},
                    item=n + 1,
                    field="resource",
                    hint="add it under resources.images",
                    **where,
                )
            for key in ("font", "header_font"):
                family = (item.get(key) or {}).get("family")
                if family and family not in FAMILIES and family not in self.font_resources:
                    raise DocumentError(
                        f"unknown font family {family!r}",
                        code="font.unknown_family",
                        params={"family": str(family)},
                        item=n + 1,
                        field=f"{key}.family",
                        hint="use sans, serif, mono or the name of a font resource",
                        **where,
                    )
        self._checked.add(index)
        return raw

    def _explain(self, raw: Any, where: dict[str, Any]) -> None:
        """Check a page with jsonschema, raising an error naming the item and field."""
        _, page_validator, item_validators = _validators()
        if not isinstance(raw, dict):
            raise DocumentError("a page must be a JSON object", code="page.not_object", **where)
        err = _first_error(page_validator, raw)
        if err is not None:
            raise _schema_error(err, **where)
        for n, item in enumerate(raw["items"]):
            kind = item.get("type")
            if kind is None:
                raise DocumentError("the item has no type", code="item.no_type", item=n + 1, field="type", **where)
            if kind not in item_validators:
                raise DocumentError(
                    f"unknown item type {kind!r}",
                    code="item.unknown_type",
                    params={"type": str(kind), "expected": ", ".join(ITEM_TYPES)},
                    item=n + 1,
                    field="type",
                    hint="expected one of " + ", ".join(ITEM_TYPES),
                    **where,
                )
            err = _first_error(item_validators[kind], item)
            if err is not None:
                raise _schema_error(err, item=n + 1, **where)
        if _fast_page_validator() is not None:  # the two validators disagree: still refuse
            raise DocumentError("the page does not match the spool schema", code="page.schema", **where)

    def page_size_mm(self, index: int) -> tuple[float, float]:
        raw = self.check_page(index)
        return float(raw.get("width", self.default_size[0])), float(raw.get("height", self.default_size[1]))

    # -- resources ------------------------------------------------------------------
    def image(self, name: str, *, page: int | None = None, item: int | None = None) -> Picture:
        """The image resource, its size read and its data checked (cached); bombs are refused.

        PNG and JPEG are read without Pillow (formats.pdfimage); other formats import it."""
        if name in self._images:
            return self._images[name]
        where: dict[str, Any] = {"file": self.path, "page": page, "item": item, "field": f"resources.images.{name}"}
        try:
            blob = base64.b64decode(self.image_resources[name]["data"], validate=True)
        except (binascii.Error, ValueError):
            raise DocumentError(f"image resource {name!r} is not valid base64", code="image.base64", params={"name": name}, **where) from None
        try:
            img = Picture(blob)
        except UnreadableImage:
            raise DocumentError(f"image resource {name!r} is not a readable image", code="image.unreadable", params={"name": name},
                                **where) from None
        check_image_size(img.width, img.height, what=f"image resource {name!r}", **where)
        try:
            img.check()
        except UnreadableImage:
            raise DocumentError(f"image resource {name!r} is damaged", code="image.damaged", params={"name": name}, **where) from None
        self._images[name] = img
        return img

    def font(self, family: str, bold: bool, italic: bool) -> str:
        """The registered font name for a family (built-in or resource, see formats.fonts.face)."""
        from formats import fonts

        if family in FAMILIES:
            return fonts.register(family, bold, italic)
        if family not in self._fonts:
            try:
                blob = base64.b64decode(self.font_resources[family]["data"], validate=True)
            except (binascii.Error, ValueError):
                raise DocumentError(f"font resource {family!r} is not valid base64", code="font.base64",
                                    params={"family": family}, file=self.path) from None
            try:
                self._fonts[family] = fonts.register_bytes(family, blob)
            except DocumentError as exc:
                raise DocumentError(exc.message, code=exc.code, params=exc.params, file=self.path,
                                    field=f"resources.fonts.{family}") from None
        return self._fonts[family]

    # -- display ----------------------------------------------------------------------
    def mupdf_page(self, index: int) -> Any:
        """A PyMuPDF page showing page ``index`` (a one-page PDF drawn on demand)."""
        return self._drawn.page(index)

    def close(self) -> None:
        self.__dict__.pop("_render_cache", None)
        self._drawn.close()


def check_image_size(width: int, height: int, *, what: str, **where: Any) -> None:
    """Refuse images whose pixel count could exhaust memory (decompression bombs)."""
    if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
        size = f"{width} x {height} pixels; " if width < MAX_IMAGE_PIXELS else ""
        raise DocumentError(
            f"{what} is too large ({size}at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels)",
            code="image.too_large" if size else "image.bomb",
            params={"width": width, "height": height, "limit": MAX_IMAGE_PIXELS // 1_000_000},
            hint="reduce the image resolution",
            **where,
        )


_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, start: int) -> int:
    """The index after the JSON whitespace at ``start`` (the pattern matches even none)."""
    found = _WS.match(text, start)
    assert found is not None
    return found.end()
_DECODER = json.JSONDecoder()
KEEP_PARSED = 4  # parsed pages kept per spool (drawing goes page by page)


class LazyPages(Sequence[Any]):
    """The pages of a spool as byte spans of its UTF-8 file, each parsed when used, the last few kept:
    memory follows one page, not the document (a 5,000-page statement converts in bounded memory).
    The file is kept as bytes, not text: a str of a spool with any character beyond Latin-1 takes
    two or four bytes a character."""

    def __init__(self, data: bytes, spans: list[tuple[int, int]]) -> None:
        self._data = data
        self._spans = spans
        self._parsed: OrderedDict[int, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._spans)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if index in self._parsed:
            self._parsed.move_to_end(index)
            return self._parsed[index]
        start, end = self._spans[index]
        value = json.loads(self._data[start:end].decode("utf-8"))  # checked as JSON when the spool was opened
        self._parsed[index] = value
        while len(self._parsed) > KEEP_PARSED:
            self._parsed.popitem(last=False)
        return value


def _byte_spans(text: str, spans: list[tuple[int, int]], offset: int) -> list[tuple[int, int]]:
    """``spans`` (character offsets in ``text``) as offsets in its UTF-8 encoding, ``offset`` bytes in."""
    out: list[tuple[int, int]] = []
    chars, position = 0, offset
    for start, end in spans:
        position += len(text[chars:start].encode("utf-8"))
        first = position
        position += len(text[start:end].encode("utf-8"))
        chars = end
        out.append((first, position))
    return out


def _split(text: str) -> tuple[Any, list[tuple[int, int]] | None, list[Any]]:
    """Parse a spool's JSON but its pages: (top object, spans of the pages, placeholders).

    Each page is parsed once to find where it ends, then dropped. Placeholders stand for
    the pages in schema checks of the envelope (``{}`` for an object, else the value itself).
    """

    def fail(msg: str, pos: int) -> NoReturn:
        raise json.JSONDecodeError(msg, text, pos)

    i = _skip_ws(text, 0)
    if not text.startswith("{", i):
        return json.loads(text), None, []
    top: dict[str, Any] = {}
    spans: list[tuple[int, int]] | None = None
    holders: list[Any] = []
    i = _skip_ws(text, i + 1)
    if text.startswith("}", i):
        i += 1
    else:
        while True:
            if not text.startswith('"', i):
                fail("Expecting property name enclosed in double quotes", i)
            key, i = _DECODER.raw_decode(text, i)
            i = _skip_ws(text, i)
            if not text.startswith(":", i):
                fail("Expecting ':' delimiter", i)
            i = _skip_ws(text, i + 1)
            if key == "pages" and text.startswith("[", i):
                spans, holders, i = _page_spans(text, i)
                top[key] = holders
            else:
                top[key], i = _DECODER.raw_decode(text, i)
            i = _skip_ws(text, i)
            if text.startswith(",", i):
                i = _skip_ws(text, i + 1)
                continue
            if text.startswith("}", i):
                i += 1
                break
            fail("Expecting ',' delimiter", i)
    if _skip_ws(text, i) != len(text):
        fail("Extra data", i)
    if not isinstance(top.get("pages"), list) or top["pages"] is not holders:
        spans = None  # a later "pages" key that is not an array replaced the first
    return top, spans, holders


def _page_spans(text: str, i: int) -> tuple[list[tuple[int, int]], list[Any], int]:
    spans: list[tuple[int, int]] = []
    holders: list[Any] = []
    empty: dict[str, Any] = {}
    i = _skip_ws(text, i + 1)
    if text.startswith("]", i):
        return spans, holders, i + 1
    while True:
        value, end = _DECODER.raw_decode(text, i)
        spans.append((i, end))
        holders.append(empty if isinstance(value, dict) else value)
        del value
        i = _skip_ws(text, end)
        if text.startswith(",", i):
            i = _skip_ws(text, i + 1)
            continue
        if text.startswith("]", i):
            return spans, holders, i + 1
        raise json.JSONDecodeError("Expecting ',' delimiter", text, i)


def loads(text: str | bytes, path: Path, limits: Limits = DEFAULT) -> dict[str, Any]:
    """Parse and check the envelope (info, page size, resources) of a spool; pages stay text
    (a LazyPages) until used."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    limits.check_depth(raw, path)
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        data, spans, holders = _split(text)
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text (byte {exc.start})", code="spool.not_utf8", params={"byte": exc.start}, file=path, hint="write the spool in UTF-8") from None
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            code="spool.json",
            params={"line": exc.lineno, "column": exc.colno, "reason": exc.msg},
            file=path,
            hint="the spool may be truncated",
        ) from None
    except RecursionError:  # only when the caller allows more nesting than Python can parse
        raise DocumentError("the JSON is nested too deeply to read", code="spool.too_deep", file=path, hint="lower the limit max_depth") from None
    if not isinstance(data, dict):
        raise DocumentError("the spool must be a JSON object", code="spool.not_object", file=path)
    if isinstance(data.get("pages"), list):
        limits.check_pages(len(data["pages"]), path)
    _check_envelope(data, path)
    if spans is not None:
        data["pages"] = LazyPages(raw, _byte_spans(text, spans, bom))
    return data


def _check_envelope(data: dict[str, Any], path: Path) -> None:
    fast = _fast_validator("envelope")
    if fast is not None and fast.is_valid(data):
        return
    envelope, _, _ = _validators()
    err = _first_error(envelope, data)
    if err is not None:
        p = list(err.absolute_path)
        page = p[1] + 1 if len(p) >= 2 and p[0] == "pages" and isinstance(p[1], int) else None
        raise _schema_error(err, file=path, page=page)
    if fast is not None:
        raise DocumentError("the spool does not match the spool schema", code="spool.schema", file=path)


def open_spv(path: Path, data: bytes | None = None, *, limits: Limits = DEFAULT) -> Document:
    """Open a .spv file; pages are checked and drawn when first used."""
    raw = loads(path.read_bytes() if data is None else data, path, limits)
    backend = SpvBackend(path, raw, limits)

    def load(index: int) -> Page:
        w, h = backend.page_size_mm(index)
        return Page(index=index, width=w * MM, height=h * MM)

    return Document(
        path=path,
        source="spv",
        info=DocInfo.from_dict(raw.get("info")),
        page_count=len(backend.pages_raw),
        backend=backend,
        _page_loader=load,
    )


# ---------------------------------------------------------------------------------------
# Writer


def _font(family: str, size: float, bold: bool, italic: bool) -> dict[str, Any]:
    font: dict[str, Any] = {"family": family, "size": size}
    if bold:
        font["weight"] = "bold"
    if italic:
        font["style"] = "italic"
    return font


@record
class PageBuilder:
    """Items of one page, added with millimetre coordinates (origin top-left)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    width: float | None = None
    height: float | None = None

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        family: str = "sans",
        size: float = 10,
        bold: bool = False,
        italic: bool = False,
        color: str | None = None,
        align: str = "left",
    ) -> PageBuilder:
        item: dict[str, Any] = {"type": "text", "x": x, "y": y, "text": text, "font": _font(family, size, bold, italic)}
        if color:
            item["color"] = color
        if align != "left":
            item["align"] = align
        self.items.append(item)
        return self

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.25, color: str | None = None) -> PageBuilder:
        item: dict[str, Any] = {"type": "line", "x1": x1, "y1": y1, "x2": x2, "y2": y2, "width": width}
        if color:
            item["color"] = color
        self.items.append(item)
        return self

    def rect(
        self, x: float, y: float, width: float, height: float, *, stroke: str | None = "#000000", fill: str | None = None, line_width: float = 0.25
    ) -> PageBuilder:
        self.items.append(
            {"type": "rect", "x": x, "y": y, "width": width, "height": height, "stroke": stroke, "fill": fill, "line_width": line_width}
        )
        return self

    def image(self, x: float, y: float, width: float, height: float, resource: str) -> PageBuilder:
        self.items.append({"type": "image", "x": x, "y": y, "width": width, "height": height, "resource": resource})
        return self

    def table(
        self,
        x: float,
        y: float,
        columns: list[tuple[float, str]],
        rows: list[list[str]],
        *,
        header: list[str] | None = None,
        size: float = 9,
        family: str = "sans",
        row_height: float = 6,
        grid: bool = True,
        header_fill: str | None = "#e6e6e6",
    ) -> PageBuilder:
        item: dict[str, Any] = {
            "type": "table",
            "x": x,
            "y": y,
            "columns": [{"width": w, "align": a} for w, a in columns],
            "rows": rows,
            "font": _font(family, size, False, False),
            "row_height": row_height,
            "grid": grid,
        }
        if header is not None:
            item["header"] = header
            item["header_font"] = _font(family, size, True, False)
            if header_fill:
                item["header_fill"] = header_fill
        self.items.append(item)
        return self

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.width is not None:
            out["width"] = self.width
        if self.height is not None:
            out["height"] = self.height
        out["items"] = self.items
        return out


class SpoolWriter:
    """Build a .spv spool in memory: ``w = SpoolWriter(info); p = w.new_page(); p.text(...)``."""

    def __init__(self, info: DocInfo | dict[str, str] | None = None, page_size: tuple[float, float] = A4) -> None:
        self.info = info.to_dict() if isinstance(info, DocInfo) else dict(info or {})
        self.page_size = page_size
        self.pages: list[PageBuilder] = []
        self.images: dict[str, dict[str, str]] = {}
        self.fonts: dict[str, dict[str, str]] = {}

    def new_page(self, width: float | None = None, height: float | None = None) -> PageBuilder:
        page = PageBuilder(width=width, height=height)
        self.pages.append(page)
        return page

    def add_image(self, name: str, data: bytes, mime: str = "image/png") -> str:
        self.images[name] = {"type": mime, "data": base64.b64encode(data).decode("ascii")}
        return name

    def add_font(self, name: str, ttf: bytes) -> str:
        self.fonts[name] = {"data": base64.b64encode(ttf).decode("ascii")}
        return name

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": "spv", "version": 1}
        if self.info:
            out["info"] = self.info
        out["page"] = {"width": self.page_size[0], "height": self.page_size[1]}
        res: dict[str, Any] = {}
        if self.images:
            res["images"] = self.images
        if self.fonts:
            res["fonts"] = self.fonts
        if res:
            out["resources"] = res
        out["pages"] = [p.to_dict() for p in self.pages]
        return out

    def dumps(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def save(self, path: str | Path, *, indent: int | None = None) -> Path:
        path = Path(path)
        path.write_text(self.dumps(indent=indent), encoding="utf-8")
        return path
