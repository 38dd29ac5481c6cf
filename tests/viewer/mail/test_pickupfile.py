"""The pickup file format: one grammar for the route that writes and the relay that reads (issue 12.13)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.mail.pickupfile import PickupFormatError, field_name, read_envelope, split_head, write
from viewer.mail.routes.base import Envelope, PermanentError
from viewer.mail.routes.pickup import PickupRoute
from viewer.relay.message import MalformedMessage, parse_message

MESSAGE = b"From: Agent <agent@example.com>\r\nTo: client@example.org\r\nSubject: Devis\r\n\r\nBonjour\r\n"
ENV = Envelope("agent@example.com", ("client@example.org",))


def test_form_feed_header_is_refused_by_the_writer_never_an_envelope_recipient(tmp_path):
    smuggled = b"X-Receiver\x0c: evil@attacker.example\r\n" + MESSAGE
    with pytest.raises(PermanentError, match=r"X-Receiver\\x0c.*control character"):
        PickupRoute(tmp_path).send(smuggled, ENV)
    assert list(tmp_path.iterdir()) == [] or all(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_form_feed_header_in_a_pickup_file_is_refused_by_the_relay():
    # A file written by another program (not our route) with the line right after the envelope.
    raw = b"x-sender: agent@example.com\r\nx-receiver: client@example.org\r\nX-Receiver\x0c: evil@attacker.example\r\n" + MESSAGE
    with pytest.raises(MalformedMessage, match="control character"):
        parse_message(raw)
    with pytest.raises(MalformedMessage, match="control character"):
        parse_message(b"X-Receiver\x0c: evil@attacker.example\r\n" + MESSAGE)


def test_round_trip_envelope_content_and_bcc():
    message = b"From: a@example.com\nTo: b@example.com\nBcc: hidden@example.com,\n  h2@example.com\nSubject: s\n\nline\rBcc: body\n"
    data = write(message, "a@example.com", ["b@example.com", "hidden@example.com", "h2@example.com"])
    parsed = parse_message(data)
    assert parsed.sender == "a@example.com"
    assert parsed.recipients == ("b@example.com", "hidden@example.com", "h2@example.com")
    assert parsed.content == b"From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n\r\nline\r\nBcc: body\r\n"


def test_null_sender_round_trip():
    parsed = parse_message(write(MESSAGE, "", ["postmaster@example.com"]))
    assert parsed.sender == "" and parsed.recipients == ("postmaster@example.com",)


def test_grammar_pieces():
    assert field_name(b"Subject : x") == "subject"
    assert field_name(b"Subject\t: x") == "subject"
    assert field_name(b" folded: x") is None
    assert field_name(b"body text without colon") is None
    assert field_name(b"body text: with a space in the name") is None
    for bad in (b"X-Receiver\x0c: e@x", b"To\x00: e@x", b"X\x7fY: e@x", b"X-Sender\x0b : e@x"):
        with pytest.raises(PickupFormatError, match="control character"):
            field_name(bad)
    assert read_envelope(b"x-sender: a@x.test\rX-RECEIVER : <b@x.test>\nSubject: s\r\n\r\n") == ("a@x.test", ["b@x.test"], 43)
    with pytest.raises(PickupFormatError, match="folded"):
        read_envelope(b"x-receiver: a@x.test\r\n b@x.test\r\nSubject: s\r\n\r\n")
    assert split_head(b"A: 1\rB: 2\r\rbody\r\nC: 3") == ([b"A: 1\r", b"B: 2\r", b"\r"], b"body\r\nC: 3")


# Header names: printable ASCII, controls, non-ASCII, with optional spaces before the colon,
# placed first, in the middle or last in the header block.
_name = st.binary(min_size=1, max_size=12).filter(lambda b: b":" not in b and b"\r" not in b and b"\n" not in b)
_near = st.sampled_from([b"x-receiver", b"X-Receiver", b"x-sender", b"bcc", b"To"]).flatmap(
    lambda base: st.tuples(st.binary(max_size=2), st.binary(max_size=2)).map(lambda ab: ab[0] + base + ab[1])
).filter(lambda b: b":" not in b and b"\r" not in b and b"\n" not in b)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.one_of(_name, _near), gap=st.sampled_from([b"", b" ", b"\t", b"\x0c", b" \x0c"]),
       where=st.integers(min_value=0, max_value=3))
def test_any_header_name_never_adds_an_envelope_address(name, gap, where):
    header = name + gap + b": evil@attacker.example\r\n"
    lines = MESSAGE.split(b"\r\n")
    lines.insert(where, header.rstrip(b"\r\n"))
    message = b"\r\n".join(lines)
    try:
        data = write(message, ENV.sender, ENV.recipients)
    except PickupFormatError:  # refused before anything is written: nobody gets it
        return
    try:
        parsed = parse_message(data)
    except MalformedMessage:
        return  # refused by the relay: never sent to anyone
    assert parsed.sender == ENV.sender
    assert parsed.recipients == ENV.recipients
    assert b"evil@attacker.example" not in b"".join(data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[:2])


@given(st.lists(st.sampled_from([b"A: 1", b"x", b"", b"\r\n", b"\n", b"\r", b"\r\r\n", b"\n\r"]), max_size=12))
def test_line_ends_made_crlf_whatever_the_mix(parts):
    """A message of CRLF lines is kept as it is (fast path); any other mix is rewritten to CRLF."""
    import re

    message = b"From: a@example.com\r\n\r\n" + b"".join(parts)
    assert write(message, None) == re.sub(rb"\r\n|\r|\n", b"\r\n", message)
