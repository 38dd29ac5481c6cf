"""Tests of `spoolview settings path|show|set|check|password`."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from tests.viewer.test_secrets import MemoryKeyring
from viewer import paths
from viewer import settings as S
from viewer.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "settings", "path") == (0, f"{paths.config_file()}\n", "")


def test_config_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    code, out, _ = run(capsys, "--config", str(target), "settings", "path")
    assert code == 0 and out.strip() == str(target)


def test_set_then_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "settings", "set", "functions.port", "587")
    assert code == 0 and out.startswith("functions.port = 587")
    assert S.load().functions.port == 587
    code, out, _ = run(capsys, "settings", "show")
    assert code == 0
    body = tomllib.loads("\n".join(line for line in out.splitlines() if not line.startswith("#")))
    assert body["functions"]["port"] == 587
    assert "# passwords: default not set" in out


def test_set_warns_about_a_problem_of_that_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "settings", "set", "routing.email", "SERV_SMTP:fixed@example.com")
    assert code == 0 and "warning: routing.email" in err and "%ADR%" in err


def test_set_other_kinds_of_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "settings", "set", "environments.prod.smtp_user", "bob")[0] == 0
    code, out, _ = run(capsys, "settings", "set", "active_environment", "prod")
    assert code == 0 and out.startswith('active_environment = "prod"')
    code, out, _ = run(capsys, "settings", "set", "templates.subjects.devis.fr", "Devis n°{number}")
    assert out.startswith('templates.subjects.devis.fr = "Devis n°{number}"')
    code, out, _ = run(capsys, "settings", "set", "profiles.siege.url", "https://srv")
    assert code == 0 and S.load().profiles["siege"].url == "https://srv"


def test_set_bad_value_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "settings", "set", "functions.port", "many")
    assert code == 1 and out == ""
    assert err.startswith("spoolview: error: functions.port takes a whole number")
    assert not paths.config_file().exists()


def test_broken_file_is_reported_not_overwritten(capsys: pytest.CaptureFixture[str]) -> None:
    path = paths.ensure_private_dir(paths.config_dir()) / "settings.toml"
    path.write_text("[functions\nport = 1\n")
    for argv in (("settings", "show"), ("settings", "set", "functions.port", "2"), ("settings", "check")):
        code, _, err = run(capsys, *argv)
        assert code == 1 and "not a valid TOML" in err and "Traceback" not in err
    assert path.read_text() == "[functions\nport = 1\n"


def test_check_ok_and_problems(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "settings", "set", "service.from_identity", "Me <me@example.com>")
    code, out, _ = run(capsys, "settings", "check")
    assert code == 0 and "no problem found" in out
    run(capsys, "settings", "set", "functions.ssl", "true")
    run(capsys, "settings", "set", "functions.tls_mode", "implicit")
    run(capsys, "settings", "set", "functions.port", "25")
    code, out, err = run(capsys, "settings", "check")
    assert code == 1
    assert "functions.port: implicit TLS on port 25" in out
    assert "1 problem in " in err


def test_show_json_never_contains_password(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Pa55-word\n"))
    code, out, _ = run(capsys, "settings", "password")
    assert code == 0 and "private settings file" in out and "Pa55-word" not in out
    code, out, _ = run(capsys, "settings", "show", "--json")
    assert code == 0 and "Pa55-word" not in out
    assert json.loads(out)["environments"]["default"]["smtp_password"] == "stored"
    code, out, _ = run(capsys, "settings", "show")
    assert "Pa55-word" not in out and "default stored" in out


def test_password_from_stdin_new_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-prod\n"))
    code, out, _ = run(capsys, "settings", "password", "--environment", "prod")
    assert code == 0
    loaded = S.load()
    assert "prod" in loaded.environments
    assert S.get_password(loaded, "prod") == "pw-prod"
    code, out, _ = run(capsys, "settings", "password", "-e", "prod", "--delete")
    assert code == 0 and S.get_password(S.load(), "prod") == ""


def test_password_into_keyring(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO("kr-pw\n"))
        code, out, _ = run(capsys, "settings", "password")
        assert code == 0 and "system keyring" in out
        assert backend.store == {("spoolview", "smtp:default"): "kr-pw"}
    finally:
        keyring.set_keyring(keyring.backends.fail.Keyring())


def test_password_empty_refused(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "settings", "password")
    assert code == 1 and "no password given" in err


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_password_prompt_on_tty(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["typed", "typed", "one", "two"])
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    code, out, _ = run(capsys, "settings", "password")
    assert code == 0 and "typed" not in out
    assert S.get_password(S.load()) == "typed"
    assert prompts[0] == "SMTP password for environment default: "
    code, _, err = run(capsys, "settings", "password")
    assert code == 1 and "differ" in err
    assert S.get_password(S.load()) == "typed"


def test_password_bad_environment_name(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    code, _, err = run(capsys, "settings", "password", "-e", "no good")
    assert code == 1 and "letters" in err


@pytest.mark.parametrize(("lang", "said"), [
    ("fr", "spoolview : erreur : le mot de passe contient un caractère à usage privé (U+E000, caractère n° 3), "
           "interdit dans un mot de passe : choisissez-en un autre"),
    ("en", "spoolview: error: the password holds a private-use character (U+E000, character 3), which a password may "
           "not hold: choose another password"),
])
def test_a_password_saslprep_refuses_is_not_stored_and_says_why(capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch, lang: str, said: str) -> None:
    run(capsys, "settings", "set", "printing.language", lang)
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\ue000x\n"))
    code, out, err = run(capsys, "settings", "password")
    assert (code, out, err.strip()) == (1, "", said)
    assert S.get_password(S.load()) == ""
    monkeypatch.setattr("sys.stdin", io.StringIO("cafe\u0301\u00a0noir\n"))  # decomposed, a no-break space: accepted
    assert run(capsys, "settings", "password")[0] == 0


def test_check_and_set_speak_french(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`settings check` and the warning of `settings set` follow the interface language (here the locale's)."""
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    run(capsys, "settings", "set", "service.from_identity", "Moi <moi@example.com>")
    code, out, _ = run(capsys, "settings", "check")
    assert (code, out) == (0, f"{paths.config_file()} : aucun problème\n")
    code, _, err = run(capsys, "settings", "set", "routing.email", "SERV_SMTP:fixe@example.com")
    assert code == 0 and err == ("attention : routing.email : le modèle « SERV_SMTP:fixe@example.com » doit contenir "
                                 "%ADR% une seule fois (à l'endroit de l'adresse)\n")
    run(capsys, "settings", "set", "functions.port", "465")
    code, out, err = run(capsys, "settings", "check")
    assert code == 1
    assert out.splitlines() == [
        "routing.email : le modèle « SERV_SMTP:fixe@example.com » doit contenir %ADR% une seule fois (à l'endroit de l'adresse)",
        "functions.ssl : le port 465 attend du TLS implicite : cochez ssl et mettez tls_mode à implicit",
    ]
    assert err == f"2 problèmes dans {paths.config_file()}\n"


def test_check_in_english_with_both_plural_forms(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "settings", "set", "printing.language", "en")
    run(capsys, "settings", "set", "service.from_identity", "Me <me@example.com>")
    run(capsys, "settings", "set", "advanced.file_extension", "eml")
    code, out, err = run(capsys, "settings", "check")
    assert (code, out, err) == (1, "advanced.file_extension: 'eml' is not a file extension; use .eml (or .txt)\n",
                                f"1 problem in {paths.config_file()}\n")
    run(capsys, "settings", "set", "advanced.delay_seconds", "0")
    run(capsys, "settings", "set", "functions.domain", "a b")
    code, out, err = run(capsys, "settings", "check")
    assert code == 1 and "functions.domain: 'a b' contains spaces; give a domain name" in out
    assert err == f"2 problems in {paths.config_file()}\n"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_settings_problem_is_worded_in_both_languages_with_its_own_fields(lang: str) -> None:
    import ast
    import string

    from viewer import messages

    source = Path(S.__file__).read_text(encoding="utf-8")
    table = messages.catalogue(lang)
    said = set()
    for node in ast.walk(ast.parse(source)):  # every ("msgid", {params}) a problem is made of
        if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Dict):
            first = node.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                key = f"settings.problem.{first.value}"
                given = {k.value for k in node.elts[1].keys if isinstance(k, ast.Constant)}
                fields = {f for _, f, _, _ in string.Formatter().parse(table.get(key, "")) if f}
                assert key in table and fields <= given, key
                said.add(key)
    words = {k for k in table if k.startswith("settings.problem.")}
    assert len(said) > 50 and words - said <= {"settings.problem.ssl_user_password", "settings.problem.ssl_user_token",
                                               "settings.problem.ssl_oauth", "settings.problem.env_unknown",
                                               "settings.problem.env_unknown_none"}, words - said


@pytest.mark.parametrize(("argv", "fr", "en"), [
    (("functions.port", "abc"), "functions.port prend un nombre entier, pas « abc »", "functions.port takes a whole number, not 'abc'"),
    (("functions.port", "70000"), "functions.port prend une valeur de 0 à 65535 (pas « 70000 »)",
     "functions.port takes a value from 0 to 65535 (not '70000')"),
    (("functions.ssl", "peut-être"), "functions.ssl prend la valeur true ou false (aussi oui/non, yes/no, on/off, 1/0), pas « peut-être »",
     "functions.ssl takes true or false (also yes/no, on/off, 1/0), not 'peut-être'"),
    (("active_environment", "prod"), "environnement « prod » inconnu (environnements connus : default) : créez-le avec "
     "`spoolview settings set environments.prod.smtp_user UTILISATEUR`",
     "unknown environment 'prod'; known: default. Create it with `spoolview settings set environments.prod.smtp_user USER`"),
    (("profiles.a b.url", "x"), "le nom de profil « a b » ne peut contenir que des lettres, des chiffres, « - » et « _ »",
     "profile name 'a b' may only hold letters, digits, '-' and '_'"),
    (("functions.prot", "587"), "réglage « functions.prot » inconnu ; les réglages de [functions] sont : ",
     "unknown setting 'functions.prot'; the keys of [functions] are: "),
])
def test_a_refused_value_is_said_in_both_languages(capsys: pytest.CaptureFixture[str], argv: tuple[str, str], fr: str,
                                                   en: str) -> None:
    for lang, said, prefix in (("fr", fr, "spoolview : erreur : "), ("en", en, "spoolview: error: ")):
        assert run(capsys, "settings", "set", "printing.language", lang)[0] == 0
        code, out, err = run(capsys, "settings", "set", *argv)
        assert (code, out) == (1, "")
        assert err.startswith(prefix + said), err


def test_a_broken_settings_file_is_said_in_french(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[functions]\nport = \"587\"\n", encoding="utf-8")
    code, out, err = run(capsys, "settings", "check")
    assert (code, out) == (1, "")
    assert err == (f"spoolview : erreur : {path}:2 : la clé functions.port doit être un nombre entier, et non '587' ; "
                   "corrigez le fichier à la main (il n'a pas été modifié)\n")
    path.write_text("[functions\n", encoding="utf-8")
    code, out, err = run(capsys, "settings", "check")
    assert err.startswith(f"spoolview : erreur : {path}:1 : ce n'est pas un fichier TOML valide (« ")
    assert err.endswith(" ») ; corrigez-le à la main, ou déplacez-le pour repartir des valeurs par défaut (il n'a pas été modifié)\n")
    assert path.read_text(encoding="utf-8") == "[functions\n"


def test_show_comments_speak_french(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    code, out, _ = run(capsys, "settings", "show")
    assert code == 0 and out.startswith(f"# {paths.config_file()} (pas encore écrit : valeurs par défaut)\n")
    assert out.endswith("\n# mots de passe : default non défini\n")
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[functions]\ncolour = 1\n", encoding="utf-8")
    code, out, _ = run(capsys, "settings", "show")
    assert out.startswith(f"# {path}\n")
    assert out.endswith("# réglages inconnus (gardés, voir `spoolview settings check`) : functions.colour\n")
