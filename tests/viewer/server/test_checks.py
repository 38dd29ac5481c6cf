"""Checks on posted messages and envelopes."""

from __future__ import annotations

import pytest

from viewer.server.checks import MessageRejected, check_address, check_message, check_text


@pytest.mark.parametrize("address", ["a@example.com", "first.last+tag@sub.example.co.uk", "0123456789@fax.example.com", "x@[127.0.0.1]", "u@localhost"])
def test_good_addresses(address):
    assert check_address(address, "recipient") == address


@pytest.mark.parametrize("address", ["", "a", "a@", "@b.com", "a b@c.com", "<a@b.com>", "a@b.com\r\nRCPT TO:<c@d>", "a@-b.com", "a..b@c.com", "x" * 250 + "@b.com"])
def test_bad_addresses(address):
    with pytest.raises(MessageRejected):
        check_address(address, "recipient")


def test_message_headers_subject_and_id():
    raw = b"From: a@example.com\r\nSubject: =?utf-8?q?Devis_=C3=A9t=C3=A9?=\r\n  continued\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n"
    assert check_message(raw) == ("Devis été continued", "<x@y>")


def test_message_with_lf_line_ends_and_no_body():
    assert check_message(b"From: a@example.com\nSubject: s\n") == ("s", "")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b" From: a@b.com\r\n\r\n", "continuation"),
        (b"From: a@b.com\r\nno colon here\r\n\r\n", "not 'Name: value'"),
        (b"From: a@b.com\r\nX: " + b"y" * 1000 + b"\r\n\r\n", "longer than 998"),
        (b"From: a@b.com\r\nX: a\0b\r\n\r\n", "NUL"),
        (b"To: a@b.com\r\n\r\nbody", "no From"),
        (b"  \r\n", "empty"),
    ],
)
def test_malformed_messages(raw, reason):
    with pytest.raises(MessageRejected, match=reason):
        check_message(raw)


def test_control_characters_in_labels():
    assert check_text("Devis D-1", "document") == "Devis D-1"
    with pytest.raises(MessageRejected):
        check_text("a\nb", "subject")
