"""The server's way out: its own Settings (route, journal folders) and the mail road's outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viewer import tomlconfig
from viewer.errors import SpoolviewError
from viewer.mail.credentials import is_loopback
from viewer.mail.outbox import Outbox
from viewer.mail.routes.base import Envelope, PermanentError, RecipientResult, Route, RouteError
from viewer.server.config import ServerConfig, ServerConfigError
from viewer.settings import SECTIONS, Settings
from viewer.settings import load as load_settings

log = logging.getLogger(__name__)

RouteFactory = Callable[[], Route]


def server_settings(config: ServerConfig) -> Settings:
    """The viewer Settings the server sends with: ``settings_file`` then the ``route`` table.

    The connected-mode switches are forced off: the server always sends by itself.
    """
    if config.settings_file:
        path = Path(config.settings_file)
        if not path.exists():
            raise ServerConfigError(f"route settings file {path} not found: check settings_file in the server configuration")
        settings = load_settings(path)
    else:
        settings = Settings()
    apply_table(settings, config.route, source=str(config.path or "server configuration"))
    settings.functions.use_server_functions = False
    settings.service.use_server_service = False
    fn = settings.functions
    if fn.send_direct and (settings.environment.smtp_user or fn.auth == "oauth2") and not fn.ssl and not is_loopback(fn.host):
        raise ServerConfigError(
            f"{config.path or 'server configuration'}: the route logs in to {fn.host} without TLS, which would send the "
            "password or token unencrypted over the network; set route.functions.ssl = true (STARTTLS on port 587)"
        )
    return settings


def apply_table(settings: Settings, table: dict[str, Any], *, source: str = "server configuration") -> None:
    """Set ``settings.<section>.<key>`` from a ``{section: {key: value}}`` mapping, type-checked
    by the one TOML loader (viewer.tomlconfig).

    ``environment`` sets the active environment's ``smtp_user`` / ``smtp_password``.
    Errors name ``source`` (the file) and the key, never a value (it may be a password).
    """
    toml = tomlconfig.TomlFile(source, error=ServerConfigError, hide=lambda dotted: True)
    for section, values in table.items():
        target: Any
        if section == "environment":
            target = settings.environment
        elif section in SECTIONS:
            target = getattr(settings, section)
        else:
            raise ServerConfigError(f"{source}: route.{section} is not a settings section "
                                    f"(known: environment, {', '.join(SECTIONS)})")
        toml.load(target, values, ("route", section))


@dataclass
class Delivery:
    """What the server's route did with one message."""

    ok: bool
    route: str
    recipients: list[RecipientResult] = field(default_factory=list)
    detail: str = ""
    message_id: str = ""
    error: RouteError | None = None
    notes: list[str] = field(default_factory=list)  # what failed after the route answered (journal, copies)


class Deliverer:
    """Delivers posted messages through ``viewer.mail.outbox.Outbox`` (journal, copies).

    ``route_factory`` replaces the route the settings choose (tests, benchmarks); a new
    Outbox and route are made per message, so concurrent requests share no connection.
    """

    def __init__(self, settings: Settings, route_factory: RouteFactory | None = None) -> None:
        self.settings = settings
        self.route_factory = route_factory

    def deliver(self, raw: bytes, envelope: Envelope, *, subject: str = "", document: str = "") -> Delivery:
        route = self.route_factory() if self.route_factory else None
        try:
            outcome = Outbox(self.settings, route=route).send((raw, envelope), subject=subject, document=document)
        except RouteError as exc:
            return self._failed(getattr(route, "name", "server"), envelope, exc)
        except SpoolviewError as exc:  # nothing sendable: refused before any route ran
            return self._failed(getattr(route, "name", "server"), envelope, PermanentError(str(exc)))
        error = outcome.error
        result = outcome.result
        detail = result.detail if result is not None else str(error or "")
        if outcome.notes:
            log.warning("send %s: %s", outcome.message_id, "; ".join(outcome.notes))
        return Delivery(outcome.ok, outcome.route_name, outcome.recipient_results(), detail, outcome.message_id, error, list(outcome.notes))

    @staticmethod
    def _failed(route: str, envelope: Envelope, error: RouteError) -> Delivery:
        results = error.recipient_results(envelope.recipients, reply=error.reply or str(error))
        return Delivery(False, route, results, str(error), error=error)
