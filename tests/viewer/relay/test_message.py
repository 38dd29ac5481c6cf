"""Parsing pickup files: IIS/Exchange x-sender/x-receiver lines, else headers; Bcc removed."""

from __future__ import annotations

import pytest

from viewer.relay.message import MalformedMessage, parse_message, pickup_bytes, strip_headers


def test_envelope_from_headers_and_bcc_removed():
    raw = (b"From: \"Alice A\" <alice@example.com>\r\nTo: bob@example.com, Carl <carl@example.com>\r\n"
           b"Cc: dan@example.com\r\nBcc: eve@example.com,\r\n  fay@example.com\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\r\nBody\r\nBcc: in body stays\r\n")
    p = parse_message(raw)
    assert p.sender == "alice@example.com"
    assert p.recipients == ("bob@example.com", "carl@example.com", "dan@example.com", "eve@example.com", "fay@example.com")
    assert b"eve@" not in p.content and b"fay@" not in p.content
    assert p.content.endswith(b"\r\n\r\nBody\r\nBcc: in body stays\r\n")
    assert p.subject == "Café"
    assert p.headers.startswith(b"From:") and b"Subject:" in p.headers


def test_iis_envelope_lines_win():
    raw = b"x-sender: robot@example.com\r\nx-receiver: one@example.com\r\nX-Receiver: <two@example.com>\r\nFrom: a@example.com\r\nTo: other@example.com\r\nBcc: hidden@example.com\r\n\r\nHi\r\n"
    p = parse_message(raw)
    assert p.sender == "robot@example.com"
    assert p.recipients == ("one@example.com", "two@example.com")
    assert p.content.startswith(b"From: a@example.com")
    assert b"x-sender" not in p.content.lower() and b"hidden" not in p.content


def test_null_sender_and_lf_line_ends():
    p = parse_message(b"x-sender: <>\nx-receiver: a@example.com\nFrom: MAILER-DAEMON@x\nSubject: report\n\nbody\n")
    assert p.sender == ""
    assert p.recipients == ("a@example.com",)


def test_sender_header_preferred_and_duplicates_removed():
    p = parse_message(b"Sender: s@example.com\nFrom: f@example.com\nTo: a@example.com\nCc: a@example.com\n\nx")
    assert p.sender == "s@example.com"
    assert p.recipients == ("a@example.com",)


@pytest.mark.parametrize(
    "raw, why",
    [
        (b"", "empty"),
        (b"  \r\n", "empty"),
        (b"x-sender: a@example.com\r\nx-receiver: b@example.com\r\n", "no message"),
        (b"hello world\r\nthis is not mail\r\n", "first line is not a header"),
        (b" folded\r\nFrom: a@x\r\n", "folded line"),
        (b"To: b@example.com\r\n\r\nbody", "no sender"),
        (b"From: a@example.com\r\nSubject: x\r\n\r\nbody", "no recipient"),
        (b"x-sender: a@example.com\r\nx-receiver: not-an-address\r\nSubject: x\r\n\r\n", "not valid"),
        (b"x-sender: bad sender\r\nx-receiver: b@example.com\r\nSubject: x\r\n\r\n", "sender address"),
    ],
)
def test_malformed(raw, why):
    with pytest.raises(MalformedMessage, match=why):
        parse_message(raw)


def test_pickup_bytes_round_trip():
    data = pickup_bytes("a@example.com", ["b@example.com", "c@example.com"], b"Subject: s\r\n\r\nbody\r\n")
    p = parse_message(data)
    assert (p.sender, p.recipients) == ("a@example.com", ("b@example.com", "c@example.com"))
    assert p.content == b"Subject: s\r\n\r\nbody\r\n"


def test_strip_headers_keeps_body():
    out = strip_headers(b"A: 1\r\nB: 2\r\n 2b\r\nC: 3\r\n\r\nB: body\r\n", {"b"})
    assert out == b"A: 1\r\nC: 3\r\n\r\nB: body\r\n"


def test_body_without_blank_line_is_tolerated_and_latin1_headers():
    p = parse_message(b"From: a@example.com\nTo: b@example.com\nSubject: caf\xe9\nplain body line\n")
    assert p.recipients == ("b@example.com",)
    assert p.subject == "café"


@pytest.mark.parametrize(
    "address, ok",
    [("bob@example.com", True), ("o'neil+tag@sub.example.org", True), ("bob", False), ("@example.com", False),
     ("bob@", False), ("bob smith@example.com", False), ("<bob@example.com>", False), ("a@b.com,c@d.com", False),
     ("a@b@example.com", False), ('"bob"@example.com', False), ("bob(x)@example.com", False), ("bob\x01@example.com", False)],
)
def test_valid_address(address, ok):
    from viewer.relay.message import valid_address

    assert valid_address(address) is ok


@pytest.mark.parametrize("content", [
    b"From: a@example.com\r\nTo: x@example.com\r\nBcc: h@example.com\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\r\nbody\r\n",
    b"Subject: no blank line\r\nbody text\r\n",
])
def test_parse_received_is_parse_message_of_the_queued_file(content):
    from viewer.relay.message import parse_received

    assert parse_received("s@example.com", ["r@example.com", "t@example.com"], content) == parse_message(
        pickup_bytes("s@example.com", ["r@example.com", "t@example.com"], content))
    assert parse_received("", ["r@example.com"], content) == parse_message(pickup_bytes("", ["r@example.com"], content))
    with pytest.raises(MalformedMessage, match="first line"):
        parse_received("s@example.com", ["r@example.com"], b"not a header\r\n")
