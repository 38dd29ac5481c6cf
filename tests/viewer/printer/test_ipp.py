"""The IPP encoding: a request read and written back byte for byte, values replaced, bad input refused."""

from __future__ import annotations

import pytest

from viewer.printer import ipp


def _request() -> ipp.Message:
    return ipp.Message((2, 0), ipp.OP_PRINT_JOB, 7, [
        ipp.Attribute(ipp.OPERATION_TAG, ipp.TAG_CHARSET, "attributes-charset", b"utf-8"),
        ipp.Attribute(ipp.OPERATION_TAG, ipp.TAG_LANGUAGE, "attributes-natural-language", b"en"),
        ipp.Attribute(ipp.OPERATION_TAG, ipp.TAG_NAME, "requesting-user-name", b"mallory"),
        ipp.Attribute(ipp.JOB_TAG, ipp.TAG_KEYWORD, "sides", b"one-sided"),
        ipp.Attribute(ipp.JOB_TAG, ipp.TAG_KEYWORD, "", b"two-sided-long-edge"),  # an additional value
    ])


def test_round_trip_keeps_every_byte_and_finds_the_document():
    raw = ipp.encode(_request()) + b"%PDF-1.4 data"
    message, data_at = ipp.decode(raw)
    assert raw[data_at:] == b"%PDF-1.4 data"
    assert ipp.encode(message) == raw[:data_at]
    assert (message.code, message.request_id) == (ipp.OP_PRINT_JOB, 7)
    assert message.text("requesting-user-name", ipp.OPERATION_TAG) == "mallory"
    assert message.text("sides") == "one-sided" and message.find("missing") is None


def test_set_value_replaces_in_place_or_adds_to_the_group():
    message = _request()
    ipp.set_value(message, ipp.OPERATION_TAG, ipp.TAG_NAME, "requesting-user-name", "anne")
    ipp.set_value(message, ipp.OPERATION_TAG, ipp.TAG_NAME, "job-name", "Devis")
    ipp.set_value(message, ipp.JOB_TAG, ipp.TAG_KEYWORD, "sides", "one-sided")
    decoded, _ = ipp.decode(ipp.encode(message))
    names = [(a.group, a.name) for a in decoded.attributes]
    assert names[:4] == [(1, "attributes-charset"), (1, "attributes-natural-language"), (1, "requesting-user-name"), (1, "job-name")]
    assert decoded.text("requesting-user-name") == "anne"
    assert [a.value for a in decoded.attributes if a.group == ipp.JOB_TAG] == [b"one-sided"]  # its extra value went too


def test_an_empty_group_survives():
    raw = bytes([2, 0, 0, 0x0B, 0, 0, 0, 1, ipp.OPERATION_TAG, ipp.JOB_TAG, ipp.END_TAG])
    message, data_at = ipp.decode(raw)
    assert data_at == len(raw) and message.groups == [ipp.OPERATION_TAG, ipp.JOB_TAG]


@pytest.mark.parametrize(("raw", "why"), [
    (b"GET /", "shorter than an IPP header"),
    (bytes([2, 0, 0, 2, 0, 0, 0, 1, 1, 0x42, 0, 40]), "cut short"),
    (bytes([2, 0, 0, 2, 0, 0, 0, 1, 1]), "no end-of-attributes tag"),
])
def test_broken_messages_are_refused(raw, why):
    with pytest.raises(ipp.IppError, match=why):
        ipp.decode(raw)


def test_answer_carries_the_status_and_message():
    message, _ = ipp.decode(ipp.answer(_request(), ipp.STATUS_TOO_LARGE, "too large"))
    assert (message.code, message.request_id) == (ipp.STATUS_TOO_LARGE, 7)
    assert message.text("status-message") == "too large"
