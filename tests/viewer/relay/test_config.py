"""relay.toml loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.relay.config import ConfigError, RelayConfig, default_config_path, from_dict, load_config

ROOT = Path(__file__).resolve().parents[3]

MINIMAL = {"queue": {"folder": "/tmp/q"}, "smarthost": {"host": "smtp.example.com"}}


def test_example_config_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("RELAY_SMARTHOST_PASSWORD", "s3cret")
    config = load_config(ROOT / "samples" / "relay.example.toml")
    assert config.smarthost.host
    assert config.listener.host == "127.0.0.1"
    assert config.listener.relay_networks == ["127.0.0.1/32", "::1/128"]


def test_defaults_are_safe_and_like_iis():
    config = from_dict(MINIMAL)
    assert config.listener.host == "127.0.0.1"
    assert config.listener.relay_networks == ["127.0.0.1/32", "::1/128"]
    assert (config.listener.max_recipients, config.listener.max_connections, config.listener.max_connections_per_client) == (100, 100, 10)
    assert config.retry.schedule == [900.0, 1800.0, 3600.0]
    assert config.retry.interval == 14400.0
    assert config.retry.max_age == 2 * 24 * 3600
    assert [config.retry.delay(n) for n in (1, 2, 3, 4, 9)] == [900, 1800, 3600, 14400, 14400]
    assert config.smarthost.effective_port == 25
    assert config.badmail_dir == Path("/tmp/q/badmail")
    assert config.report_sender.startswith("MAILER-DAEMON@")


def test_relative_paths_are_relative_to_the_file(tmp_path):
    f = tmp_path / "relay.toml"
    f.write_text('[queue]\nfolder = "q"\n[pickup]\nfolder = "pickup"\n[smarthost]\nhost = "h"\nsecurity = "tls"\n')
    config = load_config(f)
    assert config.queue_dir == tmp_path / "q"
    assert Path(config.pickup.folder) == tmp_path / "pickup"
    assert config.smarthost.effective_port == 465
    assert config.path == f


@pytest.mark.parametrize(
    "data, words",
    [
        ({"smarthost": {"host": "h"}}, "queue.folder is required"),
        ({"queue": {"folder": "q"}}, "smarthost.host is required"),
        ({**MINIMAL, "smarthost": {"host": "h", "security": "ssl"}}, "smarthost.security"),
        ({**MINIMAL, "bogus": {}}, "unknown key bogus (known: listener, log, pickup, queue, reports, retry, smarthost)"),
        ({**MINIMAL, "queue": {"folder": "q", "colour": 1}}, "unknown key queue.colour"),
        ({**MINIMAL, "queue": {"folder": 3}}, "queue.folder must be a text in quotes (\"…\"), found 3"),
        ({**MINIMAL, "smarthost": {"host": "h", "port": "587"}}, "smarthost.port must be a whole number, found '587'"),
        ({**MINIMAL, "pickup": {"events": "yes"}}, "pickup.events must be true or false, found 'yes'"),
        ({**MINIMAL, "listener": {"relay_networks": ["everyone"]}}, "'everyone' is not a network"),
        ({**MINIMAL, "listener": {"users": {"bob": "pw"}}}, "AUTH is only offered over TLS"),
        ({**MINIMAL, "listener": {"require_tls": True}}, "require_tls needs"),
        ({**MINIMAL, "listener": {"tls_cert": "/nonexistent.pem"}}, "go together"),
        ({**MINIMAL, "listener": {"tls_cert": "/nonexistent.pem", "tls_key": "/nonexistent.key"}}, "does not exist"),
        ({**MINIMAL, "smarthost": {"host": "h", "password": "pw"}}, "smarthost.password is set but smarthost.user is empty"),
        ({**MINIMAL, "smarthost": {"host": "h", "password_env": "PW"}}, "smarthost.password_env (PW) is set but smarthost.user"),
        ({**MINIMAL, "smarthost": {"host": "h", "connections": 0}}, "connections"),
        ({**MINIMAL, "smarthost": {"host": "h", "ca_file": "/nonexistent/ca.pem"}}, "ca_file"),
        ({**MINIMAL, "retry": {"schedule": [-1]}}, "retry.schedule"),
        ({**MINIMAL, "retry": {"max_age": 0}}, "retry.max_age"),
        ({**MINIMAL, "reports": {"copies": ["nobody"]}}, "not an e-mail address"),
        ({**MINIMAL, "queue": {"folder": "q", "max_message_size": 0}}, "max_message_size"),
        ({**MINIMAL, "pickup": {"scan_interval": 0}}, "scan_interval"),
        ({**MINIMAL, "pickup": {"settle_seconds": -1}}, "settle_seconds"),
        ({**MINIMAL, "queue": []}, "must be a table"),
        ({**MINIMAL, "log": {"level": "verbose"}}, "log.level must be one of DEBUG, INFO, WARNING, ERROR, not 'verbose'"),
        ({**MINIMAL, "listener": {"max_recipients": 0}}, "listener.max_recipients must be 1 or more"),
        ({**MINIMAL, "listener": {"max_connections_per_client": 0}}, "listener.max_connections_per_client must be 1 or more"),
        ({**MINIMAL, "listener": {"idle_timeout": 0}}, "listener.idle_timeout must be above 0"),
        ({**MINIMAL, "listener": {"auth_delay": -1}}, "listener.auth_delay must be 0 or more"),
        ({**MINIMAL, "listener": {"processes": -1}}, "listener.processes must be between 0 (one per CPU core) and 64"),
        ({**MINIMAL, "listener": {"processes": 65}}, "listener.processes must be between 0 (one per CPU core) and 64"),
    ],
)
def test_bad_values_are_named(data, words):
    with pytest.raises(ConfigError) as err:
        from_dict(data)
    assert words in str(err.value)


def test_password_never_in_errors_or_repr():
    with pytest.raises(ConfigError) as err:
        from_dict({**MINIMAL, "smarthost": {"host": "h", "security": "starttls", "user": "u", "password": 12345}})
    assert "12345" not in str(err.value)
    config = from_dict({**MINIMAL, "smarthost": {"host": "h", "security": "starttls", "user": "u", "password": "topsecret"}})
    assert "topsecret" not in repr(config.smarthost)
    assert "topsecret" not in repr(config)


def test_password_env_is_only_needed_to_log_in(monkeypatch):
    from viewer.relay.config import check_password_env

    monkeypatch.delenv("NO_SUCH_VAR_X", raising=False)
    config = from_dict({**MINIMAL, "smarthost": {"host": "h", "security": "starttls", "user": "u", "password_env": "NO_SUCH_VAR_X"}})  # status, flush
    with pytest.raises(ConfigError, match="NO_SUCH_VAR_X, which is not set in the environment: export NO_SUCH_VAR_X="):
        check_password_env(config)
    monkeypatch.setenv("NO_SUCH_VAR_X", "x")
    check_password_env(config)


def test_password_from_environment(monkeypatch):
    monkeypatch.setenv("RELAY_PW", "from-env")
    config = from_dict({**MINIMAL, "smarthost": {"host": "h", "security": "starttls", "user": "u", "password_env": "RELAY_PW"}})
    assert config.smarthost.secret() == "from-env"


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[queue\n")
    with pytest.raises(ConfigError, match=r"bad.toml:1: not a valid TOML file"):
        load_config(bad)
    assert default_config_path().name == "relay.toml"
    with pytest.raises(ConfigError, match="no such file"):
        load_config()


def test_dataclass_defaults_construct():
    assert isinstance(RelayConfig(), RelayConfig)


def test_default_networks_let_both_loopbacks_relay_and_nobody_else():
    import ipaddress

    from viewer.relay.listener import relay_allowed

    nets = [ipaddress.ip_network(n) for n in from_dict(MINIMAL).listener.relay_networks]
    assert relay_allowed("127.0.0.1", nets, False) and relay_allowed("::1", nets, False)
    assert relay_allowed("::ffff:127.0.0.1", nets, False)
    assert not relay_allowed("::2", nets, False) and not relay_allowed("10.0.0.1", nets, False)


def test_listener_processes_default_to_the_cores_this_process_may_use(monkeypatch):
    import sys

    from viewer.relay.config import listener_processes

    config = from_dict(MINIMAL)
    assert config.listener.processes == 0
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert listener_processes(config.listener) == 3
    assert listener_processes(from_dict({**MINIMAL, "listener": {"processes": 1}}).listener) == 1  # in the relay process
    monkeypatch.setattr(sys, "platform", "win32")
    assert listener_processes(config.listener) == 1  # no worker processes there
    with pytest.raises(ConfigError, match="listener.processes above 1 needs Linux"):
        from_dict({**MINIMAL, "listener": {"processes": 2}})


@pytest.mark.parametrize(("password", "words"), [
    ("", "the password of 'bob' is empty"),
    ("pw\u0007", "the password of 'bob' cannot be used: the password holds a control character (U+0007, character 3)"),
])
def test_a_listener_user_whose_password_cannot_be_sent_is_refused_at_load(tmp_path, password, words):
    pem = tmp_path / "server.pem"
    pem.write_text("x")
    data = {**MINIMAL, "listener": {"tls_cert": str(pem), "tls_key": str(pem), "users": {"bob": password}}}
    with pytest.raises(ConfigError) as caught:
        from_dict(data)
    assert words in str(caught.value)
    assert password not in str(caught.value) or not password
