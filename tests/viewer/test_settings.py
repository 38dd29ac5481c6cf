"""Tests of viewer.settings: TOML round trip, atomic private file, errors, set_value, check."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from viewer import paths
from viewer import settings as S
from viewer.errors import SpoolviewError


def _every_field_changed() -> S.Settings:
    """A Settings whose every field differs from the default."""
    s = S.Settings()
    for name in S.SECTIONS:
        section = getattr(s, name)
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            new: object
            if isinstance(value, bool):
                new = not value
            elif isinstance(value, int):
                new = value + 2525
            elif isinstance(value, float):
                new = value + 1.5
            elif isinstance(value, list):
                new = [f"changed-{name}-{f.name}-é€"]
            else:
                new = f"changed-{name}-{f.name}-é€"
            setattr(section, f.name, new)
    s.templates.subjects["devis.fr"] = "Devis {number}"
    s.templates.bodies["facture.en"] = "Invoice {number}\nRegards"
    s.environments = {"default": S.Environment("user-d"), "prod": S.Environment("user-p")}
    s.active_environment = "prod"
    s.profiles["siege"] = S.ConnectionProfile(name="siege", url="https://srv:8443", user="anne", ca_file="/x/ca.pem")
    return s


def test_missing_file_gives_defaults() -> None:
    s = S.load()
    assert s == S.Settings(path=paths.config_file())
    assert s.path == paths.config_file()
    assert not paths.config_file().exists()


def test_round_trip_of_every_field(tmp_path: Path) -> None:
    original = _every_field_changed()
    target = tmp_path / "conf" / "settings.toml"
    assert S.save(original, target) == target
    loaded = S.load(target)
    for name in S.SECTIONS:
        assert getattr(loaded, name) == getattr(original, name), name
    assert loaded.templates == original.templates
    assert loaded.environments == original.environments
    assert loaded.active_environment == "prod"
    assert loaded.profiles == original.profiles
    assert loaded.unknown_keys == []


def test_default_path_and_private_modes() -> None:
    path = S.save(S.Settings())
    assert path == paths.config_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]  # no temp file left


def test_spoolview_config_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOOLVIEW_CONFIG", str(tmp_path / "other.toml"))
    s = S.Settings()
    s.functions.host = "smtp.example.com"
    S.save(s)
    assert S.load().functions.host == "smtp.example.com"
    assert (tmp_path / "other.toml").exists()


def test_save_replaces_existing_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / "s.toml"
    S.save(S.Settings(), target)
    target.chmod(0o644)
    s = S.load(target)
    s.advanced.delay_seconds = 15
    S.save(s)
    assert S.load(target).advanced.delay_seconds == 15.0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_corrupt_file_clear_error_and_untouched(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    content = b"[functions]\nhost = 'smtp.example.com'\nport = \n"
    target.write_bytes(content)
    with pytest.raises(S.SettingsError) as info:
        S.load(target)
    message = str(info.value)
    assert str(target) in message and "line 3" in message and "by hand" in message
    assert isinstance(info.value, SpoolviewError)
    with pytest.raises(S.SettingsError):
        S.save(S.Settings(), target)
    with pytest.raises(S.SettingsError):
        S.set_secret("smtp:default", "pw", target)
    assert target.read_bytes() == content


def test_not_utf8_file(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_bytes(b"[service]\nfrom_identity = 'Dupr\xe9'\n")
    with pytest.raises(S.SettingsError, match=r"settings.toml:2: .*not UTF-8"):
        S.load(target)


def test_wrong_type_names_line_and_key(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text('[printing]\njournal = false\n\n[functions]\nhost = "h"\nport = "587"\n')
    with pytest.raises(S.SettingsError) as info:
        S.load(target)
    assert f"{target}:6: functions.port must be a whole number, found '587'; correct the file by hand" in str(info.value)


def test_wrong_type_of_password_does_not_echo_it(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text("[environments.default]\nsmtp_password = 987654321\n")
    with pytest.raises(S.SettingsError) as info:
        S.load(target)
    assert "987654321" not in str(info.value)
    assert "environments.default.smtp_password" in str(info.value)


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text('functions = "x"\n')
    with pytest.raises(S.SettingsError, match="must be a table"):
        S.load(target)


def test_unknown_keys_reported_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text('colour = "blue"\n[functions]\nhots = "typo"\nport = 587\n[extra]\na = 1\n')
    s = S.load(target)
    assert s.unknown_keys == ["colour", "functions.hots", "extra"]
    assert s.functions.port == 587
    keys = {p.key for p in S.check(s)}
    assert {"colour", "functions.hots", "extra"} <= keys
    S.save(s)
    again = S.load(target)
    assert again.unknown_keys == s.unknown_keys
    assert again.unknown_values[("functions", "hots")] == "typo"
    assert again.unknown_values[("extra",)] == {"a": 1}


def test_float_setting_accepts_integer(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text("[advanced]\ndelay_seconds = 15\n")
    value = S.load(target).advanced.delay_seconds
    assert value == 15.0 and isinstance(value, float)


def test_hand_written_password_is_read(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text('[environments.default]\nsmtp_user = "u"\nsmtp_password = "p4ss"\n')
    s = S.load(target)
    assert S.get_password(s) == "p4ss"


def test_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(S.SettingsError, match="is a folder"):
        S.load(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(S.SettingsError, match="Not a directory"):
        S.save(S.Settings(), blocker / "sub" / "settings.toml")


# --- set_value -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("functions.port", "587", 587),
        ("functions.ssl", "yes", True),
        ("functions.ssl", "Non", False),
        ("advanced.delay_seconds", "2,5", 2.5),
        ("advanced.file_extension", ".txt", ".txt"),
        ("pdf.password_policy", "ask", "ask"),
        ("routing.fax", "SERV_SMTP:%ADR%@fax.example.com", "SERV_SMTP:%ADR%@fax.example.com"),
    ],
)
def test_set_value_converts(key: str, text: str, expected: object) -> None:
    s = S.Settings()
    S.set_value(s, key, text)
    section, name = key.split(".")
    assert getattr(getattr(s, section), name) == expected


def test_set_value_environments_profiles_templates() -> None:
    s = S.Settings()
    S.set_value(s, "environments.prod.smtp_user", "bob")
    S.set_value(s, "active_environment", "prod")
    assert s.environment.smtp_user == "bob"
    S.set_value(s, "profiles.siege.url", "https://srv")
    assert s.profiles["siege"] == S.ConnectionProfile(name="siege", url="https://srv")
    S.set_value(s, "templates.subjects.devis.fr", "Devis {number}")
    assert s.templates.subjects == {"devis.fr": "Devis {number}"}
    S.set_value(s, "templates.subjects.devis.fr", "")
    assert s.templates.subjects == {}


@pytest.mark.parametrize(
    ("key", "text", "needle"),
    [
        ("functions.port", "abc", "whole number"),
        ("functions.ssl", "maybe", "true or false"),
        ("advanced.delay_seconds", "nan", "finite"),
        ("advanced.delay_seconds", "soon", "number"),
        ("pdf.protection", "strong", "none, no-modify, password"),
        ("functions.prot", "1", "functions.port"),
        ("nothing", "1", "valid keys"),
        ("fonctions.host", "h", "did you mean functions.host?"),
        ("functions.port", "70000", "from 0 to 65535"),
        ("functions.port", "-1", "from 0 to 65535"),
        ("functions.timeout", "0", "at least 0.1"),
        ("advanced.delay_seconds", "-5", "at least 0"),
        ("active_environment", "ghost", "known: default"),
        ("environments.prod.smtp_password", "x", "settings password"),
        ("environments.prod.colour", "x", "smtp_user"),
        ("environments.bad name.smtp_user", "x", "letters, digits"),
        ("profiles.p.colour", "x", "url, user, ca_file"),
    ],
)
def test_set_value_errors(key: str, text: str, needle: str) -> None:
    with pytest.raises(S.SettingsError, match=needle.replace("(", r"\(")):
        S.set_value(S.Settings(), key, text)


def test_as_dict_redacts_passwords() -> None:
    s = S.Settings()
    s.environment.smtp_password = "hunter2"
    assert "hunter2" not in repr(S.as_dict(s))
    assert S.as_dict(s, redact=False)["environments"]["default"]["smtp_password"] == "hunter2"


# --- check -----------------------------------------------------------------------------------


def _valid() -> S.Settings:
    s = S.Settings()
    s.service.from_identity = "Atelier <contact@atelier.example>"
    return s


def _keys(s: S.Settings) -> dict[str, str]:
    return {p.key: p.message for p in S.check(s)}


def test_check_valid_defaults_with_identity() -> None:
    assert S.check(_valid()) == []


def test_check_finds_every_problem(tmp_path: Path) -> None:
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    s = _valid()
    s.functions.port = 70000
    s.functions.send_direct = True
    s.routing.email = "SMTP:%ADR%"
    s.routing.email2 = "SERV_SMTP:someone@example.com"
    s.routing.fax = "SERV_SMTP:%ADR% @fax"
    s.copies.sent_folder = str(a_file)
    s.copies.error_folder = str(a_file / "errors")
    s.copies.log_folder = ""
    s.pdf.protection = "password"
    s.pdf.password_policy = "no"
    s.advanced.default_charset = "klingon-1"
    s.advanced.charset = "nope"
    s.advanced.file_extension = "eml"
    s.advanced.delay_seconds = -1
    s.active_environment = "ghost"
    s.profiles["p"] = S.ConnectionProfile(name="p", url="ftp://x", ca_file=str(tmp_path / "none.pem"))
    s.functions.ca_file = str(tmp_path / "missing.pem")
    s.functions.timeout = 0
    s.printing.language = "de"
    s.templates.subjects["devis"] = "x"
    s.directory.database_url = "not a url"
    s.functions.domain = "a b"
    found = _keys(s)
    assert "not a TCP port" in found["functions.port"]
    assert "no SMTP server name" in found["functions.host"]
    assert "unknown route prefix 'SMTP'" in found["routing.email"]
    assert "%ADR%" in found["routing.email2"]
    assert "spaces" in found["routing.fax"]
    assert "not a folder" in found["copies.sent_folder"]
    assert "cannot be created" in found["copies.error_folder"]
    assert "no folder" in found["copies.log_folder"]
    assert "password policy" in found["pdf.password_policy"]
    assert "klingon-1" in found["advanced.default_charset"]
    assert "nope" in found["advanced.charset"]
    assert ".eml" in found["advanced.file_extension"]
    assert "negative" in found["advanced.delay_seconds"]
    assert "ghost" in found["active_environment"]
    assert "http(s)" in found["profiles.p.url"]
    assert "not a file" in found["profiles.p.ca_file"]
    assert "not a file" in found["functions.ca_file"]
    assert "more than 0" in found["functions.timeout"]
    assert "'de'" in found["printing.language"]
    assert "KIND.LANGUAGE" in found["templates.subjects.devis"]
    assert "database URL" in found["directory.database_url"]
    assert "spaces" in found["functions.domain"]


@pytest.mark.parametrize(
    ("ssl", "mode", "port", "key", "needle"),
    [
        (True, "implicit", 25, "functions.port", "implicit TLS on port 25"),
        (True, "starttls", 25, "functions.port", "587"),
        (False, "starttls", 465, "functions.ssl", "implicit"),
    ],
)
def test_check_tls_and_ports(ssl: bool, mode: str, port: int, key: str, needle: str) -> None:
    s = _valid()
    s.functions.ssl, s.functions.tls_mode, s.functions.port = ssl, mode, port
    assert needle in _keys(s)[key]


def test_check_default_ports_are_fine() -> None:
    for ssl, mode in ((False, "starttls"), (True, "starttls"), (True, "implicit")):
        s = _valid()
        s.functions.ssl, s.functions.tls_mode = ssl, mode
        assert S.check(s) == []


def test_check_identity_and_pdf_and_external() -> None:
    s = S.Settings()
    s.functions.from_identity = "bad\nvalue"
    s.pdf.password_policy = "ask"
    s.pdf.protection = "none"
    s.pdf.use_external = True
    found = _keys(s)
    assert "line break" in found["functions.from_identity"]
    assert "password" in found["pdf.protection"]
    assert "no command" in found["pdf.external_command"]
    s.functions.from_identity = "nobody"
    s.pdf.external_command = "acro {input}"
    s.service.from_identity = ""
    found = _keys(s)
    assert "not an address" in found["functions.from_identity"]
    assert "{output}" in found["pdf.external_command"]


def test_check_user_without_password() -> None:
    s = _valid()
    s.environment.smtp_user = "bob"
    assert "settings password --environment default" in _keys(s)["environments.default.smtp_password"]
    S.set_password(s, "pw")
    assert S.check(s) == []


@pytest.mark.parametrize(("host", "ssl", "flagged"), [("smtp.example.com", False, True), ("smtp.example.com", True, False), ("127.0.0.1", False, False), ("localhost", False, False)])
def test_check_password_in_clear_over_the_network(host: str, ssl: bool, flagged: bool) -> None:
    s = _valid()
    s.functions.send_direct, s.functions.host, s.functions.ssl = True, host, ssl
    s.environment.smtp_user, s.environment.smtp_password = "bob", "pw"
    found = _keys(s)
    assert ("unencrypted" in found.get("functions.ssl", "")) is flagged


def test_check_plain_http_profile_beyond_this_computer() -> None:
    s = _valid()
    s.profiles["far"] = S.ConnectionProfile(name="far", url="http://erp.example.com:8470", user="bob")
    s.profiles["near"] = S.ConnectionProfile(name="near", url="http://127.0.0.1:8470", user="bob")
    s.profiles["safe"] = S.ConnectionProfile(name="safe", url="https://erp.example.com", user="bob")
    found = _keys(s)
    assert "use https" in found["profiles.far.url"]
    assert "profiles.near.url" not in found and "profiles.safe.url" not in found


def test_check_empty_email_route_and_charset_choice() -> None:
    s = _valid()
    s.routing.email = ""
    s.advanced.use_default_charset = False
    found = _keys(s)
    assert "SERV_SMTP:%ADR%" in found["routing.email"]
    assert "no code page" in found["advanced.charset"]


def test_problem_str() -> None:
    assert str(S.Problem("a.b", "fix it")) == "a.b: fix it"


def test_environment_property_creates_missing() -> None:
    s = S.Settings(active_environment="x", environments={})
    assert s.environment == S.Environment()
    assert "x" in s.environments


def test_from_identity_by_route() -> None:
    s = S.Settings()
    s.service.from_identity, s.functions.from_identity = "svc@x", "fn@x"
    assert s.from_identity() == "svc@x"
    s.functions.send_direct = True
    assert s.from_identity() == "fn@x"


def test_temp_file_removed_when_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(S.SettingsError, match="No space left"):
        S.save(S.Settings(), tmp_path / "s.toml")
    assert list(tmp_path.iterdir()) == []


@hyp_settings(max_examples=30, deadline=None)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=80),
    number=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    port=st.integers(min_value=-(2**40), max_value=2**40),
    key=st.from_regex(r"[a-z]{1,8}\.(fr|en)", fullmatch=True),
)
def test_any_value_round_trips(tmp_path_factory: pytest.TempPathFactory, text: str, number: float, port: int, key: str) -> None:
    target = tmp_path_factory.mktemp("rt") / "settings.toml"
    s = S.Settings()
    s.service.from_identity = text
    s.templates.bodies[key] = text
    s.advanced.delay_seconds = number
    s.functions.port = port
    S.save(s, target)
    loaded = S.load(target)
    assert loaded.service.from_identity == text
    assert loaded.templates.bodies == {key: text}
    assert loaded.advanced.delay_seconds == number
    assert loaded.functions.port == port


@pytest.mark.parametrize(
    "example, words",
    [(True, "true or false"), (3, "a whole number"), (2.5, "a number"), ("x", "a text in quotes"), ([1], "a list"), ({}, "a table")],
)
def test_kind_name_describes_toml_values_in_words(example, words):
    from viewer.settings import kind_name

    assert kind_name(example).startswith(words)


def test_check_oauth_settings() -> None:
    s = S.Settings()
    s.service.from_identity = "a@example.com"
    s.functions.send_direct, s.functions.host, s.functions.ssl = True, "smtp.office365.com", True
    s.functions.auth = "oauth2"
    found = {p.key: p.message for p in S.check(s)}
    assert "application (client) ID" in found["functions.oauth_client_id"]
    assert "environments.default.smtp_password" not in found  # no password needed with OAuth
    s.functions.oauth_client_id = "0000-1111"
    found = {p.key: p.message for p in S.check(s)}
    assert "not signed in" in found["environments.default"] and "spoolview oauth login" in found["environments.default"]
    s.functions.oauth_provider, s.functions.oauth_issuer = "custom", "http://login.example.com"
    s.functions.oauth_browser = "firefox '--new"
    found = {p.key: p.message for p in S.check(s)}
    assert "not an https address" in found["functions.oauth_issuer"]
    assert "not a command" in found["functions.oauth_browser"]
    s.functions.auth, s.functions.oauth_provider = "kerberos", "yahoo"
    found = {p.key: p.message for p in S.check(s)}
    assert "password, oauth2" in found["functions.auth"] and "microsoft, google, custom" in found["functions.oauth_provider"]


def test_check_oauth_token_in_clear_over_the_network() -> None:
    s = S.Settings()
    s.functions.send_direct, s.functions.host, s.functions.ssl, s.functions.auth = True, "smtp.example.com", False, "oauth2"
    found = {p.key: p.message for p in S.check(s)}
    assert "is refused" in found["functions.ssl"] and "access token" in found["functions.ssl"]


def test_oauth_settings_are_set_and_saved(tmp_path: Path) -> None:
    s = S.Settings(path=tmp_path / "s.toml")
    S.set_value(s, "functions.auth", "oauth2")
    S.set_value(s, "functions.oauth_provider", "google")
    S.set_value(s, "functions.oauth_client_id", "123.apps.googleusercontent.com")
    S.save(s)
    again = S.load(tmp_path / "s.toml")
    assert (again.functions.auth, again.functions.oauth_provider) == ("oauth2", "google")
    assert again.functions.oauth_tenant == "organizations" and again.functions.oauth_scope == ""
    with pytest.raises(S.SettingsError):
        S.set_value(s, "functions.auth", "kerberos")


def test_check_the_watched_folder(tmp_path: Path) -> None:
    s = S.Settings()
    s.service.from_identity = "Ventes <ventes@example.com>"
    s.watch.enabled = True
    s.watch.interval = 0.05
    s.watch.settle = -1
    found = {p.key: p.message for p in S.check(s)}
    assert found["watch.folder"] == "the watched folder is switched on but no folder is given; set watch.folder"
    assert found["watch.interval"] == "the scan interval must be at least 0.1 second"
    assert found["watch.settle"] == "the settle time cannot be negative"
    s.watch.folder, s.watch.interval, s.watch.settle = str(tmp_path / "none"), 5.0, 2.0
    s.watch.rules = str(tmp_path / "rules.toml")
    found = {p.key: p.message for p in S.check(s)}
    assert found["watch.folder"] == f"{tmp_path / 'none'} is not a folder; create it or correct the path"
    assert found["watch.rules"].startswith(f"{tmp_path}/rules.toml: no such rules file")
    s.watch.folder = str(tmp_path)
    (tmp_path / "rules.toml").write_text('[[rule]]\nkind = "devis"\naction = "hold"\n', encoding="utf-8")
    assert [p for p in S.check(s) if p.key.startswith("watch.")] == []
