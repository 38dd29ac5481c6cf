"""@record: the same behaviour as @dataclass (arguments, defaults, errors, repr, equality, the dataclasses helpers)."""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from viewer.records import record


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


def test_settings_sections_are_records_the_viewer_compares() -> None:
    from viewer import settings as S

    one, two = S.Settings(), S.Settings()
    assert one == two and dataclasses.is_dataclass(one)
    two.pdf.pdfa = not two.pdf.pdfa
    assert one != two and "pdfa=" in repr(two.pdf)


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
