"""``@record``: a dataclass whose ``__init__``, ``__repr__`` and ``__eq__`` are shared, not compiled per class.

``dataclasses.dataclass`` writes each class's ``__init__``, ``__repr__`` and ``__eq__`` as
source text and compiles it when the module is imported: about as many instructions per
class as a tenth of the interpreter's whole start. The settings' 18 sections made ``import
viewer.settings`` cost more than ``python -c pass``, in every command. A ``@record`` class is
a real dataclass (``fields``, ``asdict``, ``replace``, ``is_dataclass`` work; mypy reads it
as one) whose three methods are the generic ones below, reading the class's fields: the
same arguments, defaults, factories, errors, repr and equality, for classes made a handful
of times per process (settings sections, not records made by the thousand).

Only what those classes use is supported: plain fields with defaults or factories,
``init=False``/``repr=False``/``compare=False`` fields, ``__post_init__``, ``frozen=True``
(then hashed by the compared fields, as ``@dataclass(frozen=True)``). A keyword-only field is
refused at import; an ``InitVar``, ``slots`` or ``order`` needs ``dataclass``.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

__all__ = ["record"]

T = TypeVar("T")
_MISSING = dataclasses.MISSING


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T] | None = None, /, *, frozen: bool = False) -> Any:
    """``@dataclass`` (or ``@dataclass(frozen=True)``) for a class built a few times per process:
    no method compiled at import."""
    if cls is None:
        return lambda c: _make(c, frozen)
    return _make(cls, frozen)


def _make(cls: type[T], frozen: bool) -> type[T]:
    own = set(cls.__dict__)  # the class's own methods win, as with @dataclass
    made = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]  # made is a dataclass now
    plan = []
    for f in fields:
        if f.kw_only:
            raise TypeError(f"@record {cls.__name__}.{f.name}: keyword-only fields are not supported (use @dataclass)")
        plan.append((f.name, f.default, f.default_factory, f.init))
    made.__record_plan__ = tuple(plan)  # type: ignore[attr-defined]
    made.__record_frozen__ = frozen  # type: ignore[attr-defined]
    made.__record_repr__ = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
    made.__record_compare__ = tuple(f.name for f in fields if f.compare)  # type: ignore[attr-defined]
    made.__record_hash__ = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))  # type: ignore[attr-defined]
    methods: list[tuple[str, Any]] = [("__init__", _init), ("__repr__", _repr), ("__eq__", _eq)]
    if frozen:
        methods += [("__setattr__", _frozen_setattr), ("__delattr__", _frozen_delattr)]
    for name, method in methods:
        if name not in own:
            setattr(made, name, method)
    if "__eq__" not in own and "__hash__" not in own:
        # Compared by value: hashed by the compared fields when frozen, else unhashable, as @dataclass.
        made.__hash__ = _hash if frozen else None  # type: ignore[assignment]
    return made


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
        return NotImplemented
    names = self.__record_compare__
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in self.__record_hash__))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
