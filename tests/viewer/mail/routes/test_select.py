"""Choosing the route from the settings (and the connected-mode switches)."""

from __future__ import annotations

import pytest

from viewer import paths
from viewer.mail.routes.base import ConfigurationError
from viewer.mail.routes.memory import MemoryRoute
from viewer.mail.routes.pickup import PickupRoute
from viewer.mail.routes.select import describe, is_connected, route_by_name, route_for
from viewer.mail.routes.server import ServerRoute
from viewer.mail.routes.smtp import SmtpRoute
from viewer.settings import Settings


class FakeConnection:
    def __init__(self, connected: bool) -> None:
        self.is_connected = connected
        self.url = "https://erp.example.com"
        self.name = "erp"


def notes() -> tuple[list[tuple[str, str]], callable]:
    seen: list[tuple[str, str]] = []
    return seen, lambda kind, text: seen.append((kind, text))


def test_fresh_user_gets_the_pickup_folder_in_the_data_folder():
    route = route_for(Settings())
    assert isinstance(route, PickupRoute)
    assert route.folder == paths.data_dir() / "pickup"
    assert describe(route) == f"pickup folder {route.folder}"


def test_send_direct_gives_smtp():
    settings = Settings()
    settings.functions.send_direct = True
    settings.functions.host = "smtp.example.com"
    seen, trace = notes()
    route = route_for(settings, trace=trace, password="x")
    assert isinstance(route, SmtpRoute) and route.where == "smtp.example.com:25"
    assert describe(route) == "SMTP server smtp.example.com:25 (no TLS)"
    settings.functions.ssl = True
    assert describe(route_for(settings, password="x")) == "SMTP server smtp.example.com:587 (STARTTLS)"
    assert any("direct SMTP to smtp.example.com:25" in text for _, text in seen)


def test_send_direct_without_host_is_a_configuration_error():
    settings = Settings()
    settings.functions.send_direct = True
    with pytest.raises(ConfigurationError, match="server name"):
        route_for(settings)


@pytest.mark.parametrize("direct", [False, True])
def test_server_switch_without_connection_sends_locally_and_says_so(direct):
    settings = Settings()
    settings.functions.send_direct = direct
    settings.functions.host = "smtp.example.com"
    settings.functions.use_server_functions = True
    settings.service.use_server_service = True
    seen, trace = notes()
    route = route_for(settings, connection=FakeConnection(False), trace=trace, password="")
    assert isinstance(route, SmtpRoute if direct else PickupRoute)
    assert any("not connected" in text and "sending locally" in text for _, text in seen)


def test_server_switch_connected_uses_the_server_route():
    settings = Settings()
    settings.service.use_server_service = True
    seen, trace = notes()
    route = route_for(settings, connection=FakeConnection(True), trace=trace)
    assert isinstance(route, ServerRoute)
    assert describe(route) == "application server https://erp.example.com"
    assert any("sending from the application server" in text for _, text in seen)


@pytest.mark.parametrize("direct", [False, True])
def test_server_switch_connected_but_server_down_sends_locally(direct):
    settings = Settings()
    settings.functions.send_direct, settings.functions.host = direct, "smtp.example.com"
    settings.functions.use_server_functions = settings.service.use_server_service = True
    down = FakeConnection(True)
    down.reachable = lambda: False
    seen, trace = notes()
    route = route_for(settings, connection=down, trace=trace, password="")
    assert isinstance(route, SmtpRoute if direct else PickupRoute)
    assert any("https://erp.example.com does not answer: sending locally" in text for _, text in seen)


def test_switch_off_ignores_the_connection():
    assert isinstance(route_for(Settings(), connection=FakeConnection(True)), PickupRoute)


def test_is_connected_variants():
    assert not is_connected(None)
    assert is_connected(FakeConnection(True))

    class Old:
        connected = True

    assert is_connected(Old())


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
