"""Address routing (S3): turn an EMAIL/EMAIL2/FAX/FAX2 address into the address mail goes to."""

from __future__ import annotations

import re

from viewer.errors import SpoolviewError
from viewer.mail.compose import addr_spec_problem, check_addr_spec
from viewer.records import record
from viewer.settings import ADDRESS_TYPES, Settings

__all__ = ["PLACEHOLDER", "SERVICES", "Routed", "RoutingError", "normalise_fax", "route", "route_all", "route_mailbox"]

PLACEHOLDER = "%ADR%"
SERVICES = ("SERV_SMTP",)  # the only way out spoolview knows: SMTP (pickup or direct)
FAX_TYPES = ("FAX", "FAX2")
_FAX_JUNK = re.compile(r"[\s.\-()/]")
_FAX_RE = re.compile(r"\+?[0-9]{3,20}")


class RoutingError(SpoolviewError):
    """An address cannot be routed; the message names the template and the address."""


@record(frozen=True)
class Routed:
    """Where one address goes: the service, the final address, and how it was obtained."""

    service: str
    address: str
    address_type: str
    template: str


def normalise_fax(number: str) -> str:
    """Drop spaces, dots, dashes, slashes and parentheses from a fax number; keep a leading +."""
    return _FAX_JUNK.sub("", number.strip())


def _setting_key(address_type: str) -> str:
    return f"routing.{address_type.lower()}"


def route(settings: Settings, address_type: str, address: str) -> Routed:
    """Apply the S3 template of ``address_type`` to ``address``; raise RoutingError if it cannot."""
    kind = address_type.strip().upper()
    if kind not in ADDRESS_TYPES:
        raise RoutingError(f"unknown address type {address_type!r}: use one of {', '.join(ADDRESS_TYPES)}")
    key = _setting_key(kind)
    template = settings.routing.template(kind).strip()
    if not template:
        example = "SERV_SMTP:%ADR%@fax.example.com" if kind in FAX_TYPES else "SERV_SMTP:%ADR%"
        raise RoutingError(
            f"address type {kind} is not configured: fill Settings > Address routing > {kind} "
            f"(setting {key}), e.g. {example}"
        )
    service, sep, pattern = template.partition(":")
    service = service.strip().upper()
    if not sep or service not in SERVICES:
        raise RoutingError(
            f"routing template {template!r} ({key}) for {address!r}: unknown prefix {service or template!r}; "
            f"spoolview supports {', '.join(p + ':' for p in SERVICES)} only"
        )
    if PLACEHOLDER not in pattern.upper():
        raise RoutingError(
            f"routing template {template!r} ({key}) has no {PLACEHOLDER}: "
            f"write where the address goes, e.g. {service}:{PLACEHOLDER}"
        )
    value = address.strip()
    if not value:
        raise RoutingError(f"no {kind} address to route with template {template!r}")
    if kind in FAX_TYPES and "@" not in value:
        value = normalise_fax(value)
        if not _FAX_RE.fullmatch(value):
            raise RoutingError(
                f"fax number {address!r} ({kind}, template {template!r}) is not a number: "
                "use digits, optionally a leading + and spaces, dots, dashes or parentheses"
            )
    final = re.sub(re.escape(PLACEHOLDER), lambda _: value, pattern, flags=re.IGNORECASE).strip()
    problem = addr_spec_problem(final)
    if problem:
        raise RoutingError(
            f"routing {address!r} ({kind}) with template {template!r} gives {final!r}, "
            f"which is not a valid e-mail address: {problem}"
        )
    final = check_addr_spec(final, "routed address")
    return Routed(service=service, address=final, address_type=kind, template=template)


def route_all(settings: Settings, address_type: str, addresses: list[str]) -> list[Routed]:
    """Route several addresses of one type (all or nothing: the first bad one raises)."""
    return [route(settings, address_type, a) for a in addresses]


def route_mailbox(settings: Settings, address_type: str, text: str) -> str:
    """Route ``Name <address>`` or a bare address/fax number; keep the display name.

    For callers holding what a user typed: a fax number with spaces is routed before any
    e-mail syntax check, so ``03 88 12 34 56`` works as well as ``Jean <jean@client.fr>``.
    """
    text = text.strip()
    name = ""
    if text.endswith(">") and "<" in text:
        cut = text.rindex("<")
        name, text = text[:cut].strip(), text[cut + 1 : -1]
    final = route(settings, address_type, text).address
    return f"{name} <{final}>" if name else final
