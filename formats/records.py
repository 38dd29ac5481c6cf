"""``@record``: a dataclass made without ``dataclasses.dataclass``: no method compiled, no field parsed by dataclasses.

``dataclasses.dataclass`` writes each class's ``__init__``, ``__repr__`` and ``__eq__`` (and,
frozen, ``__setattr__``, ``__delattr__``, ``__hash__``) as source text and compiles it when the
module is imported: about 2 M instructions per class, a twentieth of the interpreter's whole
start; even asked for none of them it still spends ~0.3 M per class finding its fields. The
settings' sections, the mail road's records and formats' document model made some fifty such
classes on every ``spoolview send``. A ``@record`` class reads its own annotations, makes the
same ``dataclasses.Field`` objects (so ``fields``, ``asdict``, ``replace`` and ``is_dataclass``
work, and mypy reads it as a dataclass through ``dataclass_transform``) and shares three generic
methods reading them: the same arguments, defaults, factories, errors, repr, equality and hash,
for classes made a handful of times per process (not objects made by the thousand).
tests/formats/test_records.py compares it with ``@dataclass`` on every record of the project.

Supported: plain fields with defaults or factories, ``init=False``/``repr=False``/
``compare=False`` fields, ``ClassVar`` annotations (not fields), ``__post_init__``,
``frozen=True`` (then hashed by the compared fields, as ``@dataclass(frozen=True)``), fields
inherited from a base record or dataclass. A keyword-only field or an ``InitVar`` is refused at
import; ``slots`` or ``order`` need ``dataclass``. Lives in formats so that formats' own classes
can use it (formats never imports viewer); viewer.records hands it on.
"""

from __future__ import annotations

import dataclasses
import reprlib
import typing
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

__all__ = ["record"]

T = TypeVar("T")
_MISSING = dataclasses.MISSING
_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]  # the marker dataclasses.fields() keeps: a real field
_CLASSVAR = ("ClassVar", "typing.ClassVar", "t.ClassVar")
_INITVAR = ("InitVar", "dataclasses.InitVar")


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T] | None = None, /, *, frozen: bool = False) -> Any:
    """``@dataclass`` (or ``@dataclass(frozen=True)``) for a class built a few times per process:
    nothing compiled, nothing parsed by dataclasses at import."""
    if cls is None:
        return lambda c: _make(c, frozen)
    return _make(cls, frozen)


def _is(annotation: object, names: tuple[str, ...], kind: object) -> bool:
    if isinstance(annotation, str):  # from __future__ import annotations: "ClassVar[int]"
        return annotation.split("[", 1)[0].strip() in names
    return annotation is kind or getattr(annotation, "__origin__", None) is kind  # a typing object, not ours


def _fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """The class's fields as ``@dataclass`` finds them: the bases' first, then its own annotations in order."""
    fields: dict[str, dataclasses.Field[Any]] = {}
    for base in reversed(cls.__mro__[1:]):
        inherited = base.__dict__.get("__dataclass_fields__")
        if inherited:
            fields.update({n: f for n, f in inherited.items() if f._field_type is _FIELD})
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is(annotation, _CLASSVAR, typing.ClassVar):
            continue
        if _is(annotation, _INITVAR, dataclasses.InitVar):
            raise TypeError(f"@record {cls.__name__}.{name}: InitVar is not supported (use @dataclass)")
        default = cls.__dict__.get(name, _MISSING)
        f: dataclasses.Field[Any] = default if isinstance(default, dataclasses.Field) else dataclasses.field(default=default)
        if f.kw_only is True:
            raise TypeError(f"@record {cls.__name__}.{name}: keyword-only fields are not supported (use @dataclass)")
        f.kw_only = False  # what @dataclass sets: a subclass made by it reads it
        if f.default is not _MISSING and type(f.default).__hash__ is None:  # list, dict, set: as @dataclass says
            raise ValueError(f"mutable default {type(f.default)} for field {name} is not allowed: use default_factory")
        f.name, f.type = name, annotation
        f._field_type = _FIELD  # type: ignore[attr-defined]  # what dataclasses.fields() looks for
        if isinstance(default, dataclasses.Field):  # the class keeps the plain default, or none, as with @dataclass
            if f.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        fields[name] = f
    seen_default = False
    for f in fields.values():
        if not f.init:
            continue
        if f.default is not _MISSING or f.default_factory is not _MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    return fields


class _Params:
    """``__dataclass_params__`` made when first read (only a ``@dataclass`` subclass reads it): its
    constructor's arguments differ between Python versions."""

    def __init__(self, frozen: bool) -> None:
        self.frozen = frozen
        self.made: object = None

    def __get__(self, obj: object, owner: type | None = None) -> object:
        if self.made is None:
            flags = {"init": True, "repr": True, "eq": True, "order": False, "unsafe_hash": False, "frozen": self.frozen}
            try:
                self.made = dataclasses._DataclassParams(**flags)  # type: ignore[attr-defined]  # Python 3.11
            except TypeError:  # 3.12 and later
                self.made = dataclasses._DataclassParams(  # type: ignore[attr-defined]
                    **flags, match_args=True, kw_only=False, slots=False, weakref_slot=False)
        return self.made


def _make(cls: type[T], frozen: bool) -> type[T]:
    own = set(cls.__dict__)  # the class's own methods win, as with @dataclass
    fields = _fields(cls)
    made: Any = cls
    made.__dataclass_fields__ = fields
    made.__dataclass_params__ = _Params(frozen)
    if "__match_args__" not in own:
        type.__setattr__(made, "__match_args__", tuple(f.name for f in fields.values() if f.init))
    made.__record_plan__ = tuple((f.name, f.default, f.default_factory, f.init) for f in fields.values())
    made.__record_frozen__ = frozen
    made.__record_repr__ = tuple(f.name for f in fields.values() if f.repr)
    made.__record_compare__ = tuple(f.name for f in fields.values() if f.compare)
    made.__record_hash__ = tuple(f.name for f in fields.values() if (f.compare if f.hash is None else f.hash))
    if made.__doc__ is None:  # @dataclass writes the signature; so do we, without inspect
        made.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields.values() if f.init)})"
    methods: list[tuple[str, Any]] = [("__init__", _init), ("__repr__", _repr), ("__eq__", _eq)]
    if frozen:
        methods += [("__setattr__", _frozen_setattr), ("__delattr__", _frozen_delattr)]
    for name, method in methods:
        if name not in own:
            setattr(made, name, method)
    if "__eq__" not in own and "__hash__" not in own:
        # Compared by value: hashed by the compared fields when frozen, else unhashable, as @dataclass.
        made.__hash__ = _hash if frozen else None
    return cls


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    plan, frozen = cls.__record_plan__, cls.__record_frozen__
    positional = [p for p in plan if p[3]]
    if len(args) > len(positional):
        raise TypeError(f"{cls.__qualname__}.__init__() takes {len(positional) + 1} positional arguments but {len(args) + 1} were given")
    given = dict(zip((p[0] for p in positional), args, strict=False))
    for name in kwargs:
        if name in given:
            raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument '{name}'")
    given.update(kwargs)
    missing = []
    for name, default, factory, init in plan:
        if init and name in given:
            value = given.pop(name)
        elif factory is not _MISSING:
            value = factory()
        elif default is not _MISSING:
            value = default
        elif init:
            missing.append(name)
            continue
        else:
            continue  # init=False without a default: left unset, as @dataclass does
        if frozen:
            object.__setattr__(self, name, value)
        else:
            setattr(self, name, value)
    if given:
        raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument '{next(iter(given))}'")
    if missing:
        names = " and ".join(f"'{n}'" for n in missing) if len(missing) <= 2 else ", ".join(f"'{n}'" for n in missing)
        raise TypeError(f"{cls.__qualname__}.__init__() missing {len(missing)} required positional argument{'s' if len(missing) > 1 else ''}: {names}")
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    cls = type(self)
    return f"{cls.__qualname__}(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__record_repr__) + ")"


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # typeshed types it as Any: Python asks the other side
    names = self.__record_compare__
    same: bool = tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)
    return same


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in self.__record_hash__))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
