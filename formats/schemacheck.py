"""A small JSON Schema (2020-12) checker for the spool schema: valid or not, quickly, without a library.

It answers only "valid?" for the keywords formats/spv.schema.json uses (the reasons of a
refusal still come from jsonschema, which names the rule and the field). jsonschema-rs, the
check it replaces, imported email.utils, socket and decimal with it, in every send. The
schema is compiled once into nested Python functions. A schema holding a keyword this
checker does not know is refused when it is compiled, so a schema change cannot weaken the
check unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Checker"]

Check = Callable[[Any], bool]

# Keywords that annotate and never refuse an instance (contentEncoding only annotates in 2020-12).
_ANNOTATIONS = frozenset(("$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples",
                          "contentEncoding", "contentMediaType", "then", "else"))  # then/else: applied by "if"


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def _all(checks: tuple[Check, ...]) -> Check:
    """One check passing when each of ``checks`` passes (in order, stopping at the first refusal)."""
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def every(value: Any) -> bool:
        for one in checks:
            if not one(value):
                return False
        return True
    return every


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0; lists and objects compared member by member."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return False
    return bool(a == b)


class Checker:
    """``Checker(schema).is_valid(instance)``: the verdict jsonschema's Draft202012Validator gives."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema
        self._compiled: dict[int, Check] = {}
        self.is_valid: Check = self._compile(schema)

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise TypeError(f"schemacheck: only local references are implemented, not {ref!r}")
        node: Any = self.root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _compile(self, node: Any) -> Check:
        if node is True:
            return _always
        if node is False:
            return _never
        if not isinstance(node, dict):
            raise TypeError(f"schemacheck: a schema must be an object or a boolean, not {node!r}")
        key = id(node)
        if key in self._compiled:
            return self._compiled[key]
        done: list[Check] = []
        self._compiled[key] = lambda value: done[0](value)  # a reference back to a node being compiled
        checks: list[Check] = []
        for word, expected in node.items():
            if word in _ANNOTATIONS:
                continue
            build = _BUILDERS.get(word)
            if build is None:
                raise TypeError(f"schemacheck: keyword {word!r} is not implemented: use jsonschema")
            checks.append(build(self, node, expected))
        check = _all(tuple(c for c in checks if c is not _always))
        done.append(check)
        self._compiled[key] = check
        return check

    # -- keywords: each builds the check of ``expected`` ------------------------------------
    def _type(self, node: Any, expected: Any) -> Check:
        if isinstance(expected, str):
            return _TYPES[expected]
        kinds = tuple(_TYPES[t] for t in expected)
        return lambda v: any(kind(v) for kind in kinds)

    def _ref(self, node: Any, expected: Any) -> Check:
        target = self._resolve(expected)
        return self._compile(target)

    def _properties(self, node: Any, expected: Any) -> Check:
        subs = tuple((name, self._compile(sub)) for name, sub in expected.items())

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name, sub in subs:
                if name in value and not sub(value[name]):
                    return False
            return True
        return check

    def _additional(self, node: Any, expected: Any) -> Check:
        known = frozenset(node.get("properties", {}))
        if expected is False:
            return lambda v: not isinstance(v, dict) or all(k in known for k in v)
        sub = self._compile(expected)
        return lambda v: not isinstance(v, dict) or all(sub(x) for k, x in v.items() if k not in known)

    def _required(self, node: Any, expected: Any) -> Check:
        names = tuple(expected)
        return lambda v: not isinstance(v, dict) or all(name in v for name in names)

    def _const(self, node: Any, expected: Any) -> Check:
        if isinstance(expected, str):
            return lambda v: isinstance(v, str) and v == expected
        return lambda v: _equal(v, expected)

    def _enum(self, node: Any, expected: Any) -> Check:
        if all(isinstance(e, str) for e in expected):
            options = frozenset(expected)
            return lambda v: isinstance(v, str) and v in options
        return lambda v: any(_equal(v, option) for option in expected)

    def _minimum(self, node: Any, expected: Any) -> Check:
        return lambda v: not _is_number(v) or v >= expected

    def _maximum(self, node: Any, expected: Any) -> Check:
        return lambda v: not _is_number(v) or v <= expected

    def _exclusive_minimum(self, node: Any, expected: Any) -> Check:
        return lambda v: not _is_number(v) or v > expected

    def _exclusive_maximum(self, node: Any, expected: Any) -> Check:
        return lambda v: not _is_number(v) or v < expected

    def _items(self, node: Any, expected: Any) -> Check:
        sub = self._compile(expected)
        return lambda v: not isinstance(v, list) or all(sub(x) for x in v)

    def _min_items(self, node: Any, expected: Any) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= expected

    def _max_items(self, node: Any, expected: Any) -> Check:
        return lambda v: not isinstance(v, list) or len(v) <= expected

    def _min_length(self, node: Any, expected: Any) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= expected

    def _max_length(self, node: Any, expected: Any) -> Check:
        return lambda v: not isinstance(v, str) or len(v) <= expected

    def _pattern(self, node: Any, expected: Any) -> Check:
        import re  # jsonschema's own reading of a pattern: re.search

        search = re.compile(expected).search
        return lambda v: not isinstance(v, str) or search(v) is not None

    def _all_of(self, node: Any, expected: Any) -> Check:
        subs = tuple(self._compile(s) for s in expected)
        return lambda v: all(sub(v) for sub in subs)

    def _any_of(self, node: Any, expected: Any) -> Check:
        subs = tuple(self._compile(s) for s in expected)
        return lambda v: any(sub(v) for sub in subs)

    def _one_of(self, node: Any, expected: Any) -> Check:
        subs = tuple(self._compile(s) for s in expected)
        return lambda v: sum(1 for sub in subs if sub(v)) == 1

    def _not(self, node: Any, expected: Any) -> Check:
        sub = self._compile(expected)
        return lambda v: not sub(v)

    def _if(self, node: Any, expected: Any) -> Check:
        condition = self._compile(expected)
        then = self._compile(node.get("then", True))
        otherwise = self._compile(node.get("else", True))
        return lambda v: then(v) if condition(v) else otherwise(v)


_BUILDERS: dict[str, Callable[[Checker, Any, Any], Check]] = {
    "type": Checker._type,
    "$ref": Checker._ref,
    "properties": Checker._properties,
    "additionalProperties": Checker._additional,
    "required": Checker._required,
    "const": Checker._const,
    "enum": Checker._enum,
    "minimum": Checker._minimum,
    "maximum": Checker._maximum,
    "exclusiveMinimum": Checker._exclusive_minimum,
    "exclusiveMaximum": Checker._exclusive_maximum,
    "items": Checker._items,
    "minItems": Checker._min_items,
    "maxItems": Checker._max_items,
    "minLength": Checker._min_length,
    "maxLength": Checker._max_length,
    "pattern": Checker._pattern,
    "allOf": Checker._all_of,
    "anyOf": Checker._any_of,
    "oneOf": Checker._one_of,
    "not": Checker._not,
    "if": Checker._if,
}
