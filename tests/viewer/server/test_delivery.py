"""The server's route settings and delivery through the outbox (journal included)."""

from __future__ import annotations

import pytest

from viewer.mail.routes.base import Envelope, TemporaryError
from viewer.mail.routes.memory import MemoryRoute
from viewer.server.config import ServerConfig, ServerConfigError
from viewer.server.delivery import Deliverer, server_settings
from viewer.settings import Settings, save

RAW = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: Devis 7\r\nMessage-ID: <m7@example.com>\r\n\r\nbody\r\n"
ENV = Envelope("a@example.com", ("b@example.org", "c@example.org"))


def copies(tmp_path):
    return {"sent_folder": str(tmp_path / "sent"), "error_folder": str(tmp_path / "errors"), "log_folder": str(tmp_path / "log")}


def test_route_table_applies_and_server_switches_are_forced_off(tmp_path):
    config = ServerConfig(route={"functions": {"send_direct": True, "host": "smtp.example.com", "port": 2525, "ssl": True, "use_server_functions": True, "timeout": 5}, "environment": {"smtp_user": "u"}})
    settings = server_settings(config)
    assert settings.functions.send_direct and settings.functions.host == "smtp.example.com"
    assert settings.functions.port == 2525 and settings.functions.timeout == 5.0
    assert settings.functions.use_server_functions is False
    assert settings.environment.smtp_user == "u"


def test_settings_file_then_table(tmp_path):
    base = Settings()
    base.functions.host = "from-file.example.com"
    base.service.use_server_service = True
    save(base, tmp_path / "route.toml")
    settings = server_settings(ServerConfig(settings_file=str(tmp_path / "route.toml"), route={"functions": {"port": 26}}))
    assert settings.functions.host == "from-file.example.com"
    assert settings.functions.port == 26
    assert settings.service.use_server_service is False


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ({"nosuch": {"a": 1}}, "not a settings section"),
        ({"functions": {"nosuch": 1}}, "unknown key route.functions.nosuch"),
        ({"functions": {"port": "25"}}, "must be a whole number"),
        ({"functions": {"send_direct": 1}}, "must be true or false, found [(]hidden[)]"),
        ({"environment": {"smtp_password": 1234}}, "route.environment.smtp_password must be a text"),
        ({"functions": 3}, "must be a table"),
    ],
)
def test_bad_route_tables_are_named(route, message):
    with pytest.raises(ServerConfigError, match=message):
        server_settings(ServerConfig(route=route))


def test_missing_settings_file(tmp_path):
    with pytest.raises(ServerConfigError, match="not found"):
        server_settings(ServerConfig(settings_file=str(tmp_path / "none.toml")))


def test_delivery_reports_per_recipient_and_journals(tmp_path):
    memory = MemoryRoute(refuse={"c@example.org": "550 5.1.1 unknown"})
    deliverer = Deliverer(server_settings(ServerConfig(route={"copies": copies(tmp_path)})), lambda: memory)
    delivery = deliverer.deliver(RAW, ENV, subject="Devis 7", document="devis 7")
    assert not delivery.ok
    assert [(r.address, r.accepted) for r in delivery.recipients] == [("b@example.org", True), ("c@example.org", False)]
    assert delivery.message_id == "<m7@example.com>"
    assert memory.sent[0][0] == RAW
    log = (tmp_path / "log" / "Smtp.log").read_text(encoding="utf-8", errors="replace")
    assert "Devis 7" in log and "c@example.org" in log


def test_whole_message_failure_is_carried_as_an_error(tmp_path):
    memory = MemoryRoute(errors=[TemporaryError("421 try later", code=421, reply="421 busy")])
    deliverer = Deliverer(server_settings(ServerConfig(route={"copies": copies(tmp_path)})), lambda: memory)
    delivery = deliverer.deliver(RAW, ENV)
    assert not delivery.ok
    assert delivery.error.kind == "temporary"
    assert all(not r.accepted and r.temporary for r in delivery.recipients)
    assert list((tmp_path / "errors").iterdir())  # the error copy is kept


def test_unconfigured_smtp_route_is_a_configuration_error(tmp_path):
    deliverer = Deliverer(server_settings(ServerConfig(route={"functions": {"send_direct": True}, "copies": copies(tmp_path)})))
    delivery = deliverer.deliver(RAW, ENV)
    assert not delivery.ok
    assert delivery.error.kind == "configuration"
