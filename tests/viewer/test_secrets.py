"""Tests of password storage: the keyring when a usable backend exists, else the private file."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from viewer import paths, secrets
from viewer import settings as S


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring kept in a dict, standing in for the desktop's secret service."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]


class BrokenKeyring(MemoryKeyring):
    """A keyring that is configured but refuses every call (a locked or absent D-Bus)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


@pytest.fixture
def memory_keyring():
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(keyring.backends.fail.Keyring())


@pytest.fixture
def broken_keyring():
    keyring.set_keyring(BrokenKeyring())
    yield
    keyring.set_keyring(keyring.backends.fail.Keyring())


def _settings_with_password(password: str = "s3cret-Pw") -> S.Settings:
    s = S.Settings()
    s.environments["prod"] = S.Environment(smtp_user="bob", smtp_password=password)
    s.active_environment = "prod"
    return s


def test_no_keyring_in_tests_by_default() -> None:
    assert not secrets.keyring_usable()
    assert secrets.keyring_name() == ""
    assert secrets.keyring_get("x") is None
    assert secrets.keyring_set("x", "y") is False
    assert secrets.keyring_delete("x") is False


def test_password_goes_to_keyring_when_present(memory_keyring: MemoryKeyring) -> None:
    path = S.save(_settings_with_password())
    assert memory_keyring.store == {("spoolview", "smtp:prod"): "s3cret-Pw"}
    assert "s3cret-Pw" not in path.read_text()
    loaded = S.load()
    assert loaded.environments["prod"].smtp_password == ""
    assert S.get_password(loaded) == "s3cret-Pw"
    assert S.get_password(loaded, "default") == ""


def test_password_goes_to_private_file_without_keyring() -> None:
    path = S.save(_settings_with_password())
    assert "s3cret-Pw" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = S.load()
    assert S.get_password(loaded) == "s3cret-Pw"
    assert S.get_password(loaded, "prod") == "s3cret-Pw"
    assert "s3cret-Pw" not in repr(S.as_dict(loaded))
    # Saving again keeps the stored password although it was never loaded in memory.
    S.save(S.load())
    assert S.get_password(S.load()) == "s3cret-Pw"


def test_broken_keyring_falls_back_to_file(broken_keyring: None) -> None:
    assert secrets.keyring_usable()
    path = S.save(_settings_with_password())
    assert "s3cret-Pw" in path.read_text()
    assert S.get_password(S.load()) == "s3cret-Pw"
    assert secrets.keyring_delete("smtp:prod") is False


def test_set_password_moves_from_file_to_keyring(memory_keyring: MemoryKeyring) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    s = S.load()
    S.set_password(s, "old", "prod")
    assert "old" in paths.config_file().read_text()
    keyring.set_keyring(memory_keyring)
    S.set_password(s, "new", "prod")
    assert memory_keyring.store[("spoolview", "smtp:prod")] == "new"
    assert "old" not in paths.config_file().read_text()
    assert S.get_password(S.load(), "prod") == "new"


def test_set_password_keeps_the_rest_of_the_file() -> None:
    s = S.Settings()
    s.functions.host = "smtp.example.com"
    S.save(s)
    S.set_password(S.load(), "pw")
    loaded = S.load()
    assert loaded.functions.host == "smtp.example.com"
    assert S.get_password(loaded) == "pw"


def test_set_password_bad_environment_name() -> None:
    with pytest.raises(S.SettingsError, match="letters"):
        S.set_password(S.Settings(), "pw", "a b")


def test_generic_secrets_file(tmp_path: Path) -> None:
    target = tmp_path / "s.toml"
    assert S.set_secret("server:siege", "tok-1", target) == "file"
    assert S.get_secret("server:siege", target) == "tok-1"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    S.delete_secret("server:siege", target)
    assert S.get_secret("server:siege", target) == ""
    assert "secrets" not in target.read_text()
    assert S.set_secret("server:siege", "", target) == ""
    S.delete_secret("absent", tmp_path / "none.toml")


def test_generic_secrets_keyring(memory_keyring: MemoryKeyring) -> None:
    assert S.set_secret("server:siege", "tok-2") == "keyring"
    assert S.get_secret("server:siege") == "tok-2"
    assert not paths.config_file().exists()
    S.delete_secret("server:siege")
    assert memory_keyring.store == {}
    assert S.get_secret("server:siege") == ""


def test_secrets_table_must_hold_texts(tmp_path: Path) -> None:
    target = tmp_path / "s.toml"
    target.write_text("[secrets]\n'smtp:default' = 5\n")
    with pytest.raises(S.SettingsError, match="texts only"):
        S.get_secret("smtp:default", target)
    target.write_text("secrets = 5\n")
    with pytest.raises(S.SettingsError, match="table"):
        S.load(target)
    with pytest.raises(S.SettingsError, match="table"):
        S.set_secret("x", "y", target)
