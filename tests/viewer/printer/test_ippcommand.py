"""The per-job command of ippeveprinter: the job's file, title and user into the folder, as the CUPS backend does."""

from __future__ import annotations

import json

import pytest

from viewer.printer import ippcommand


def test_job_written_with_its_ipp_title_and_user(tmp_path, monkeypatch, capsys):
    spooled = tmp_path / "spool-1.ps"
    spooled.write_bytes(b"%!PS-Adobe-3.0\nshowpage\n")
    monkeypatch.setenv(ippcommand.FOLDER_ENV, str(tmp_path / "printed"))
    monkeypatch.setenv("IPP_JOB_ID", "12")
    monkeypatch.setenv("IPP_JOB_NAME", "../Facture F2026-0107")
    monkeypatch.setenv("IPP_JOB_ORIGINATING_USER_NAME", "paul")
    assert ippcommand.main(["job-command", str(spooled)]) == 0
    job = tmp_path / "printed" / "Facture F2026-0107-job12.ps"
    assert job.read_bytes() == spooled.read_bytes()
    meta = json.loads((tmp_path / "printed" / "Facture F2026-0107-job12.meta.json").read_text(encoding="utf-8"))
    assert (meta["title"], meta["owner"]) == ("../Facture F2026-0107", "paul")
    assert "INFO: job 12 of paul saved as" in capsys.readouterr().err


def test_untitled_job_of_nobody(tmp_path, monkeypatch):
    spooled = tmp_path / "spool"
    spooled.write_bytes(b"%PDF-1.4\n")
    monkeypatch.setenv(ippcommand.FOLDER_ENV, str(tmp_path / "printed"))
    for name in ("IPP_JOB_ID", "IPP_JOB_NAME", "IPP_JOB_ORIGINATING_USER_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert ippcommand.main(["job-command", str(spooled)]) == 0
    meta = json.loads((tmp_path / "printed" / "Untitled-job0.meta.json").read_text(encoding="utf-8"))
    assert meta["owner"] == "anonymous"


def test_errors_go_to_the_job_state(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ippcommand.FOLDER_ENV, raising=False)
    assert ippcommand.main(["job-command", str(tmp_path / "x")]) == 1
    assert f"ERROR: {ippcommand.FOLDER_ENV} is not set" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(ippcommand.FOLDER_ENV, str(blocker / "sub"))
    spooled = tmp_path / "spool"
    spooled.write_bytes(b"%PDF-1.4\n")
    monkeypatch.setenv("IPP_JOB_ID", "3")
    assert ippcommand.main(["job-command", str(spooled)]) == 1
    assert "ERROR: cannot write job 3 into" in capsys.readouterr().err
    assert ippcommand.main(["job-command"]) == 1


@pytest.mark.parametrize(("value", "text"), [
    (r'Devis n° 42 — \"Dupré\", a\\b', r'Devis n° 42 — "Dupré", a\b'),
    (r"plan \[v2]", "plan [v2]"),
    ("rapport[fr]", "rapport"),  # a nameWithLanguage
    ("", ""),
])
def test_ipp_text_undoes_ippeveprinter_s_escapes(value, text):
    assert ippcommand.ipp_text(value) == text


def test_data_that_is_neither_pdf_nor_postscript_is_refused(tmp_path, monkeypatch, capsys):
    spooled = tmp_path / "spool"
    spooled.write_bytes(b"\x1bE\x1b&l0O PCL from a Windows driver")
    monkeypatch.setenv(ippcommand.FOLDER_ENV, str(tmp_path / "printed"))
    monkeypatch.setenv("IPP_JOB_ID", "4")
    assert ippcommand.main(["job-command", str(spooled)]) == 1
    assert "ERROR: job 4 is neither PDF nor PostScript" in capsys.readouterr().err
    assert not (tmp_path / "printed").exists()
