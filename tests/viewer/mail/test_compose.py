"""Tests for viewer.mail.compose: every S7 option in the bytes, and every message parsed back."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from viewer.mail.compose import Attachment, ComposeError, MailSpec, compose, encode_unstructured
from viewer.settings import Settings

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 200 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
BODY = "Bonjour,\n\nVeuillez trouver ci-joint votre devis : 1 250,00 € TTC, réf. « été ».\n\nCordialement"
HTML = '<p>Bonjour,</p><p>Votre devis : 1 250,00 €</p><img src="cid:logo">'


def make_settings(**advanced: object) -> Settings:
    s = Settings()
    s.service.from_identity = "Ventes Dupont <ventes@dupont.fr>"
    for key, value in advanced.items():
        setattr(s.advanced, key, value)
    return s


def spec(**kw: object) -> MailSpec:
    base: dict = dict(
        to=["Jean Dupré <jean@client.fr>"],
        subject="Votre devis D2026-0042 du 27/11/2026",
        body=BODY,
        attachments=[Attachment("devis D2026-0042.pdf", PDF, "application/pdf")],
        document_id="devis D2026-0042",
    )
    base.update(kw)
    return MailSpec(**base)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"


def text_of(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    return part.get_content().replace("\r\n", "\n")


def assert_wellformed(raw: bytes) -> None:
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF in the message"
    assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR in the message"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.endswith(b"\r\n")


# --- the default message -----------------------------------------------------------------


def test_default_message_parses_back_with_body_and_attachment_intact():
    composed = compose(spec(bcc=["archive@dupont.fr"], cc=["Compta <compta@client.fr>"]), make_settings())
    raw = composed.raw
    assert_wellformed(raw)
    msg = parse(raw)
    assert msg["From"].addresses[0].addr_spec == "ventes@dupont.fr"
    assert msg["From"].addresses[0].display_name == "Ventes Dupont"
    assert msg["To"].addresses[0].display_name == "Jean Dupré"
    assert msg["Cc"].addresses[0].addr_spec == "compta@client.fr"
    assert "Bcc" not in msg and b"archive@dupont.fr" not in raw
    assert msg["Subject"] == "Votre devis D2026-0042 du 27/11/2026"
    assert msg["X-Spoolview-Document"] == "devis D2026-0042"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Date"].datetime is not None
    assert re.fullmatch(r"<[^@<>]+@dupont\.fr>", msg["Message-ID"])
    assert text_of(msg, "plain") == BODY + "\n" or text_of(msg, "plain") == BODY
    [att] = list(msg.iter_attachments())
    assert att.get_filename() == "devis D2026-0042.pdf"
    assert att.get_content_type() == "application/pdf"
    assert att.get_content() == PDF
    assert composed.envelope.sender == "ventes@dupont.fr"
    assert composed.envelope.recipients == ("jean@client.fr", "compta@client.fr", "archive@dupont.fr")
    assert composed.charset_used == "windows-1252" and composed.notes == []
    assert composed.subject == "Votre devis D2026-0042 du 27/11/2026"
    assert composed.message["Subject"] == msg["Subject"]
    assert not any(p.defects for p in msg.walk())


def test_envelope_recipients_are_deduplicated():
    composed = compose(spec(to=["a@x.fr", "A@X.FR"], cc=["a@x.fr"], bcc=["b@x.fr"]), make_settings())
    assert composed.envelope.recipients == ("a@x.fr", "b@x.fr")


def test_bcc_only_is_allowed_and_sends_no_to_header():
    composed = compose(spec(to=[], bcc=["hidden@x.fr"]), make_settings())
    assert b"\r\nTo:" not in header_block(composed.raw)
    assert composed.envelope.recipients == ("hidden@x.fr",)


def test_reply_to_and_explicit_sender():
    composed = compose(spec(sender="Alice <alice@shop.example>", reply_to="noreply@shop.example"), make_settings())
    msg = parse(composed.raw)
    assert msg["From"].addresses[0].addr_spec == "alice@shop.example"
    assert msg["Reply-To"].addresses[0].addr_spec == "noreply@shop.example"
    assert composed.envelope.sender == "alice@shop.example"
    assert msg["Message-ID"].endswith("@shop.example>")


def test_display_names_with_specials_and_accents_round_trip():
    names = ['Dupont, Jean "JD"', "Łukasz Żółć", "=?utf-8?q?x?=", "O'Brien (Sales)"]
    given = ['"Dupont, Jean \\"JD\\"" <p0@x.fr>', "Łukasz Żółć <p1@x.fr>", "=?utf-8?q?x?= <p2@x.fr>", "O'Brien (Sales) <p3@x.fr>"]
    composed = compose(spec(to=given), make_settings())
    got = [(a.display_name, a.addr_spec) for a in parse(composed.raw)["To"].addresses]
    assert got == [(n, f"p{i}@x.fr") for i, n in enumerate(names)]


def test_quoted_display_name_is_unquoted():
    composed = compose(spec(to=['"Dupont, Jean" <j@x.fr>']), make_settings())
    assert parse(composed.raw)["To"].addresses[0].display_name == "Dupont, Jean"


def test_idn_domain_is_sent_in_ascii_form():
    composed = compose(spec(to=["info@bücher.example"]), make_settings())
    assert composed.envelope.recipients == ("info@xn--bcher-kva.example",)
    assert b"info@xn--bcher-kva.example" in composed.raw


# --- charset -------------------------------------------------------------------------------


@pytest.mark.parametrize("base64_body", [True, False])
def test_cp1252_accents_and_euro_survive(base64_body):
    composed = compose(spec(html=HTML), make_settings(base64_body=base64_body))
    assert composed.charset_used == "windows-1252"
    assert b'charset="windows-1252"' in composed.raw
    if not base64_body:
        assert "1 250,00 € TTC, réf. « été »".encode("cp1252") in composed.raw
    msg = parse(composed.raw)
    assert "1 250,00 € TTC, réf. « été »" in text_of(msg, "plain")
    assert "1 250,00 €" in text_of(msg, "html")


@pytest.mark.parametrize("name", ["Łukasz Wąsowski", "Čeněk Řehoř"])
def test_polish_or_czech_name_falls_back_to_utf8_and_says_so(name):
    composed = compose(spec(body=f"Bonjour {name},\n1 250,00 €"), make_settings(base64_body=False))
    assert composed.charset_used == "utf-8"
    assert b'charset="utf-8"' in composed.raw and b"windows-1252" not in composed.raw
    assert any("did not fit windows-1252" in n and "UTF-8" in n for n in composed.notes)
    assert f"Bonjour {name},\n1 250,00 €" in text_of(parse(composed.raw), "plain")


def test_given_code_page_is_used():
    composed = compose(spec(body="Čeněk Řehoř, Łódź"), make_settings(use_default_charset=False, charset="ISO-8859-2"))
    assert composed.charset_used == "iso-8859-2" and composed.notes == []
    assert "Čeněk Řehoř, Łódź" in text_of(parse(composed.raw), "plain")


def test_cp_alias_is_written_as_windows_name():
    composed = compose(spec(), make_settings(use_default_charset=False, charset="cp1257"))
    assert b'charset="windows-1257"' in composed.raw


@pytest.mark.parametrize("charset", ["klingon-42", "utf-16"])
def test_unusable_code_page_is_refused(charset):
    with pytest.raises(ComposeError, match="code page"):
        compose(spec(), make_settings(use_default_charset=False, charset=charset))


def test_html_body_does_not_fit_either():
    composed = compose(spec(body="plain", html="<p>Żółć</p>"), make_settings())
    assert composed.charset_used == "utf-8"
    assert text_of(parse(composed.raw), "html") .startswith("<p>Żółć</p>")


# --- HTML, RTF, plain ----------------------------------------------------------------------


def content_types(raw: bytes) -> list[str]:
    return [p.get_content_type() for p in parse(raw).walk()]


def test_html_is_sent_with_a_plain_alternative():
    composed = compose(spec(html="<p>Bonjour</p>"), make_settings())
    assert content_types(composed.raw) == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"]
    msg = parse(composed.raw)
    assert text_of(msg, "html").startswith("<p>Bonjour</p>")
    assert msg.get_body(("html", "plain")).get_content_type() == "text/html"


def test_html_allowed_but_absent_gives_plain_only():
    composed = compose(spec(attachments=[]), make_settings())
    assert content_types(composed.raw) == ["text/plain"]


def test_html_not_allowed_is_dropped_with_a_note():
    composed = compose(spec(html="<p>x</p>", attachments=[]), make_settings(allow_html=False))
    assert content_types(composed.raw) == ["text/plain"]
    assert any("HTML body not sent" in n for n in composed.notes)


def test_rtf_part_when_allowed():
    rtf = r"{\rtf1\ansi Bonjour \'e9t\'e9}"
    composed = compose(spec(html="<p>x</p>", rtf=rtf), make_settings(allow_rtf=True))
    types = content_types(composed.raw)
    assert types[:5] == ["multipart/mixed", "multipart/alternative", "text/plain", "text/rtf", "text/html"]
    assert text_of(parse(composed.raw), "rtf").startswith(rtf)


def test_html_and_rtf_off_gives_plain_text_only():
    composed = compose(spec(html="<p>x</p>", rtf="{\\rtf1 x}"), make_settings(allow_html=False, allow_rtf=False))
    assert content_types(composed.raw) == ["multipart/mixed", "text/plain", "application/pdf"]
    assert len(composed.notes) == 2


# --- transfer encoding ---------------------------------------------------------------------


def test_base64_body_is_the_default():
    composed = compose(spec(html=HTML), make_settings())
    assert composed.raw.count(b"Content-Transfer-Encoding: base64") == 3  # plain, html, pdf
    assert b"Veuillez trouver" not in composed.raw


def test_8bit_body_is_readable_in_the_file():
    composed = compose(spec(html=HTML), make_settings(base64_body=False))
    assert composed.raw.count(b"Content-Transfer-Encoding: 8bit") == 2
    assert b"Veuillez trouver ci-joint votre devis" in composed.raw
    assert b"Votre devis : 1 250,00 \x80" in composed.raw


def test_8bit_line_too_long_goes_quoted_printable():
    body = "é" * 1200
    composed = compose(spec(body=body), make_settings(base64_body=False))
    assert b"Content-Transfer-Encoding: quoted-printable" in composed.raw
    assert any("quoted-printable" in n for n in composed.notes)
    assert_wellformed(composed.raw)
    assert text_of(parse(composed.raw), "plain").rstrip("\n") == body


def test_8bit_body_with_nul_goes_base64():
    composed = compose(spec(body="a\0b"), make_settings(base64_body=False))
    assert any("NUL" in n for n in composed.notes)
    assert text_of(parse(composed.raw), "plain") == "a\0b"


# --- cid: images ---------------------------------------------------------------------------


def test_cid_images_go_inline_in_multipart_related():
    composed = compose(spec(html=HTML, inline_images={"logo": PNG}), make_settings())
    types = content_types(composed.raw)
    assert types == ["multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png", "application/pdf"]
    msg = parse(composed.raw)
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    assert related.get_param("type") == "text/html"
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<logo>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == PNG
    assert 'src="cid:logo"' in text_of(msg, "html")
    assert [a.get_filename() for a in msg.iter_attachments()] == ["devis D2026-0042.pdf"]


def test_cid_off_attaches_images_as_ordinary_attachments():
    composed = compose(spec(html=HTML, inline_images={"logo": PNG}), make_settings(process_cid=False))
    assert "multipart/related" not in content_types(composed.raw)
    assert b"Content-ID" not in composed.raw
    msg = parse(composed.raw)
    assert 'src="cid:logo"' in text_of(msg, "html")
    files = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    assert files == {"devis D2026-0042.pdf": PDF, "logo.png": PNG}


def test_unreferenced_image_is_attached_and_missing_one_noted():
    html = '<img src="cid:logo"><img src="cid:ghost">'
    composed = compose(spec(html=html, inline_images={"logo": PNG, "sign.png": PNG}), make_settings())
    msg = parse(composed.raw)
    assert "sign.png" in [a.get_filename() for a in msg.iter_attachments()]
    assert any("cid:ghost" in n for n in composed.notes)


def test_bad_cid_name_is_refused():
    with pytest.raises(ComposeError, match="Content-ID"):
        compose(spec(html=HTML, inline_images={"lo go>": PNG}), make_settings())


# --- To headers ----------------------------------------------------------------------------

RECIPIENTS = ["Jean <jean@client.fr>", "compta@client.fr", "Łukasz <lw@client.pl>"]


def test_one_folded_to_header_by_default():
    composed = compose(spec(to=RECIPIENTS), make_settings())
    head = header_block(composed.raw)
    assert head.count(b"\r\nTo: ") == 1
    assert b"To: Jean <jean@client.fr>,\r\n compta@client.fr,\r\n =?utf-8?" in head
    assert [a.addr_spec for a in parse(composed.raw)["To"].addresses] == ["jean@client.fr", "compta@client.fr", "lw@client.pl"]


def test_one_to_header_per_recipient():
    composed = compose(spec(to=RECIPIENTS), make_settings(one_to_per_recipient=True))
    head = header_block(composed.raw)
    assert head.count(b"\r\nTo: ") == 3
    assert b"To: Jean <jean@client.fr>\r\nTo: compta@client.fr\r\nTo: " in head
    msg = parse(composed.raw)
    assert [str(h) for h in msg.get_all("To")][:2] == ["Jean <jean@client.fr>", "compta@client.fr"]
    assert text_of(msg, "plain").startswith("Bonjour")
    assert composed.message.get_all("To") is not None and len(composed.message.get_all("To")) == 3


# --- subject folding -----------------------------------------------------------------------

LONG_ASCII = "Votre devis D2026-0042 du 27/11/2026 pour la fourniture et la pose de menuiseries aluminium, lot 3"
LONG_ACCENTS = "Votre devis D2026-0042 du 27/11/2026 — fourniture et pose de menuiseries, réf. « été » 1 250,00 €"


def subject_lines(raw: bytes) -> list[bytes]:
    head = header_block(raw).split(b"\r\n")
    start = next(i for i, line in enumerate(head) if line.startswith(b"Subject:"))
    lines = [head[start]]
    for line in head[start + 1 :]:
        if not line[:1].isspace():
            break
        lines.append(line)
    return lines


@pytest.mark.parametrize("subject", [LONG_ASCII, LONG_ACCENTS])
def test_subject_folded_beyond_78_when_asked(subject):
    composed = compose(spec(subject=subject), make_settings(fold_subject=True))
    lines = subject_lines(composed.raw)
    assert len(lines) > 1 and all(len(line) <= 78 for line in lines)
    assert parse(composed.raw)["Subject"] == subject


@pytest.mark.parametrize("subject", [LONG_ASCII, LONG_ACCENTS])
def test_subject_kept_on_one_line_by_default(subject):
    composed = compose(spec(subject=subject), make_settings(fold_subject=False))
    [line] = subject_lines(composed.raw)
    assert len(line) > 78
    assert parse(composed.raw)["Subject"] == subject


def test_encoded_words_stay_within_75_characters():
    composed = compose(spec(subject="Żółć " * 40), make_settings())
    words = re.findall(rb"=\?utf-8\?[bq]\?[^?]*\?=", header_block(composed.raw))
    assert words and all(len(w) <= 75 for w in words)
    assert parse(composed.raw)["Subject"] == ("Żółć " * 40).strip()


def test_subject_looking_like_an_encoded_word_is_kept_literally():
    composed = compose(spec(subject="=?utf-8?q?hello?= world"), make_settings())
    assert parse(composed.raw)["Subject"] == "=?utf-8?q?hello?= world"


def test_very_long_subject_is_folded_even_when_not_asked():
    header = encode_unstructured("Subject", "mot " * 400, fold=False)
    assert all(len(line) <= 998 for line in header.split("\r\n"))
    assert len(header.split("\r\n")) > 2


# --- omit closing boundaries ---------------------------------------------------------------


def closing_delimiters(raw: bytes) -> dict[str, int]:
    found: dict[str, int] = {}
    for boundary in re.findall(rb'boundary="([^"]+)"', raw):
        kind = boundary.decode()[2:5]
        found[kind] = raw.count(b"\r\n--" + boundary + b"--\r\n")
    return found


def test_closing_boundaries_present_by_default():
    composed = compose(spec(html=HTML, inline_images={"logo": PNG}), make_settings())
    assert closing_delimiters(composed.raw) == {"mix": 1, "alt": 1, "rel": 1}


def test_omit_closing_boundaries_keeps_the_mixed_one_and_parses_back():
    composed = compose(spec(html=HTML, inline_images={"logo": PNG}), make_settings(omit_closing_boundaries=True, base64_body=False))
    assert closing_delimiters(composed.raw) == {"mix": 1, "alt": 0, "rel": 0}
    assert_wellformed(composed.raw)
    msg = parse(composed.raw)
    assert text_of(msg, "plain").startswith("Bonjour,\n\nVeuillez")
    assert text_of(msg, "html") == HTML + "\n"
    assert next(p for p in msg.walk() if p.get_content_type() == "image/png").get_content() == PNG
    assert [a.get_content() for a in msg.iter_attachments()] == [PDF]


def test_omit_closing_boundaries_without_attachment():
    composed = compose(spec(html="<p>x</p>", attachments=[]), make_settings(omit_closing_boundaries=True))
    assert closing_delimiters(composed.raw) == {"alt": 0}
    msg = parse(composed.raw)
    assert text_of(msg, "html") == "<p>x</p>" and text_of(msg, "plain").startswith("Bonjour")


# --- attachments ---------------------------------------------------------------------------


def test_non_ascii_attachment_name_round_trips():
    composed = compose(spec(attachments=[Attachment("relevé « été ».pdf", PDF, "application/pdf")]), make_settings())
    [att] = list(parse(composed.raw).iter_attachments())
    assert att.get_filename() == "relevé « été ».pdf" and att.get_content() == PDF


def test_long_non_ascii_attachment_name_is_continued_and_round_trips():
    name = "Relevé de compte « été » – Société Générale d'Électricité " * 4 + ".pdf"
    composed = compose(spec(attachments=[Attachment(name, PDF, "application/pdf")]), make_settings())
    assert_wellformed(composed.raw)
    assert b"filename*0*=utf-8''" in composed.raw and b"filename*3*=" in composed.raw
    [att] = list(parse(composed.raw).iter_attachments())
    assert att.get_filename() == name and att.get_content() == PDF


def test_too_long_attachment_name_is_refused():
    with pytest.raises(ComposeError, match="longer than 255"):
        compose(spec(attachments=[Attachment("x" * 300 + ".pdf", PDF)]), make_settings())


def test_several_attachments_and_text_attachment():
    atts = [Attachment("a.pdf", PDF, "application/pdf"), Attachment("note.txt", "é\r\n".encode("cp1252"), "text/plain")]
    composed = compose(spec(attachments=atts), make_settings())
    files = [(a.get_filename(), a.get_payload(decode=True)) for a in parse(composed.raw).iter_attachments()]
    assert files == [("a.pdf", PDF), ("note.txt", "é\r\n".encode("cp1252"))]


def test_bad_mimetype_is_refused():
    with pytest.raises(ComposeError, match="type/subtype"):
        compose(spec(attachments=[Attachment("a.pdf", PDF, "pdf")]), make_settings())


def test_message_attachment_is_sent_as_octet_stream():
    composed = compose(spec(attachments=[Attachment("old.eml", b"Subject: x\r\n\r\nhi\r\n", "message/rfc822")]), make_settings())
    [att] = list(parse(composed.raw).iter_attachments())
    assert att.get_content_type() == "application/octet-stream"
    assert att.get_content() == b"Subject: x\r\n\r\nhi\r\n"
    assert composed.notes


# --- errors: sender, recipients, injection, malformed addresses ----------------------------


def test_no_sender_configured():
    s = make_settings()
    s.service.from_identity = ""
    with pytest.raises(ComposeError, match=r"From identity.*service\.from_identity"):
        compose(spec(), s)
    s.functions.send_direct = True
    with pytest.raises(ComposeError, match=r"functions\.from_identity"):
        compose(spec(), s)


def test_sender_from_functions_when_direct():
    s = make_settings()
    s.functions.send_direct = True
    s.functions.from_identity = "direct@dupont.fr"
    assert compose(spec(), s).envelope.sender == "direct@dupont.fr"


def test_no_recipient():
    with pytest.raises(ComposeError, match="no recipient"):
        compose(spec(to=[]), make_settings())


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Devis\r\nBcc: victim@example.com"),
        ("subject", "Devis\nX-Evil: 1"),
        ("subject", "Devis\rX"),
        ("subject", "Devis\x00"),
        ("subject", "Devis\u2028x"),
        ("document_id", "devis\r\nBcc: a@b.fr"),
        ("sender", "ventes@dupont.fr\r\nBcc: a@b.fr"),
        ("reply_to", "a@b.fr\nBcc: c@d.fr"),
        ("to", ["jean@client.fr\r\nBcc: victim@example.com"]),
        ("cc", ["Jean\r\n <j@x.fr>"]),
        ("attachments", [Attachment("a.pdf\r\nContent-Type: text/html", PDF)]),
    ],
)
def test_header_injection_is_refused(field, value):
    with pytest.raises(ComposeError, match="line break|control character|not a valid"):
        compose(spec(**{field: value}), make_settings())


@pytest.mark.parametrize(
    "address",
    [
        "jean dupont@client.fr",
        "jean@@client.fr",
        "jean@cli@ent.fr",
        "jean.client.fr",
        "jean@",
        "@client.fr",
        "jean@client..fr",
        "jean@-client.fr",
        ".jean@client.fr",
        "jean.@client.fr",
        "jé@client.fr",
        '"jean dupont"@client.fr',
        "jean@client.fr, paul@client.fr",
        "Jean <jean@client.fr",
        "Jean <<jean@client.fr>>",
        "jean@client.fr (Jean)",
        "",
    ],
)
def test_malformed_addresses_are_refused(address):
    with pytest.raises(ComposeError, match="not a valid e-mail address|empty"):
        compose(spec(to=[address]), make_settings())


def test_several_addresses_in_one_field_say_so():
    with pytest.raises(ComposeError, match="several addresses: give one address at a time"):
        compose(spec(to=["jean@client.fr, paul@client.fr"]), make_settings())


def test_malformed_from_identity_names_the_field():
    s = make_settings()
    s.service.from_identity = "Ventes Dupont"
    with pytest.raises(ComposeError, match="From address 'Ventes Dupont' is not a valid"):
        compose(spec(), s)


# --- property: what goes in comes back out -------------------------------------------------

_header_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"), max_size=200
).map(str.strip)
_body_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=_header_text, body=_body_text, fold=st.booleans(), base64_body=st.booleans(), omit=st.booleans())
def test_subject_and_body_survive_the_round_trip(subject, body, fold, base64_body, omit):
    s = make_settings(fold_subject=fold, base64_body=base64_body, omit_closing_boundaries=omit)
    composed = compose(MailSpec(to=["a@x.fr"], subject=subject, body=body, html="<p>h</p>", attachments=[Attachment("a.bin", b"\x00\xff")]), s)
    assert_wellformed(composed.raw)
    msg = parse(composed.raw)
    assert str(msg["Subject"]) == subject
    got = msg.get_body(("plain",)).get_content()
    expected = re.sub(r"\r\n|\r|\n", "\r\n", body)
    assert got in (expected, expected + "\r\n")
    assert [a.get_content() for a in msg.iter_attachments()] == [b"\x00\xff"]


@given(st.binary(max_size=400))
def test_base64_lines_are_those_of_encodebytes_with_crlf(data):
    import base64

    from viewer.mail.compose import _b64

    assert _b64(data) == base64.encodebytes(data).replace(b"\n", b"\r\n")


def test_the_date_and_message_id_are_shaped_as_email_utils_makes_them(monkeypatch):
    import email.utils
    import re
    import time

    from viewer.mail.compose import format_date, make_msgid

    for zone in ("Europe/Paris", "America/St_Johns", "UTC", "Asia/Kolkata"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        for when in (0, 1_700_000_000.75, 1_719_835_199, 2_000_000_000):  # winter, summer, a leap year's day
            assert format_date(when) == email.utils.formatdate(when, localtime=True)
    monkeypatch.delenv("TZ")
    time.tzset()
    assert email.utils.parsedate_to_datetime(format_date()).tzinfo is not None
    ours, theirs = make_msgid("example.com"), email.utils.make_msgid(domain="example.com")
    shape = re.compile(r"<\d+\.\d+\.\d+@example\.com>")
    assert shape.fullmatch(ours) and shape.fullmatch(theirs)
    assert make_msgid("example.com") != ours
