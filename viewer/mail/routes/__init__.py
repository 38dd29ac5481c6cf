"""Routes that carry a composed message: one module per route behind one contract (base.Route)."""

from viewer.mail.routes.base import (
    ConfigurationError,
    Envelope,
    PermanentError,
    RecipientResult,
    Route,
    RouteError,
    SendResult,
    TemporaryError,
)

__all__ = [
    "ConfigurationError",
    "Envelope",
    "PermanentError",
    "RecipientResult",
    "Route",
    "RouteError",
    "SendResult",
    "TemporaryError",
]
