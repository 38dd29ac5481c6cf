"""Choosing the route from the settings (and the connected-mode switches)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from viewer import paths
from viewer.mail.routes.base import ConfigurationError
from viewer.mail.routes.memory import MemoryRoute
from viewer.mail.routes.pickup import PickupRoute
from viewer.mail.routes.select import (
    LOCAL,
    NOT_CONNECTED,
    SERVER,
    UNREACHABLE,
    ServerState,
    choose,
    decide,
    route_by_name,
    wants_server,
)
from viewer.mail.routes.server import ServerRoute
from viewer.mail.routes.smtp import SmtpRoute
from viewer.settings import Settings


class FakeConnection:
    """Stands for viewer.connection.Connection in the pure decision tests (no server needed)."""

    def __init__(self, connected: bool, problem: str = "") -> None:
        self.is_connected = connected
        self.url = "https://erp.example.com"
        self.name = "erp"
        self._problem = problem

    def problem(self) -> str:
        return self._problem


def notes() -> tuple[list[tuple[str, str]], Callable[[str, str], None]]:
    seen: list[tuple[str, str]] = []
    return seen, lambda kind, text: seen.append((kind, text))


def test_fresh_user_gets_the_pickup_folder_in_the_data_folder():
    choice = choose(Settings())
    assert isinstance(choice.route, PickupRoute)
    assert choice.route.folder == paths.data_dir() / "pickup"
    assert choice.text == f"pickup folder {choice.route.folder}"
    assert choice.decision.label == LOCAL and choice.decision.fallback == ""


def test_send_direct_gives_smtp():
    settings = Settings()
    settings.functions.send_direct = True
    settings.functions.host = "smtp.example.com"
    seen, trace = notes()
    choice = choose(settings, trace=trace, password="x")
    assert isinstance(choice.route, SmtpRoute) and choice.route.where == "smtp.example.com:25"
    assert choice.text == "SMTP server smtp.example.com:25 (no TLS)"
    settings.functions.ssl = True
    assert choose(settings, password="x").text == "SMTP server smtp.example.com:587 (STARTTLS)"
    assert any("direct SMTP to smtp.example.com:25" in text for _, text in seen)


def test_send_direct_without_host_is_a_configuration_error():
    settings = Settings()
    settings.functions.send_direct = True
    with pytest.raises(ConfigurationError, match="server name"):
        choose(settings)


def on_server(direct: bool) -> Settings:
    settings = Settings()
    settings.functions.send_direct = direct
    settings.functions.host = "smtp.example.com"
    settings.functions.use_server_functions = True
    settings.service.use_server_service = True
    return settings


@pytest.mark.parametrize("direct", [False, True])
def test_server_switch_without_connection_sends_locally_and_says_so(direct):
    seen, trace = notes()
    choice = choose(on_server(direct), FakeConnection(False), trace=trace, password="")
    assert isinstance(choice.route, SmtpRoute if direct else PickupRoute)
    assert choice.decision.fallback == NOT_CONNECTED and choice.decision.label == "local"
    assert "not connected" in choice.decision.reason and "sending locally" in choice.decision.reason
    assert any("not connected" in text for _, text in seen)


def test_server_switch_connected_uses_the_server_route():
    seen, trace = notes()
    choice = choose(on_server(False), FakeConnection(True), trace=trace)
    assert isinstance(choice.route, ServerRoute)
    assert choice.decision.label == SERVER
    assert choice.text == "application server erp (https://erp.example.com)"
    assert any(text.startswith("server:") for _, text in seen)


@pytest.mark.parametrize("direct", [False, True])
def test_server_switch_connected_but_server_down_sends_locally(direct):
    down = FakeConnection(True, problem="cannot reach the application server at https://erp.example.com")
    choice = choose(on_server(direct), down, password="")
    assert isinstance(choice.route, SmtpRoute if direct else PickupRoute)
    assert choice.decision.fallback == UNREACHABLE
    assert choice.decision.label == "local after server failure: cannot reach the application server at https://erp.example.com"
    assert "application server" not in choice.description  # the route named is the route used
    assert choice.text.endswith("(local after server failure: cannot reach the application server at https://erp.example.com)")


def test_decide_is_pure_and_reads_a_known_state():
    state = ServerState(connected=True, answering=False, name="erp", url="https://erp.example.com", problem="")
    decision = decide(on_server(False), state)
    assert decision.kind == LOCAL and decision.fallback == UNREACHABLE
    assert "https://erp.example.com does not answer" in decision.label
    assert decide(on_server(False), ServerState(connected=True, name="erp")).kind == SERVER
    failed = decide(on_server(False), ServerState(connected=True, name="erp")).after_failure("connection refused")
    assert failed.label == "local after server failure: connection refused"


def test_switch_off_ignores_the_connection():
    choice = choose(Settings(), FakeConnection(True))
    assert isinstance(choice.route, PickupRoute) and choice.decision.label == LOCAL


def test_via_server_insists():
    with pytest.raises(ConfigurationError, match="spoolview connect"):
        choose(Settings(), None, via_server=True)
    assert isinstance(choose(Settings(), FakeConnection(True), via_server=True).route, ServerRoute)


def test_switches():
    s = Settings()
    assert not wants_server(s)
    s.service.use_server_service = True
    assert wants_server(s)
    s.functions.send_direct = True
    assert not wants_server(s)
    s.functions.use_server_functions = True
    assert wants_server(s)


def test_route_by_name():
    settings = Settings()
    settings.functions.host = "h"
    assert isinstance(route_by_name("pickup", settings), PickupRoute)
    assert isinstance(route_by_name("smtp", settings, password=""), SmtpRoute)
    assert isinstance(route_by_name("memory", settings), MemoryRoute)
    with pytest.raises(ConfigurationError, match="connect"):
        route_by_name("server", settings)
    with pytest.raises(ConfigurationError, match="unknown route"):
        route_by_name("carrier-pigeon", settings)
