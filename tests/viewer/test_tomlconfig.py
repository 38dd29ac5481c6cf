"""viewer/tomlconfig.py: every value kind, nested sections, unknown keys, `file:line` errors."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from viewer import tomlconfig
from viewer.errors import SpoolviewError


class BadConfig(SpoolviewError):
    pass


@dataclass
class Inner:
    name: str = ""
    retries: int = 3


@dataclass
class Sample:
    title: str = "t"
    count: int = 1
    ratio: float = 0.5
    enabled: bool = False
    tags: list[str] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)
    folder: Path = Path("default")
    limit: int | None = None
    mode: Literal["fast", "safe"] = "safe"
    extra: Any = None
    inner: Inner = field(default_factory=Inner)
    password: str = ""


def load(text: str, *, unknown: Literal["error", "keep"] = "error", base: Path | None = None,
         source: str = "sample.toml") -> tuple[Sample, tomlconfig.TomlFile]:
    toml = tomlconfig.TomlFile(source, text, error=BadConfig, base=base, hide=lambda dotted: "password" in dotted)
    return toml.load(Sample(), tomllib.loads(text), unknown=unknown), toml


def test_every_kind_is_loaded(tmp_path: Path) -> None:
    sample, _ = load(
        'title = "Devis"\ncount = 7\nratio = 2\nenabled = true\ntags = ["a", "b"]\ndelays = [1, 2.5]\n'
        'users = { bob = "x" }\nfolder = "sub/dir"\nlimit = 10\nmode = "fast"\nextra = [1, "two"]\n'
        '[inner]\nname = "n"\n',
        base=tmp_path,
    )
    assert (sample.title, sample.count, sample.enabled, sample.mode) == ("Devis", 7, True, "fast")
    assert sample.ratio == 2.0 and isinstance(sample.ratio, float)  # an int is taken for a float
    assert sample.tags == ["a", "b"] and sample.delays == [1.0, 2.5]
    assert sample.users == {"bob": "x"}
    assert sample.folder == tmp_path / "sub" / "dir"  # relative paths resolve against the file's folder
    assert sample.limit == 10 and sample.extra == [1, "two"]
    assert sample.inner == Inner(name="n", retries=3)  # a nested section keeps the defaults it does not set


def test_absent_keys_keep_their_defaults() -> None:
    sample, _ = load("")
    assert sample == Sample()


def test_an_absolute_path_stays(tmp_path: Path) -> None:
    sample, _ = load('folder = "/srv/spool"\n', base=tmp_path)
    assert sample.folder == Path("/srv/spool")


@pytest.mark.parametrize("value", ["true", "false"])
def test_booleans_are_accepted(value: str) -> None:
    """The server's old loader refused every boolean (isinstance(default, bool) or ...)."""
    sample, _ = load(f"enabled = {value}\n")
    assert sample.enabled is (value == "true")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('title = 3\n', 'sample.toml:1: title must be a text in quotes ("…"), found 3'),
        ('\ncount = "7"\n', "sample.toml:2: count must be a whole number, found '7'"),
        ("count = 1.5\n", "sample.toml:1: count must be a whole number, found 1.5"),
        ("count = true\n", "sample.toml:1: count must be a whole number, found True"),
        ('ratio = "x"\n', "sample.toml:1: ratio must be a number, found 'x'"),
        ("enabled = 1\n", "sample.toml:1: enabled must be true or false, found 1"),
        ('enabled = "yes"\n', "sample.toml:1: enabled must be true or false, found 'yes'"),
        ('tags = "a"\n', "sample.toml:1: tags must be a list in brackets, e.g. [1, 2], found 'a'"),
        ('tags = ["a", 2]\n', "sample.toml:1: tags must be a text in quotes (\"…\"), found 2"),
        ('delays = [1, "x"]\n', "sample.toml:1: delays must be a number, found 'x'"),
        ("users = 3\n", "sample.toml:1: users must be a table, found a whole number"),
        ("[users]\nbob = 3\n", "sample.toml:2: users.bob must be a text in quotes (\"…\"), found 3"),
        ("folder = 3\n", "sample.toml:1: folder must be a text in quotes (\"…\"), found 3"),
        ('limit = "ten"\n', "sample.toml:1: limit must be a whole number, found 'ten'"),
        ('mode = "turbo"\n', "sample.toml:1: mode must be one of 'fast', 'safe', not 'turbo'"),
        ("inner = 3\n", "sample.toml:1: inner must be a table [inner], found a whole number"),
        ('title = "x"\n\n[inner]\nname = "n"\nretries = "many"\n', "sample.toml:5: inner.retries must be a whole number, found 'many'"),
        ("colour = 1\n", "sample.toml:1: unknown key colour (known: count, delays, enabled, extra, folder, inner, "),
        ("[inner]\ncolour = 1\n", "sample.toml:2: unknown key inner.colour (known: name, retries)"),
    ],
)
def test_wrong_values_name_file_line_key_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(BadConfig) as err:
        load(text)
    assert str(err.value).startswith(message), str(err.value)


def test_a_password_is_never_shown() -> None:
    with pytest.raises(BadConfig) as err:
        load("password = 123456\n")
    assert "123456" not in str(err.value)
    assert "sample.toml:1: password must be a text" in str(err.value) and "(hidden)" in str(err.value)


def test_unknown_keys_can_be_kept_and_reported() -> None:
    sample, toml = load('title = "x"\ncolour = "blue"\n[inner]\nshade = 2\n[plugin]\non = true\n', unknown="keep")
    assert sample.title == "x"
    assert toml.unknown == {("colour",): "blue", ("inner", "shade"): 2, ("plugin",): {"on": True}}


def test_quoted_and_dotted_keys_have_their_line() -> None:
    text = 'title = "x"\n"count" = "1"\n'
    with pytest.raises(BadConfig, match="sample.toml:2: count"):
        load(text)
    with pytest.raises(BadConfig, match="sample.toml:3: inner.retries"):
        load('title = "x"\n\ninner.retries = "3"\n')


def test_without_the_text_the_error_names_the_file() -> None:
    toml = tomlconfig.TomlFile("relay.toml", error=BadConfig)
    with pytest.raises(BadConfig, match=r"^relay.toml: count must be a whole number"):
        toml.load(Sample(), {"count": "x"})


def test_read_missing_file_is_none(tmp_path: Path) -> None:
    assert tomlconfig.read(tmp_path / "none.toml", BadConfig) is None


def test_read_gives_data_and_text(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('\ufefftitle = "x"\n', encoding="utf-8")  # a BOM from Notepad is fine
    assert tomlconfig.read(path, BadConfig) == ({"title": "x"}, 'title = "x"\n')


def test_read_broken_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('title = "x"\n[inner\n')
    with pytest.raises(BadConfig, match=rf"^{path}:2: not a valid TOML file .*; fix it"):
        tomlconfig.read(path, BadConfig, advice="fix it")


def test_read_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_bytes(b'title = "x"\nname = "Dupr\xe9"\n')
    with pytest.raises(BadConfig, match=rf"^{path}:2: not UTF-8 text"):
        tomlconfig.read(path, BadConfig)


def test_read_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadConfig, match="is a folder, not a file"):
        tomlconfig.read(tmp_path, BadConfig)


@pytest.mark.parametrize(
    ("example", "words"),
    [(True, "true or false"), (3, "a whole number"), (2.5, "a number"), ("x", 'a text in quotes ("…")'),
     (Path("p"), 'a text in quotes ("…")'), ([1], "a list in brackets, e.g. [1, 2]"), ({}, "a table"),
     (bool, "true or false"), (Inner, "a table")],
)
def test_describe_in_words(example: Any, words: str) -> None:
    assert tomlconfig.describe(example) == words


def test_field_types_read_without_compiling_are_get_type_hints_own() -> None:
    import dataclasses
    import typing

    from viewer import settings as S
    from viewer.tomlconfig import _field_types

    classes = [c for c in vars(S).values() if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == S.__name__]
    assert len(classes) >= 18
    for cls in classes:
        hints = typing.get_type_hints(cls)
        assert _field_types(cls) == {f.name: hints[f.name] for f in dataclasses.fields(cls)}, cls


# -- the plain reader: tomllib's answer or none -------------------------------------------------

PLAIN_LINES = [
    'a = 1', 'a = -0', 'a = +7', 'a = 007', 'a = 1_000', 'a = 30.0', 'a = .5', 'a = 1.', 'a = 1e5', 'a = inf',
    'a = true', 'a = True', 'a = false', 'a = []', 'a = [1]', 'a = ""', 'a = "x y"', 'a = "é, ü"', 'a = "a\\"b"',
    'a = "a\\\\b"', "a = 'lit'", 'a = "x" # note', 'a = "x\tz"', 'a = "x\x01"', '"a" = 1', 'a.b = 1', 'a b = 1',
    'a = ', '= 1', '[t]', '[t.u]', '[ t ]', '[[t]]', '[t', '[t.]', '[t]\na = 1\n[t]', '[t]\na = 1\na = 2',
    '[t]\nu = 1\n[t.u]', '[t.u]\n[t]\nv = 1', '# comment', '#\x01', 'a = 1\r\nb = 2', 'a-b_c = 1', 'é = 1',
]


@pytest.mark.parametrize("line", PLAIN_LINES)
def test_the_plain_reader_answers_as_tomllib_or_leaves_the_file_to_it(line):
    import tomllib

    from viewer.tomlconfig import plain_toml

    text = f"top = 1\n[section]\n{line}\nlast = \"z\"\n"
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        expected = None
    got = plain_toml(text)
    assert got is None or got == expected, (got, expected)
    if got is not None:  # the same types too: 1 is not 1.0, True is not 1
        assert repr(got) == repr(expected)


def test_the_settings_spoolview_writes_are_read_without_tomllib(tmp_path, monkeypatch):
    import tomllib

    from viewer import settings as S
    from viewer.tomlconfig import plain_toml

    monkeypatch.setenv("SPOOLVIEW_HOME", str(tmp_path))
    settings = S.Settings()
    settings.service.from_identity = "Ventes <ventes@example.com>"
    S.save(settings)
    text = S.paths.config_file().read_text(encoding="utf-8")
    assert plain_toml(text) == tomllib.loads(text)
    assert S.load() == settings
