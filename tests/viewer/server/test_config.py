"""The server configuration file."""

from __future__ import annotations

import pytest

from viewer.server.config import DEFAULT_PORT, ServerConfigError, load_config


def write(tmp_path, text: str):
    path = tmp_path / "server.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_safe(tmp_path):
    config = load_config(None)
    assert config.host == "127.0.0.1"
    assert config.port == DEFAULT_PORT
    assert config.effective_database_url().startswith("sqlite:///")


def test_file_values(tmp_path):
    path = write(
        tmp_path,
        '[server]\nport = 9000\ntoken_minutes = 5\ndatabase_url = "sqlite:///x.db"\n'
        '[server.route.functions]\nsend_direct = true\nhost = "smtp.example.com"\n',
    )
    config = load_config(path)
    assert (config.port, config.token_minutes, config.database_url) == (9000, 5.0, "sqlite:///x.db")
    assert config.route == {"functions": {"send_direct": True, "host": "smtp.example.com"}}
    assert config.path == path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[server]\nprot = 1\n", "server.toml:2: unknown key server.prot"),
        ('[server]\nport = "80"\n', "port must be a whole number"),
        ("[server]\nport = 70000\n", "between 1 and 65535"),
        ("[server]\nworkers = 0\n", "workers must be positive"),
        ('[server]\ncertfile = "c.pem"\n', "go together"),
        ("[server\n", "server.toml:1: not a valid TOML file"),
        ("[server]\ntoken_minutes = true\n", "token_minutes must be a number"),
    ],
)
def test_bad_values_are_named(tmp_path, text, message):
    with pytest.raises(ServerConfigError, match=message):
        load_config(write(tmp_path, text))


def test_missing_explicit_file(tmp_path):
    with pytest.raises(ServerConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
