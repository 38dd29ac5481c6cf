"""The one TOML -> dataclass loader of settings, relay.toml and server.toml: typed values, `file:line` errors.

Each field's annotation says what the file may hold:

    str, int, float (an int is taken), bool     the TOML value of that kind
    Path                                         a text; relative paths resolve against ``base``
    list[X], dict[str, X]                        every item checked as X
    X | None                                     X (TOML has no null: leave the key out)
    a dataclass                                  a table, loaded the same way (nested sections)
    Any                                          any value

Unknown keys are either refused (``unknown="error"``) or handed back so that the caller can
keep and report them (``unknown="keep"``, the viewer's settings). Every error names the file
and the line of the key, says what was expected and what was found; its English text is
``str()``, and its ``msgid``/``params`` (``toml.*`` in viewer/locale) word it in French too.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from viewer.errors import SpoolviewError

__all__ = ["Advice", "TomlFile", "describe", "plain_toml", "read", "words"]

Advice = str | SpoolviewError  # what ends every error: a text, or words with their catalogue key


def words(english: str, msgid: str, **params: object) -> SpoolviewError:
    """A sentence with its catalogue key: ``str()`` is ``english``; viewer.messages words it in the interface language."""
    return SpoolviewError(english, msgid=msgid, params=params)


def describe(example: Any) -> str:
    """How a TOML value like ``example`` (or of type ``example``) is described to a person."""
    if typing.get_origin(example) is not None:  # list[str], dict[str, int]: described by their kind
        example = typing.get_origin(example)
    kind = example if isinstance(example, type) else type(example)
    if kind is bool:
        return "true or false"
    if kind is int:
        return "a whole number"
    if kind is float:
        return "a number"
    if kind is str or (isinstance(kind, type) and issubclass(kind, Path)):
        return 'a text in quotes ("…")'
    if kind is list:
        return "a list in brackets, e.g. [1, 2]"
    if kind is dict or dataclasses.is_dataclass(kind):
        return "a table"
    return f"a {kind.__name__}"


def _kind(example: Any) -> SpoolviewError:
    """describe(example) with its catalogue key."""
    said = describe(example)
    names = {"true or false": "bool", "a whole number": "int", "a number": "float", 'a text in quotes ("…")': "text",
             "a list in brackets, e.g. [1, 2]": "list", "a table": "table"}
    if said in names:
        return words(said, f"toml.kind.{names[said]}")
    return words(said, "toml.kind.other", name=said.removeprefix("a "))


def _tail(advice: Advice) -> Advice:
    """``; advice`` (worded when ``advice`` is), or "" without advice."""
    if not advice:
        return ""
    return words(f"; {advice}", "toml.advice", advice=advice)


_PLAIN_TYPES = {"str": str, "int": int, "bool": bool, "float": float}


def _field_types(cls: type) -> dict[str, Any]:
    """The fields' types of dataclass ``cls``, as ``typing.get_type_hints`` gives them.

    A class whose annotations are all plain ``str``/``int``/``bool``/``float`` is read as
    is: get_type_hints compiles each annotation text, most of the settings' load time."""
    texts = {f.name: f.type for f in dataclasses.fields(cls) if isinstance(f.type, str) and f.type in _PLAIN_TYPES}
    if len(texts) == len(dataclasses.fields(cls)):
        return {name: _PLAIN_TYPES[text] for name, text in texts.items()}
    return typing.get_type_hints(cls)


def _line_of(text: str, table: tuple[str, ...], key: str) -> int | None:
    """The line of ``key`` inside ``[table]`` (or of the header ``[table.key]``) in the TOML text.

    The n-th table of an array of tables (``[[rule]]``) is named ``rule[n]`` (from 1), as in
    ``table=("rule[2]",)``; ``key`` may name it too, for the line of its header.
    """
    current: tuple[str, ...] = ()
    header = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
    assign = re.compile(r'^\s*(?:"([^"]+)"|\'([^\']+)\'|([A-Za-z0-9_.-]+))\s*=')
    arrays: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            current = tuple(p.strip().strip('"').strip("'") for p in m.group(2).split("."))
            if m.group(1) == "[[":
                if current == (*table, key) and current not in arrays:  # the array itself: its first header
                    return number
                arrays[current] = arrays.get(current, 0) + 1
                current = (*current[:-1], f"{current[-1]}[{arrays[current]}]")
            if current == (*table, key):
                return number
            continue
        m = assign.match(line)
        if m:
            name = m.group(1) or m.group(2) or m.group(3)
            dotted = (*current, *name.split(".")) if m.group(3) else (*current, name)
            if dotted[: len(table) + 1] == (*table, key):
                return number
    return None


def read(path: Path, error: type[SpoolviewError], *, advice: Advice = "") -> tuple[dict[str, Any], str] | None:
    """The parsed file and its text; None when it does not exist; ``error(message)`` when broken.

    ``advice`` ends every message (e.g. "correct it by hand (it was left unchanged)").
    """
    tail = _tail(advice)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a file; give a file name", msgid="toml.read.folder", params={"path": path}) from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror}); check its permissions", msgid="toml.read.unreadable",
                    params={"path": path, "reason": exc.strerror}) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text{tail}", msgid="toml.read.not_utf8",
                    params={"where": f"{path}:{line}", "tail": tail}) from None
    quick = plain_toml(text)
    if quick is not None:
        return quick, text
    import tomllib

    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise error(f"{where}: not a valid TOML file ({exc}){tail}", msgid="toml.read.invalid",
                    params={"where": where, "reason": exc, "tail": tail}) from None


def plain_toml(text: str) -> dict[str, Any] | None:
    """``tomllib.loads(text)`` for the plain files spoolview writes, else None (then tomllib reads it).

    Plain: comment and blank lines, ``[table.sub]`` headers and ``key = value`` lines with bare
    keys, whose value is true, false, a decimal integer, a decimal number with a fraction, ``[]``
    or a "string" without escapes. Anything else (another kind of value, a quoted or dotted key,
    a trailing comment, a repeated key or table, a control character, a CR) answers None, so a
    file this reader accepts reads exactly as tomllib reads it. Importing tomllib (and the
    datetime, string and regular expressions it compiles) cost a send about 0.5x `python -c pass`.
    """
    if "\r" in text:
        return None
    root: dict[str, Any] = {}
    table = root
    defined: set[tuple[str, ...]] = set()
    for raw in text.split("\n"):
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            if any(c < " " and c != "\t" or c == "\x7f" for c in line):
                return None
            continue
        if line.startswith("["):
            if line.startswith("[[") or not line.endswith("]"):
                return None
            path = tuple(line[1:-1].split("."))
            if path in defined or not all(_bare_key(p) for p in path):
                return None
            defined.add(path)
            table = root
            for part in path:
                table = table.setdefault(part, {})
                if not isinstance(table, dict):
                    return None
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(" \t"), value.strip(" \t")
        if not equals or not _bare_key(key) or key in table:
            return None
        parsed = _plain_value(value)
        if parsed is None:
            return None
        table[key] = parsed
    return root


def _bare_key(key: str) -> bool:
    return bool(key) and key.isascii() and key.replace("_", "a").replace("-", "a").isalnum()


def _plain_value(value: str) -> Any:
    """The value of a plain ``key = value`` line (see plain_toml), None when it is not plain."""
    if value == "true":
        return True
    if value == "false":
        return False
    if value == "[]":
        return []
    if len(value) >= 2 and value[0] == value[-1] == '"':
        content = value[1:-1]
        if '"' in content or "\\" in content or any(c < " " and c != "\t" or c == "\x7f" for c in content):
            return None
        return content
    body = value[1:] if value[:1] in ("+", "-") else value
    whole, dot, fraction = body.partition(".")
    if not (whole.isascii() and whole.isdigit()) or (len(whole) > 1 and whole[0] == "0"):
        return None
    if not dot:
        return int(value)
    if fraction.isascii() and fraction.isdigit():
        return float(value)
    return None


class TomlFile:
    """Loads tables of one parsed TOML file into dataclasses, with `file:line` errors."""

    def __init__(self, source: str | Path, text: str = "", *, error: type[SpoolviewError],
                 base: Path | None = None, advice: Advice = "", hide: Callable[[str], bool] = lambda dotted: False) -> None:
        self.source = str(source)
        self.text = text
        self.error = error
        self.base = base
        self.advice = advice
        self.hide = hide  # keys whose value must never be shown (passwords)
        self.unknown: dict[tuple[str, ...], Any] = {}
        self._mode: Literal["error", "keep"] = "error"

    # -- errors ---------------------------------------------------------------------------
    def where(self, table: tuple[str, ...], key: str) -> str:
        line = _line_of(self.text, table, key) if self.text else None
        return f"{self.source}:{line}" if line else self.source

    def fail(self, table: tuple[str, ...], key: str, what: str | SpoolviewError) -> SpoolviewError:
        """An error naming the file, the line and the dotted key: ``file:line: a.b what``."""
        dotted = ".".join((*table, key))
        return self.refuse(table, key, words(f"{dotted} {what}", "toml.key", key=dotted, what=what))

    def refuse(self, table: tuple[str, ...], key: str, message: str | SpoolviewError) -> SpoolviewError:
        """An error ``file:line: message`` (the line of ``key`` in ``[table]``)."""
        tail, where = _tail(self.advice), self.where(table, key)
        return self.error(f"{where}: {message}{tail}", msgid="toml.placed", params={"where": where, "what": message, "tail": tail})

    def _shown(self, dotted: str, value: Any) -> str | SpoolviewError:
        return words("(hidden)", "toml.hidden") if self.hide(dotted) else repr(value)

    # -- loading --------------------------------------------------------------------------
    def load(self, obj: Any, data: Any, table: tuple[str, ...] = (), *,
             unknown: Literal["error", "keep"] = "error", skip: tuple[str, ...] = ()) -> Any:
        """Set the fields of dataclass instance ``obj`` from the mapping ``data`` (the table ``table``)."""
        if not isinstance(data, dict):
            parent, key = (table[:-1], table[-1]) if table else ((), "")
            raise self.fail(parent, key, words(f"must be a table [{'.'.join(table)}], found {describe(data)}", "toml.must_table",
                                               table=".".join(table), found=_kind(data)))
        self._mode = unknown
        hints = _field_types(type(obj))
        names = [f.name for f in dataclasses.fields(obj) if f.name not in skip and f.init]
        for key, value in data.items():
            if key not in names:
                if unknown == "keep":
                    self.unknown[(*table, key)] = value
                    continue
                dotted = ".".join((*table, key))
                known = ", ".join(sorted(names))
                raise self.refuse(table, key, words(f"unknown key {dotted} (known: {known})", "toml.unknown_key", key=dotted,
                                                    known=known))
            current = getattr(obj, key)
            setattr(obj, key, self.value(hints[key], value, table, key, current))
        return obj

    def value(self, typ: Any, value: Any, table: tuple[str, ...], key: str, current: Any = None) -> Any:
        """``value`` checked (and converted) against the annotation ``typ``."""
        origin = typing.get_origin(typ)
        args = typing.get_args(typ)
        if typ is Any:
            return value
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            if len(options) == 1:
                return self.value(options[0], value, table, key, current)
            for option in options:
                try:
                    return self.value(option, value, table, key, current)
                except Exception:  # noqa: BLE001 - self.error may be any class: try the next kind
                    continue
            kinds = [_kind(o) for o in options]
            kind: str | SpoolviewError = " or ".join(map(str, kinds))
            if len(kinds) == 2:
                kind = words(str(kind), "toml.kind.either", first=kinds[0], second=kinds[1])
            raise self.fail(table, key, _must(kind, _kind(value)))
        if origin is Literal:
            if value not in args:
                choices, shown = ", ".join(map(repr, args)), self._shown(key, value)
                raise self.fail(table, key, words(f"must be one of {choices}, not {shown}", "toml.one_of", choices=choices,
                                                  value=shown))
            return value
        if origin is list:
            if not isinstance(value, list):
                dotted = ".".join((*table, key))
                raise self.fail(table, key, _must(_kind(list), self._shown(dotted, value)))
            item = args[0] if args else Any
            return [self.value(item, v, table, key) for v in value]
        if origin is dict or typ is dict:
            if not isinstance(value, dict):
                raise self.fail(table, key, _must(_kind(dict), _kind(value)))
            item = args[1] if len(args) == 2 else Any
            return {k: self.value(item, v, (*table, key), k) for k, v in value.items()}
        if isinstance(typ, type) and dataclasses.is_dataclass(typ):
            target = current if isinstance(current, typ) else typ()
            return self.load(target, value, (*table, key), unknown=self._mode)
        if typ is bool:
            ok = isinstance(value, bool)
        elif typ is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif typ is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif typ is str:
            ok = isinstance(value, str)
        elif isinstance(typ, type) and issubclass(typ, Path):
            ok = isinstance(value, str)
            if ok:
                path = Path(value).expanduser()
                value = path if path.is_absolute() or self.base is None else self.base / path
        else:  # pragma: no cover - a field of a kind this loader does not know is a programming error
            raise TypeError(f"tomlconfig cannot load a field of type {typ!r} ({'.'.join((*table, key))})")
        if not ok:
            dotted = ".".join((*table, key))
            raise self.fail(table, key, _must(_kind(typ), self._shown(dotted, value)))
        return value


def _must(kind: str | SpoolviewError, found: str | SpoolviewError) -> SpoolviewError:
    return words(f"must be {kind}, found {found}", "toml.must_be", kind=kind, found=found)
