"""`spoolview report`: the send history as lines or CSV, from a date."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from viewer import settings as S
from viewer.cli import main
from viewer.commands.report import parse_since
from viewer.errors import SpoolviewError
from viewer.mail.history import History

QUOTE = Path(__file__).resolve().parents[2] / "samples" / "devis-D2026-0042.spv"


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def seed() -> None:
    history = History()
    try:
        history.record("facture F1", [("a@example.org", "accepted", "250 OK")], route="SMTP mail.example.org", when=datetime(2026, 1, 2, 9, 30))
        history.record("facture F2", [("b@example.org", "refused", "550 no such user")], route="SMTP mail.example.org", when=datetime(2026, 1, 3, 10, 0))
    finally:
        history.close()


def test_report_since_a_date_lists_document_recipient_route_outcome_time(capsys):
    seed()
    code, out, err = run(capsys, "report", "--since", "2026-01-03")
    assert code == 0, err
    assert out.splitlines() == [
        "2026-01-03 10:00:00  facture F2 -> b@example.org: refused by SMTP mail.example.org (550 no such user)",
        "1 recipient line since 2026-01-03 00:00: 1 refused",
    ]
    code, out, err = run(capsys, "report", "--since", "all")
    assert out.splitlines()[0].startswith("2026-01-02 09:30:00  facture F1 -> a@example.org: accepted")
    assert out.splitlines()[-1] == "2 recipient lines the whole history: 1 accepted, 1 refused"


def test_report_csv(capsys):
    seed()
    code, out, err = run(capsys, "report", "--since", "2026-01-01", "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["document"], r["recipient"], r["route"], r["outcome"], r["time"]) for r in rows] == [
        ("facture F1", "a@example.org", "SMTP mail.example.org", "accepted", "2026-01-02 09:30:00"),
        ("facture F2", "b@example.org", "SMTP mail.example.org", "refused", "2026-01-03 10:00:00"),
    ]


def test_report_of_today_after_a_real_send(capsys):
    seed()  # older sends are not today's
    settings = S.load()
    settings.service.from_identity = "Agent <agent@example.com>"
    S.save(settings)
    assert run(capsys, "send", QUOTE, "--to", "client@example.org")[0] == 0
    code, out, err = run(capsys, "report")
    assert code == 0, err
    [line, summary] = out.splitlines()
    assert "devis D2026-0042 -> client@example.org: accepted by pickup folder" in line
    assert summary.endswith(": 1 accepted")


def test_empty_history_and_bad_date(capsys):
    code, out, err = run(capsys, "report")
    assert code == 0 and "0 recipient lines since" in out and "no send" in out
    code, out, err = run(capsys, "report", "--since", "yesterday")
    assert code == 1 and "--since 'yesterday' is not a date: write it as YYYY-MM-DD" in err and "Traceback" not in err


def test_parse_since():
    now = datetime(2026, 5, 6, 17, 45)
    assert parse_since(None, now) == datetime(2026, 5, 6)
    assert parse_since("all") is None
    assert parse_since("2026-05-01T08:15") == datetime(2026, 5, 1, 8, 15)
    assert parse_since("2026-05-01") + timedelta(days=1) == datetime(2026, 5, 2)
    with pytest.raises(SpoolviewError):
        parse_since("05/01/2026")


# -- the lines in the interface language; the CSV is the same in every language -------------------


def _language(value: str) -> None:
    settings = S.load()
    settings.printing.language = value
    S.save(settings)


def test_report_lines_in_french_and_the_csv_unchanged(capsys, monkeypatch):
    seed()
    history = History()
    try:
        history.record("devis D3", [("c@example.org", "accepted", "queued in the pickup folder")], route="pickup folder /srv/pickup",
                       when=datetime(2026, 1, 4, 8, 0))
        history.record("devis D4", [("d@example.org", "failed", "")], route="", when=datetime(2026, 1, 4, 8, 5))
    finally:
        history.close()
    _language("en")
    code, csv_en, _err = run(capsys, "report", "--since", "all", "--csv")
    _language("fr")
    code, out, err = run(capsys, "report", "--since", "2026-01-03")
    assert code == 0, err
    assert out.splitlines() == [
        "2026-01-03 10:00:00  facture F2 -> b@example.org : refusé par SMTP mail.example.org (550 no such user)",
        "2026-01-04 08:00:00  devis D3 -> c@example.org : accepté par dossier de dépôt /srv/pickup "
        "(mis en file dans le dossier de dépôt)",
        "2026-01-04 08:05:00  devis D4 -> d@example.org : échoué par voie d'envoi inconnue",
        "3 lignes de destinataire depuis le 2026-01-03 00:00 : 1 accepté, 1 échoué, 1 refusé",
    ]
    code, out, err = run(capsys, "report", "--since", "2026-01-04T08:01")
    assert out.splitlines()[-1] == "1 ligne de destinataire depuis le 2026-01-04 08:01 : 1 échoué"
    code, out, err = run(capsys, "report", "--since", "2030-01-01")
    assert out == "0 ligne de destinataire depuis le 2030-01-01 00:00 : aucun envoi\n"
    code, csv_fr, _err = run(capsys, "report", "--since", "all", "--csv")
    assert csv_fr == csv_en  # columns and values: what a script reads does not depend on the language
    assert ",pickup folder /srv/pickup,accepted,queued in the pickup folder," in csv_fr


def test_report_in_english_under_a_french_locale_when_the_setting_says_so(capsys, monkeypatch):
    seed()
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    code, out, _err = run(capsys, "report", "--since", "all")
    assert out.splitlines()[-1] == "2 lignes de destinataire sur tout l'historique : 1 accepté, 1 refusé"
    _language("en")
    code, out, _err = run(capsys, "report", "--since", "all")
    assert out.splitlines()[-1] == "2 recipient lines the whole history: 1 accepted, 1 refused"
