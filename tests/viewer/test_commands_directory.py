"""Tests of `spoolview directory import|list|show|lookup` on the sample CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer import paths
from viewer.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def imported(capsys: pytest.CaptureFixture[str], samples: Path) -> None:
    code, out, err = run(capsys, "directory", "import", str(samples / "customers.csv"), str(samples / "contacts.csv"))
    assert code == 0, err
    assert out.startswith("imported 9 customers (9 new) and 6 contacts (6 new)")


def test_import_into_default_database(imported: None) -> None:
    assert (paths.data_dir() / "directory.sqlite").exists()


def test_import_uses_database_url_setting(capsys: pytest.CaptureFixture[str], samples: Path, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.sqlite"
    assert run(capsys, "settings", "set", "directory.database_url", f"sqlite:///{db}")[0] == 0
    assert run(capsys, "directory", "import", str(samples / "customers.csv"))[0] == 0
    assert db.exists() and not (paths.data_dir() / "directory.sqlite").exists()


def test_import_bad_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "c.csv"
    bad.write_text("code;name;email\nA;Alpha;nope\n")
    code, out, err = run(capsys, "directory", "import", str(bad))
    assert code == 1 and out == ""
    assert f"{bad}:2: customer A: email 'nope' is not an e-mail address" in err
    assert "nothing was imported" in err


def test_import_replace(capsys: pytest.CaptureFixture[str], imported: None, tmp_path: Path) -> None:
    small = tmp_path / "c.csv"
    small.write_text("code;name\nN1;Nouveau\n")
    code, out, _ = run(capsys, "directory", "import", "--replace", str(small))
    assert code == 0 and "holds 1 customer and 0 contacts" in out


def test_list_and_search(capsys: pytest.CaptureFixture[str], imported: None) -> None:
    code, out, err = run(capsys, "directory", "list", "--limit", "3")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["CLI001", "CLI002", "CLI003"]
    assert "6 more" in err
    code, out, _ = run(capsys, "directory", "list", "--search", "dvorak")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["customer", "CLI005"]
    assert lines[1].split()[:2] == ["contact", "CT0004"] and lines[1].endswith("[CLI005]")
    code, out, err = run(capsys, "directory", "list", "-s", "zzz")
    assert code == 0 and out == "" and "nothing starts with 'zzz'" in err


def test_list_empty(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "directory", "list")
    assert code == 0 and out == "" and "directory is empty" in err


def test_show_customer_and_contact(capsys: pytest.CaptureFixture[str], imported: None) -> None:
    code, out, _ = run(capsys, "directory", "show", "CLI002")
    assert code == 0
    assert "customer  CLI002  Brasserie Kowalski & Fils" in out
    assert "default for facture: factures@brasserie-kowalski.example" in out
    assert "+33 3 88 12 34 56" in out
    code, out, _ = run(capsys, "directory", "show", "CLI001")
    assert "contact  CT0001  Élodie Marchand  elodie.marchand@atelier-dupre.example" in out
    code, out, _ = run(capsys, "directory", "show", "CT0002")
    assert out.splitlines()[:2] == ["contact  CT0002  Jean Lefèvre", "  customer CLI001  Atelier Dupré SARL"]


def test_show_unknown(capsys: pytest.CaptureFixture[str], imported: None) -> None:
    code, _, err = run(capsys, "directory", "show", "NOPE")
    assert code == 1 and err.startswith("spoolview: error: no customer or contact NOPE")


def test_lookup(capsys: pytest.CaptureFixture[str], imported: None) -> None:
    code, out, _ = run(capsys, "directory", "lookup", "CLI002", "--kind", "facture")
    assert code == 0 and out.strip() == "factures@brasserie-kowalski.example  (default: Brasserie Kowalski & Fils)"
    code, out, err = run(capsys, "directory", "lookup", "CLI001", "--contact", "CT0404")
    assert code == 0 and "contact@atelier-dupre.example" in out and "CT0404 is not in the directory" in err
    code, _, err = run(capsys, "directory", "lookup", "CLI009")
    assert code == 1 and "CLI009 (Transports Nørgaard) has no e-mail address" in err
    code, _, err = run(capsys, "directory", "lookup", "CLI001", "--type", "PIGEON")
    assert code == 1 and "unknown address type" in err


def test_directory_commands_speak_french(capsys: pytest.CaptureFixture[str], samples: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """import, list, show and lookup follow the interface language (here the locale's); the data columns stay as they are."""
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    code, _, err = run(capsys, "directory", "list")
    assert (code, err) == (0, "l'annuaire est vide : importez-le avec `spoolview directory import clients.csv contacts.csv`\n")
    bad = tmp_path / "c.csv"
    bad.write_text("code;name;email\nA;Alpha;nope\n")
    code, out, err = run(capsys, "directory", "import", str(bad))
    assert (code, out) == (1, "") and err.endswith(
        "spoolview : erreur : rien n'a été importé : corrigez les lignes ci-dessus et importez de nouveau\n")
    code, out, _ = run(capsys, "directory", "import", str(samples / "customers.csv"), str(samples / "contacts.csv"))
    assert (code, out) == (0, "importés : 9 clients (nouveaux : 9) et 6 contacts (nouveaux : 6) ; "
                              "l'annuaire contient 9 clients et 6 contacts\n")
    code, _, err = run(capsys, "directory", "list", "--limit", "8")
    assert (code, err) == (0, "... et 1 autre : utilisez --search ou --limit\n")
    code, out, err = run(capsys, "directory", "list", "--search", "dvorak")
    assert out.splitlines()[0].split()[:2] == ["client", "CLI005"]
    code, _, err = run(capsys, "directory", "list", "-s", "zzz")
    assert (code, err) == (0, "rien ne commence par « zzz »\n")
    code, out, _ = run(capsys, "directory", "show", "CLI002")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "client  CLI002  Brasserie Kowalski & Fils"
    assert "  fax      : +33 3 88 12 34 56" in lines
    assert "  par défaut pour « facture » : factures@brasserie-kowalski.example" in lines
    code, out, _ = run(capsys, "directory", "show", "CT0002")
    assert out.splitlines()[:2] == ["contact  CT0002  Jean Lefèvre", "  client   CLI001  Atelier Dupré SARL"]
    code, _, err = run(capsys, "directory", "show", "NOPE")
    assert (code, err) == (1, "spoolview : erreur : aucun client ni contact NOPE dans l'annuaire : "
                              "trouvez les codes avec `spoolview directory list --search TEXTE`\n")
    code, out, _ = run(capsys, "directory", "lookup", "CLI002", "--kind", "facture")
    assert (code, out) == (0, "factures@brasserie-kowalski.example  "
                              "(adresse par défaut pour ce type de document : Brasserie Kowalski & Fils)\n")


def test_directory_commands_follow_the_language_setting(capsys: pytest.CaptureFixture[str], imported: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert run(capsys, "settings", "set", "printing.language", "en")[0] == 0
    code, out, _ = run(capsys, "directory", "show", "CLI001")
    assert code == 0 and out.splitlines()[:2] == ["customer  CLI001  Atelier Dupré SARL",
                                                  "  email    contact@atelier-dupre.example"]
    code, _, err = run(capsys, "directory", "list", "--limit", "7")
    assert err == "... 2 more; use --search or --limit\n"


def test_lookup_speaks_french(capsys: pytest.CaptureFixture[str], imported: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    code, out, err = run(capsys, "directory", "lookup", "CLI001", "--contact", "CT0404")
    assert (code, err) == (0, "Le contact CT0404 n'est pas dans l'annuaire : l'adresse du client est utilisée.\n")
    assert out == "contact@atelier-dupre.example  (adresse principale du client : Atelier Dupré SARL)\n"
    code, _, err = run(capsys, "directory", "lookup", "CLI009")
    assert (code, err) == (1, "spoolview : erreur : Le client CLI009 (Transports Nørgaard) n'a pas d'adresse e-mail : "
                              "saisissez le destinataire ou complétez l'annuaire.\n")
    code, _, err = run(capsys, "directory", "lookup", "CLI404", "--type", "FAX")
    assert (code, err) == (1, "spoolview : erreur : Le client CLI404 n'est pas dans l'annuaire : saisissez le numéro de fax "
                              "ou importez l'annuaire (spoolview directory import).\n")
    code, _, err = run(capsys, "directory", "lookup", "--contact", "CT0404")
    assert (code, err) == (1, "spoolview : erreur : Le contact CT0404 n'est pas dans l'annuaire et le document ne nomme "
                              "aucun client : saisissez l'adresse e-mail.\n")
    code, _, err = run(capsys, "directory", "lookup", "CLI001", "--type", "PIGEON")
    assert (code, err) == (1, "spoolview : erreur : type d'adresse « PIGEON » inconnu : utilisez l'un de ceux-ci : "
                              "EMAIL, EMAIL2, FAX, FAX2\n")


@pytest.mark.parametrize(("customer", "contact", "kind"), [
    ("CLI001", "CT0404", "EMAIL"), ("CLI009", "", "EMAIL"), ("CLI009", "CT0404", "EMAIL"), ("CLI404", "", "FAX2"),
    ("", "", "EMAIL2"), ("", "CT0404", "EMAIL"), ("CLI002", "CT0001", "EMAIL"), ("CLI009", "", "FAX"),
])
def test_lookup_messages_in_english_are_the_directorys_own(capsys: pytest.CaptureFixture[str], imported: None,
                                                           customer: str, contact: str, kind: str) -> None:
    """The catalogue's English is word for word the message the look-up gives the GUI and the server."""
    from formats.document import DocInfo
    from viewer import settings
    from viewer.commands.directory import _lookup_fields
    from viewer.directory import open_directory
    from viewer.messages import text

    with open_directory(settings.load()) as directory:
        result = directory.lookup(DocInfo(customer=customer, contact=contact), kind)
    assert result.message and result.msgid
    assert text("en", result.msgid, **_lookup_fields("en", result)) == result.message
