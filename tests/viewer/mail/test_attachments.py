"""Tests for viewer.mail.attachments: PDF or spool per mail/fax/fax2 switch, protection per policy."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pymupdf
import pytest

from formats import open_document
from formats.document import DocumentError
from viewer.mail.attachments import AttachmentError, document_attachment, protection_for
from viewer.mail.compose import MailSpec, compose
from viewer.settings import Settings

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
TEXT_SPOOL = SAMPLES / "releve-CLI003.txt"
QUOTE = SAMPLES / "devis-D2026-0042.spv"


@pytest.fixture
def settings() -> Settings:
    s = Settings()
    s.service.from_identity = "ventes@dupont.fr"
    s.pdf.protection = "none"
    s.pdf.password_policy = "no"
    return s


@pytest.fixture
def report():
    with open_document(TEXT_SPOOL) as doc:
        yield doc


def pdf_state(data: bytes, password: str = "") -> tuple[bool, bool, int]:
    """(needs a password, opened, page count) of a PDF."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        needs = bool(doc.needs_pass)
        opened = not needs or bool(doc.authenticate(password))
        return needs, opened, doc.page_count if opened else 0
    finally:
        doc.close()


def is_encrypted(data: bytes) -> bool:
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        return bool((doc.metadata or {}).get("encryption"))
    finally:
        doc.close()


def test_converted_to_pdf_by_default(settings, report):
    att = document_attachment(report, settings)
    assert att.filename == "releve-CLI003.pdf" and att.mimetype == "application/pdf"
    assert att.data.startswith(b"%PDF")
    assert pdf_state(att.data) == (False, True, report.page_count)
    assert not is_encrypted(att.data)


@pytest.mark.parametrize(
    "address_type, switch",
    [("EMAIL", "convert_mail"), ("EMAIL2", "convert_mail"), ("FAX", "convert_fax"), ("fax2", "convert_fax2")],
)
def test_switch_off_attaches_the_spool_itself(settings, report, address_type, switch):
    setattr(settings.pdf, switch, False)
    att = document_attachment(report, settings, address_type)
    assert att.filename == "releve-CLI003.txt" and att.mimetype == "text/plain"
    assert att.data == TEXT_SPOOL.read_bytes()


def test_each_switch_only_concerns_its_type(settings, report):
    settings.pdf.convert_fax = False
    assert document_attachment(report, settings, "EMAIL").mimetype == "application/pdf"
    assert document_attachment(report, settings, "FAX2").mimetype == "application/pdf"
    assert document_attachment(report, settings, "FAX").mimetype == "text/plain"


def test_native_spool_itself(settings):
    settings.pdf.convert_mail = False
    with open_document(QUOTE) as doc:
        att = document_attachment(doc, settings)
    assert (att.filename, att.mimetype, att.data) == ("devis-D2026-0042.spv", "application/octet-stream", QUOTE.read_bytes())


def test_quote_converted_and_protected_no_modify(settings):
    settings.pdf.protection = "no-modify"
    with open_document(QUOTE) as doc:
        att = document_attachment(doc, settings)
    assert att.filename == "devis-D2026-0042.pdf"
    assert pdf_state(att.data)[:2] == (False, True)  # opens without a password
    assert is_encrypted(att.data)  # but carries owner restrictions


def test_policy_yes_needs_and_applies_a_password(settings, report):
    settings.pdf.password_policy = "yes"
    with pytest.raises(AttachmentError, match="password is needed"):
        document_attachment(report, settings)
    att = document_attachment(report, settings, password="s3cret")
    assert pdf_state(att.data, "wrong") == (True, False, 0)
    assert pdf_state(att.data, "s3cret")[1]


def test_policy_ask_requires_an_answer(settings, report):
    settings.pdf.password_policy = "ask"
    with pytest.raises(AttachmentError, match="'ask'.*protect=True or protect=False"):
        document_attachment(report, settings)


def test_policy_ask_answered(settings, report):
    settings.pdf.password_policy = "ask"
    settings.pdf.protection = "no-modify"
    declined = document_attachment(report, settings, protect=False)
    assert pdf_state(declined.data)[:2] == (False, True) and is_encrypted(declined.data)
    accepted = document_attachment(report, settings, protect=True, password="pw")
    assert pdf_state(accepted.data, "pw") == (True, True, report.page_count)
    with pytest.raises(AttachmentError, match="password is needed"):
        document_attachment(report, settings, protect=True)


def test_policy_ask_answered_with_a_mode_name(settings):
    settings.pdf.password_policy = "ask"
    assert protection_for(settings, "password", "pw").mode == "password"
    assert protection_for(settings, "none").mode == "none"
    assert protection_for(settings, "no-modify").mode == "no-modify"
    with pytest.raises(AttachmentError, match="unknown PDF protection 'secret'"):
        protection_for(settings, "secret")


def test_policy_no_with_password_mode(settings):
    settings.pdf.protection = "password"
    with pytest.raises(AttachmentError, match="password is needed"):
        protection_for(settings)
    assert protection_for(settings, password="pw").mode == "password"
    settings.pdf.password_policy = "ask"
    assert protection_for(settings, protect=False).mode == "no-modify"  # declined: still not editable


def test_protection_is_ignored_when_the_spool_itself_is_sent(settings, report):
    settings.pdf.password_policy = "ask"
    settings.pdf.convert_mail = False
    assert document_attachment(report, settings).data == TEXT_SPOOL.read_bytes()


def test_password_never_appears_in_errors(settings, report):
    settings.pdf.password_policy = "yes"
    with pytest.raises(DocumentError) as info:
        document_attachment(report, settings, password="x" * 60 + "TOPSECRET")
    assert "TOPSECRET" not in str(info.value)


@pytest.mark.parametrize(
    "field, value, message",
    [("protection", "cadenas", r"pdf\.protection"), ("password_policy", "maybe", r"pdf\.password_policy")],
)
def test_bad_settings_are_named(settings, report, field, value, message):
    setattr(settings.pdf, field, value)
    with pytest.raises(AttachmentError, match=message):
        document_attachment(report, settings)


def test_unknown_address_type(settings, report):
    with pytest.raises(AttachmentError, match="unknown address type 'TELEX'"):
        document_attachment(report, settings, "TELEX")


def test_missing_spool_file(settings, tmp_path):
    copy = tmp_path / "releve.txt"
    copy.write_bytes(TEXT_SPOOL.read_bytes())
    settings.pdf.convert_mail = False
    with open_document(copy) as doc:
        copy.unlink()
        with pytest.raises(AttachmentError, match="cannot read .*releve.txt"):
            document_attachment(doc, settings)


def test_attachment_travels_intact_in_a_composed_message(settings, report):
    att = document_attachment(report, settings)
    composed = compose(MailSpec(to=["a@client.fr"], subject="Relevé", body="Bonjour", attachments=[att]), settings)
    [got] = list(BytesParser(policy=policy.default).parsebytes(composed.raw).iter_attachments())
    assert (got.get_filename(), got.get_content_type(), got.get_content()) == (att.filename, "application/pdf", att.data)


def test_pdfa_setting_applies_to_unprotected_attachments_only(settings):
    settings.pdf.pdfa = True
    settings.pdf.protection = "none"
    with open_document(QUOTE) as doc:
        att = document_attachment(doc, settings)
        assert "<pdfaid:part>2</pdfaid:part>" in pymupdf.open(stream=att.data, filetype="pdf").get_xml_metadata()
        settings.pdf.protection = "no-modify"  # PDF/A forbids encryption: protected, not declared PDF/A
        att = document_attachment(doc, settings)
    assert is_encrypted(att.data)
    assert "<pdfaid:part>" not in pymupdf.open(stream=att.data, filetype="pdf").get_xml_metadata()
