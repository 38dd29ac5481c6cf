"""The quick schema check gives jsonschema's verdict on the samples and on many broken variants of them."""

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from formats import native
from formats.schemacheck import Checker

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# Replacement values that break (or keep) a field: each is tried on every field of every item.
ODD_VALUES = [None, True, False, 0, 1, 1.5, -3, 1e9, "", "x", "#12ab9Z", "#12AB9f", "#12ab9f\n", [], [1], {}, {"x": 1}]


def _variants(item):
    """``item`` with each field replaced by each odd value, removed, and with an unknown field."""
    for key in item:
        for value in ODD_VALUES:
            yield {**item, key: value}
        yield {k: v for k, v in item.items() if k != key}
        value = item[key]
        if isinstance(value, dict):  # one level down: fonts, borders
            for inner in value:
                for odd in ODD_VALUES:
                    yield {**item, key: {**value, inner: odd}}
        if isinstance(value, list) and value and isinstance(value[0], (list, dict)):  # table rows, columns
            for odd in ODD_VALUES:
                yield {**item, key: [odd, *value[1:]]}
    yield {**item, "unknown_field": 1}


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.spv")), ids=lambda p: p.name)
def test_the_verdict_is_jsonschemas_on_broken_items(sample):
    page_schema = {"$defs": native.schema()["$defs"], "$ref": "#/$defs/page"}
    quick, reference = Checker(page_schema), Draft202012Validator(page_schema)
    pages = json.loads(sample.read_text(encoding="utf-8"))["pages"]
    tried = refused = 0
    shapes = set()  # one item of each type and set of fields: the others repeat it
    for page in pages:
        assert quick.is_valid(page) and reference.is_valid(page)
        for n, item in enumerate(page["items"]):
            if (item["type"], frozenset(item)) in shapes:
                continue
            shapes.add((item["type"], frozenset(item)))
            for variant in _variants(item):
                broken = {**page, "items": [variant]}  # the item alone: jsonschema takes ~1 ms an item
                verdict = reference.is_valid(broken)
                assert quick.is_valid(broken) == verdict, (n, variant)
                tried += 1
                refused += not verdict
        for key in page:
            for value in ODD_VALUES:
                variant = {**page, key: value, "items": page["items"][:1]}
                assert quick.is_valid(variant) == reference.is_valid(variant), (key, value)
    assert tried > 300 and 0 < refused < tried  # both verdicts were exercised


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.spv")), ids=lambda p: p.name)
def test_the_envelope_verdict_is_jsonschemas(sample):
    envelope = native._envelope_schema()
    quick, reference = Checker(envelope), Draft202012Validator(envelope)
    data = json.loads(sample.read_text(encoding="utf-8"))
    assert quick.is_valid(data) and reference.is_valid(data)
    for key in list(data):
        for value in ODD_VALUES:
            for variant in ({**data, key: value}, {k: v for k, v in data.items() if k != key}):
                assert quick.is_valid(variant) == reference.is_valid(variant), (key, value)
        if isinstance(data[key], dict):
            for inner in data[key]:
                for value in ODD_VALUES:
                    variant = copy.deepcopy(data)
                    variant[key][inner] = value
                    assert quick.is_valid(variant) == reference.is_valid(variant), (key, inner, value)


def test_json_equality_types_and_references():
    schema = {"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}, "n": {"type": "integer"}}}},
              "properties": {"a": {"const": 1}, "b": {"enum": [True]}, "c": {"type": "integer"}, "d": {"$ref": "#/$defs/node"}}}
    check = Checker(schema)
    assert check.is_valid({"a": 1.0, "b": True, "c": 2.0, "d": {"next": {"next": {"n": 3}}}})
    assert not check.is_valid({"a": True})  # true is not 1
    assert not check.is_valid({"b": 1})
    assert not check.is_valid({"c": 2.5}) and not check.is_valid({"c": False})
    assert not check.is_valid({"d": {"next": {"next": {"n": "3"}}}})  # a recursive reference, checked to the end


def test_an_unknown_keyword_is_refused_when_compiled():
    with pytest.raises(TypeError, match="patternProperties"):
        Checker({"type": "object", "patternProperties": {"^x": {"type": "string"}}})
    with pytest.raises(TypeError, match="only local references"):
        Checker({"$ref": "https://example.com/schema.json"})
