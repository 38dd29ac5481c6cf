"""The client address of a request: the peer, or X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BadProxy(ValueError):
    """A ``trusted_proxies`` entry that is not an address or network."""


def networks(entries: Iterable[str]) -> list[Network]:
    """Parse ``trusted_proxies`` (addresses or CIDR networks); BadProxy names a wrong entry."""
    out: list[Network] = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise BadProxy(f"trusted_proxies: {entry!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/24)") from None
    return out


def _trusted(host: str, trusted: list[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: list[Network]) -> str:
    """The address to count logins against.

    With no trusted proxy (the default) it is always ``peer``, whatever the request says.
    When ``peer`` is a trusted proxy, the right-most X-Forwarded-For entry that is not
    itself a trusted proxy (a client can put anything on the left of the list).
    """
    if not trusted or not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:100]
    return hops[0][:100] if hops else peer
