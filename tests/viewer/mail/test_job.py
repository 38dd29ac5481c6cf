"""The send job: prepare a draft from a document, guard it, send it, send many."""

from __future__ import annotations

import email
import shutil
from email import policy
from pathlib import Path

import pytest

from formats import open_document
from tests.viewer.server.live import LiveServer, smtp_config
from viewer import paths
from viewer import settings as S
from viewer.connection import Connection
from viewer.mail import job
from viewer.mail.history import History
from viewer.mail.lookup import LOCAL, LOCAL_FALLBACK
from viewer.settings import ConnectionProfile

ROOT = Path(__file__).resolve().parents[3]
QUOTE = ROOT / "samples" / "devis-D2026-0042.spv"
ELODIE = "Élodie Marchand <elodie.marchand@atelier-dupre.example>"
HEBERT = "f.hebert@menuiserie.example"  # a contact of CLI003, not of the quote's CLI001


@pytest.fixture
def settings() -> S.Settings:
    s = S.load()
    s.service.from_identity = "Ventes <ventes@example.com>"
    from viewer.directory import open_directory

    with open_directory(s) as directory:
        directory.import_csv(ROOT / "samples" / "customers.csv", ROOT / "samples" / "contacts.csv")
    return s


def pickup_messages() -> list[email.message.EmailMessage]:
    folder = paths.data_dir() / "pickup"
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def test_prepare_looks_up_converts_and_keys_the_document(settings):
    draft = job.prepare(open_document(QUOTE), settings)
    assert draft.to == [ELODIE]
    assert draft.document_key == "devis D2026-0042"
    assert draft.document_customer == "CLI001" and draft.customer_name == "Atelier Dupré SARL"
    assert draft.directory == LOCAL and draft.lookup is not None and draft.lookup.source == "contact"
    [attachment] = draft.attachments
    assert attachment.filename == "devis-D2026-0042.pdf" and attachment.data.startswith(b"%PDF")
    assert "D2026-0042" in draft.subject


def test_send_writes_the_document_key_never_a_path(settings, tmp_path):
    copy = tmp_path / "spools" / "deep" / "rapport.spv"
    copy.parent.mkdir(parents=True)
    shutil.copy(QUOTE, copy)
    document = open_document(copy.resolve())
    document.info.number = ""  # a document without a number: its file name only
    draft = job.prepare(document, settings, to=["client@example.org"])
    assert draft.document_key == "rapport.spv"
    draft.subject = "Rapport"  # the template's date would hold a '/'
    outcome = job.send(draft)
    assert outcome.ok, outcome.summary_lines()
    [message] = pickup_messages()
    assert message["X-Spoolview-Document"] == "rapport.spv"
    for part in message.walk():
        for name, value in part.items():
            if name.lower() != "content-type":  # text/plain, application/pdf
                assert "/" not in value, (name, value)
    assert [e.document for e in History().recent()] == ["rapport.spv"]


def test_already_sent_is_found_by_document_key(settings):
    draft = job.prepare(open_document(QUOTE), settings)
    assert job.check(draft).already_sent == []
    assert job.send(draft).ok
    again = job.prepare(open_document(QUOTE), settings)
    [entry] = job.check(again).already_sent
    assert entry.document == "devis D2026-0042" and entry.recipient == "elodie.marchand@atelier-dupre.example"


def test_customer_mismatch_is_refused_unless_forced(settings):
    draft = job.prepare(open_document(QUOTE), settings, to=[HEBERT])
    [mismatch] = job.check(draft).mismatches
    assert (mismatch.document_customer, mismatch.recipient_customer) == ("CLI001", "CLI003")
    assert "Atelier Dupré SARL" in mismatch.text and "Société Générale de Menuiserie" in mismatch.text
    with pytest.raises(job.CustomerMismatch, match="CLI003 .Société Générale de Menuiserie.*CLI001 .Atelier Dupré SARL"):
        job.send(draft)
    assert pickup_messages() == []
    assert job.send(draft, force=True).ok
    assert len(pickup_messages()) == 1


def test_unknown_address_or_same_customer_is_no_mismatch(settings):
    document = open_document(QUOTE)
    assert job.check(job.prepare(document, settings, to=["someone@elsewhere.example"])).mismatches == []
    assert job.check(job.prepare(document, settings, to=["jean.lefevre@atelier-dupre.example"])).mismatches == []


def test_prepare_notes_a_local_directory_after_the_server_went(settings, tmp_path, smtpd):
    live = LiveServer(smtp_config(tmp_path / "srv", smtpd), users={"alice": "alice-pw"}).start()
    connection = Connection(ConnectionProfile(name="office", url=live.url, user="alice"))
    connection.connect("alice-pw")
    live.stop()
    draft = job.prepare(open_document(QUOTE), settings, connection)
    assert draft.to == [ELODIE]
    assert draft.directory == LOCAL_FALLBACK and "cannot reach" in draft.directory_problem


def test_no_directory_leaves_to_empty_and_says_why(settings, tmp_path):
    (tmp_path / "missing").write_text("a file where a folder should be")
    settings.directory.database_url = f"sqlite:///{tmp_path / 'missing' / 'dir.sqlite'}"
    draft = job.prepare(open_document(QUOTE), settings)
    assert draft.to == [] and "local directory does not answer" in draft.lookup_error


def test_send_many_reports_each_job_and_goes_on_after_a_bad_one(settings):
    document = open_document(QUOTE)
    drafts = [job.prepare(document, settings, to=[f"c{i}@example.org"], look_up=False) for i in range(3)]
    drafts[1].to = [HEBERT]  # another customer's contact: refused, the batch goes on
    seen = list(job.send_many(drafts))
    assert [(p.index, p.total) for p in seen] == [(0, 3), (1, 3), (2, 3)]
    assert [p.ok for p in seen] == [True, False, True]
    assert isinstance(seen[1].error, job.CustomerMismatch)
    assert len(pickup_messages()) == 2


def test_a_draft_composes_to_the_same_bytes_twice(settings):
    settings.pdf.protection = "none"  # encryption draws a random key each time
    document = open_document(QUOTE)
    one = job.compose_draft(job.prepare(document, settings)).raw
    two = job.compose_draft(job.prepare(document, settings)).raw
    assert stable(one) == stable(two)


def stable(raw: bytes) -> bytes:
    """``raw`` without what differs between two sends of the same draft: Date, Message-ID, MIME
    boundaries, and inside the PDF its creation dates, XMP ids and trailer /ID."""
    import base64
    import re

    raw = re.sub(rb"(?m)^(Date|Message-ID): .*\r\n", b"", raw)
    boundaries = set(re.findall(rb'boundary="([^"]+)"', raw))
    for i, boundary in enumerate(sorted(boundaries)):
        raw = raw.replace(boundary, b"BOUNDARY%d" % i)

    def pdf(match: re.Match[bytes]) -> bytes:
        data = base64.b64decode(match.group(2))
        data = re.sub(rb"/ID\s*\[<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\]", b"", data)
        data = re.sub(rb"D:\d{14}[+\-Z][0-9']*", b"D:X", data)
        data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+\-]\d\d:\d\d|Z)?", b"T", data)
        return match.group(1) + re.sub(rb"uuid:[0-9a-fA-F-]+", b"uuid:X", data)

    return re.sub(rb"(Content-Type: application/pdf.*?\r\n\r\n)([A-Za-z0-9+/=\r\n]+)", pdf, raw, flags=re.S)
