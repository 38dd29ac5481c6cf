"""Drafts, attachments, reports and the worker task of the mail windows (no Tk needed)."""

from __future__ import annotations

import pytest

from viewer.errors import SpoolviewError
from viewer.gui.mailui.model import (
    AttachmentItem,
    BackgroundTask,
    Draft,
    SendReport,
    error_text,
    html_to_text,
    mailbox,
    split_addresses,
    text_to_html,
)

pytestmark = pytest.mark.gui


def test_html_round_trip_keeps_text_and_escapes():
    text = "Bonjour Élodie,\n\nPrix < 100 € & TVA.\nLigne 2\n"
    source = text_to_html(text)
    assert "&lt; 100 € &amp; TVA.<br>" in source
    assert html_to_text(source) == text


def test_split_addresses():
    assert split_addresses("a@x.example; B <b@x.example>, ,") == ["a@x.example", "B <b@x.example>"]
    assert split_addresses('"Dupont, Fils" <d@x.example>; c@x.example') == ['"Dupont, Fils" <d@x.example>', "c@x.example"]


def test_mailbox_quotes_names_with_separators():
    assert mailbox("Élodie Marchand", "e@x.example") == "Élodie Marchand <e@x.example>"
    assert mailbox("Dupont, Fils", "d@x.example") == '"Dupont, Fils" <d@x.example>'
    assert mailbox("", "d@x.example") == "d@x.example"
    assert split_addresses(mailbox('Say "hi"; now', "s@x.example")) == ['"Say hi; now" <s@x.example>']


def test_background_task_result_and_error():
    ok = BackgroundTask(lambda a, b: a + b, 2, 3)
    assert ok.wait() and ok.result == 5 and ok.error is None

    def boom():
        raise SpoolviewError("cannot do it: fix the thing")

    bad = BackgroundTask(boom)
    assert bad.wait() and isinstance(bad.error, SpoolviewError)


def test_error_text_never_a_traceback():
    assert error_text(SpoolviewError("what and what to do")) == "what and what to do"
    assert "missing.pdf" in error_text(FileNotFoundError(2, "No such file", "missing.pdf"))
    text = error_text(ZeroDivisionError("division by zero"))
    assert "Traceback" not in text and "ZeroDivisionError" in text


def test_attachment_from_a_file(tmp_path):
    path = tmp_path / "cgv.pdf"
    path.write_bytes(b"%PDF-1.4 x")
    item = AttachmentItem.from_path(path)
    assert (item.filename, item.mimetype, item.size) == ("cgv.pdf", "application/pdf", 10)
    with pytest.raises(SpoolviewError, match="absent.pdf"):
        AttachmentItem.from_path(tmp_path / "absent.pdf")


def test_draft_recipients_and_report_text():
    draft = Draft(to="a@example.com; B <b@example.com>", bcc="c@example.com")
    assert draft.recipients() == ["a@example.com", "B <b@example.com>", "c@example.com"]
    report = SendReport(ok=False, error="server down", lines=["a@example.com: NOT sent"])
    assert report.text == "server down\na@example.com: NOT sent"


def test_text_to_rtf_escapes_and_keeps_accents():
    from viewer.gui.mailui.model import text_to_rtf

    rtf = text_to_rtf("Bonjour Élodie,\n\n{devis} C:\\dossier\t😀\n")
    assert rtf.startswith("{\\rtf1\\ansi") and rtf.rstrip().endswith("}")
    assert rtf.isascii()
    assert "Bonjour \\u201?lodie,\\par" in rtf
    assert "\\{devis\\} C:\\\\dossier\\tab " in rtf
    assert "\\u-10179?\\u-8704?" in rtf  # a surrogate pair: two signed UTF-16 units
    assert rtf.count("{") - rtf.count("\\{") == rtf.count("}") - rtf.count("\\}")  # groups balanced


def test_an_unknown_outcome_has_its_own_sentence_not_server_unavailable():
    import json
    from pathlib import Path

    from viewer import connection as conn
    from viewer.gui.mailui.model import error_kind
    from viewer.mail.routes.base import OutcomeUnknown

    try:
        try:
            raise conn.ServerUnavailable("the connection to http://127.0.0.1:1 was lost")
        except conn.ServerUnavailable:
            raise OutcomeUnknown("answer lost", key="k1") from None
    except OutcomeUnknown as exc:
        assert error_kind(exc) == "unknown"
    locale = Path(conn.__file__).parent / "gui" / "locale"
    for lang in ("fr", "en"):
        text = json.loads((locale / f"mail.{lang}.json").read_text(encoding="utf-8"))["mail.error.kind.unknown"]
        assert "connection --history" in text
