"""formats.records: @record behaves as @dataclass (arguments, defaults, errors, repr, equality, the dataclasses helpers)."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import pickle
import re
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from formats.records import record


def _define(decorator: Any) -> Any:
    class Sample:
        """A section of settings."""

        name: str
        size: int = 3
        tags: list[str] = field(default_factory=list)
        cache: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
        derived: str = field(default="", init=False)

        def __post_init__(self) -> None:
            self.derived = self.name.upper()

    return decorator(Sample)


R, D = _define(record), _define(dataclass)


def _same_error(call: Any) -> None:
    messages = []
    for cls in (R, D):
        with pytest.raises(TypeError) as info:
            call(cls)
        messages.append(re.sub(r"^\S*__init__\(\)", "__init__()", str(info.value)))
    if "positional arguments but" not in messages[1]:  # dataclass says "from 2 to 5", record the maximum
        assert messages[0] == messages[1]


@pytest.mark.parametrize("args, kwargs", [(("a",), {}), (("a", 5, ["x"]), {}), ((), {"name": "b", "tags": ["y"]}), (("c",), {"cache": {"k": 1}})])
def test_a_record_is_built_printed_and_compared_as_a_dataclass(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    r, d = R(*args, **kwargs), D(*args, **kwargs)
    assert repr(r) == repr(d).replace(D.__qualname__, R.__qualname__)
    assert dataclasses.asdict(r) == dataclasses.asdict(d) and r.derived == d.derived
    assert r == R(*args, **kwargs) and r == copy.deepcopy(r)
    assert r != R("other") and (r == d) is False  # another class never compares equal
    assert R("a", cache={"k": 1}) == R("a")  # compare=False left out, as @dataclass does
    assert dataclasses.replace(r, size=9).size == 9 and dataclasses.is_dataclass(r)
    assert [f.name for f in dataclasses.fields(R)] == [f.name for f in dataclasses.fields(D)]


def test_defaults_from_factories_are_not_shared() -> None:
    one, two = R("a"), R("b")
    one.tags.append("x")
    assert two.tags == [] and R.__match_args__ == D.__match_args__


def test_wrong_arguments_fail_as_with_a_dataclass() -> None:
    _same_error(lambda cls: cls())
    _same_error(lambda cls: cls("a", 1, [], {}, "too many"))
    _same_error(lambda cls: cls("a", name="b"))
    _same_error(lambda cls: cls("a", unknown=1))
    _same_error(lambda cls: cls("a", derived="x"))  # init=False is no argument


def test_records_are_unhashable_like_mutable_dataclasses_and_keep_their_own_methods() -> None:
    with pytest.raises(TypeError):
        hash(R("a"))

    @record
    class Own:
        value: int = 0

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Own)

        def __hash__(self) -> int:
            return 1

    assert repr(Own()) == "own" and Own(1) == Own(2) and hash(Own()) == 1


def test_keyword_only_fields_are_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="keyword-only"):

        @record
        class KwOnly:
            value: int = field(default=0, kw_only=True)


def test_recursive_repr_is_guarded() -> None:
    r, d = R("a"), D("a")
    r.tags.append(r)
    d.tags.append(d)
    assert repr(r) == repr(d) == "_define.<locals>.Sample(name='a', size=3, tags=[...], derived='A')"


def test_a_frozen_record_refuses_changes_and_hashes_as_a_frozen_dataclass() -> None:
    def define(decorator: Any) -> Any:
        class Point:
            x: int
            y: int = 0
            label: str = field(default="", compare=False)

        return decorator(Point)

    fr, fd = define(record(frozen=True)), define(dataclass(frozen=True))
    r, d = fr(1, 2, "a"), fd(1, 2, "a")
    assert hash(r) == hash(d) and r == fr(1, 2, "b") and {r, fr(1, 2)} == {r}
    assert repr(r) == repr(d).replace(fd.__qualname__, fr.__qualname__)
    for target in (r, d):
        with pytest.raises(dataclasses.FrozenInstanceError):
            target.x = 5
        with pytest.raises(dataclasses.FrozenInstanceError):
            del target.y
    assert dataclasses.replace(r, x=7) == fr(7, 2) and copy.deepcopy(r) == r


# Every @record class of the project, as the send road and the viewer import them.
MODULES = ("formats.document", "formats.limits", "formats.native", "formats.pdf", "formats.pdfmeta", "formats.encrypt",
           "viewer.settings", "viewer.connection", "viewer.directory_rules", "viewer.mail.routes.base",
           "viewer.mail.compose", "viewer.mail.journal", "viewer.mail.routes.select", "viewer.mail.outbox",
           "viewer.mail.routing", "viewer.mail.job")


def _records() -> list[type]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        found += [c for c in vars(module).values()
                  if isinstance(c, type) and c.__module__ == name and "__record_plan__" in c.__dict__]
    return found


def _as_dataclass(cls: type) -> Any:
    """The same class body made by @dataclass: own annotations and the defaults @record kept."""
    body: dict[str, Any] = {"__annotations__": dict(cls.__dict__["__annotations__"]), "__module__": cls.__module__,
                            "__qualname__": cls.__qualname__, "__doc__": cls.__doc__}
    for f in dataclasses.fields(cls):
        body[f.name] = field(default=f.default, default_factory=f.default_factory, init=f.init, repr=f.repr,
                             hash=f.hash, compare=f.compare, metadata=f.metadata)
    frozen = cls.__dataclass_params__.frozen  # type: ignore[attr-defined]  # set by @record
    return dataclass(frozen=frozen)(type(cls.__name__, (), body))


def test_the_project_has_its_records() -> None:
    names = {c.__qualname__ for c in _records()}
    assert {"DocInfo", "Document", "Limits", "Protection", "Properties", "SecurityEntries", "Settings", "MailSpec",
            "SendResult", "Draft"} <= names and len(names) > 40


@pytest.mark.parametrize("cls", _records(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_each_record_of_the_project_has_the_fields_and_behaviour_of_its_dataclass(cls: type) -> None:
    made = _as_dataclass(cls)
    mine, theirs = dataclasses.fields(cls), dataclasses.fields(made)
    assert [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.compare, f.kw_only) for f in mine] == \
        [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.compare, f.kw_only) for f in theirs]
    assert cls.__match_args__ == made.__match_args__  # type: ignore[attr-defined]  # both set it
    assert (cls.__hash__ is None) == (made.__hash__ is None) or "__hash__" in cls.__dict__
    for f in mine:  # the class keeps a plain default as its attribute, and no Field, as @dataclass does
        assert cls.__dict__.get(f.name, dataclasses.MISSING) == made.__dict__.get(f.name, dataclasses.MISSING)
    if all(f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
           for f in mine if f.init):
        r, d = cls(), made()
        assert dataclasses.asdict(r) == dataclasses.asdict(d)
        if "__repr__" not in cls.__dict__:
            assert repr(r) == repr(d)
        assert r == cls() and (r == d) is False
        assert pickle.loads(pickle.dumps(r)) == r  # as a worker process receives it (send --jobs)


def test_class_variables_are_not_fields_and_bases_fields_come_first() -> None:
    for decorator in (record, dataclass):
        class Base:
            kind: ClassVar[str] = "base"
            a: int = 1

        base = decorator(Base)

        class Child(base):  # type: ignore[valid-type, misc]  # made by the decorator above
            b: str = "x"
            limit: ClassVar[int] = 3

        child = decorator(Child)
        assert [f.name for f in dataclasses.fields(child)] == ["a", "b"]
        assert repr(child(2)) == "test_class_variables_are_not_fields_and_bases_fields_come_first.<locals>.Child(a=2, b='x')"
        assert child.limit == 3 and child(2, "y") == child(2, "y")


def test_a_dataclass_can_subclass_a_record() -> None:
    @record(frozen=True)
    class Base:
        a: int = 1

    @dataclass(frozen=True)
    class Child(Base):
        b: int = 2

    assert Child(5) == Child(5, 2) and hash(Child(5)) == hash(Child(5, 2)) and Base.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_definition_errors_are_the_dataclass_ones() -> None:
    messages = []
    for decorator in (record, dataclass):
        with pytest.raises(ValueError) as mutable:
            class Mutable:
                items: list[int] = []  # the mistake under test

            decorator(Mutable)
        with pytest.raises(TypeError) as order:
            class Order:
                a: int = 1
                b: int

            decorator(Order)
        messages.append((str(mutable.value), str(order.value)))
    assert messages[0] == messages[1]
    with pytest.raises(TypeError, match="InitVar"):
        @record
        class Init:
            seed: dataclasses.InitVar[int] = 0


def test_a_class_without_docstring_gets_its_fields_as_one() -> None:
    @record
    class Bare:
        a: int = 1
        b: str = ""

    assert Bare.__doc__ == "Bare(a, b)"


def test_making_a_record_compiles_nothing() -> None:
    probe = ("import builtins\ncalls = []\nfrom formats.records import record\n"
             "real = builtins.exec\nbuiltins.exec = lambda *a, **k: calls.append(a) or real(*a, **k)\n"
             "@record\nclass A:\n    x: int = 1\n"
             "print(len(calls), A(2))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["0", "A(x=2)"]
