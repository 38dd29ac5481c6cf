"""The listener's limits per client address: connections in total and per address, AUTH failures with a growing delay."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

__all__ = ["ClientGuard", "Guard", "AUTH_DELAY_MAX", "AUTH_MEMORY"]

AUTH_DELAY_MAX = 30.0  # seconds: the longest wait before an AUTH from a failing address is answered
AUTH_MEMORY = 900.0  # seconds after its last failure an address is forgiven
ADDRESSES_MAX = 4096  # addresses remembered at most (the oldest are forgotten first)

log = logging.getLogger("viewer.relay.listener")


class Guard(Protocol):
    """What a session asks of the limits: this process's ClientGuard, or a worker's link to the relay process's."""

    def admit(self, address: str) -> str | None: ...

    def release(self, address: str) -> None: ...

    def failed_login(self, address: str, user: str, on_connection: int) -> None: ...

    async def auth_wait(self, address: str) -> float: ...


class ClientGuard:
    """Counts what each client address holds and how often it failed to log in.

    Used from the listener's event loop only (one thread). ``admit``/``release`` pair
    around a connection; ``auth_failed`` records a wrong password and ``auth_delay`` says
    how long the next AUTH from that address waits: ``auth_delay`` seconds after the
    first failure, doubling with each one, at most AUTH_DELAY_MAX.
    """

    def __init__(self, *, max_connections: int, max_per_client: int, auth_delay: float,
                 clock=time.monotonic) -> None:
        self.max_connections = max_connections
        self.max_per_client = max_per_client
        self.base_delay = auth_delay
        self.clock = clock
        self.connections = 0
        self.per_client: dict[str, int] = {}
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # address -> (count, last time)

    # -- connections ------------------------------------------------------------------------
    def admit(self, address: str) -> str | None:
        """Count a new connection from ``address``; None when admitted, else why it is refused."""
        if self.connections >= self.max_connections:
            return f"too many connections ({self.max_connections}, listener.max_connections)"
        held = self.per_client.get(address, 0)
        if held >= self.max_per_client:
            return f"too many connections from {address} ({self.max_per_client}, listener.max_connections_per_client)"
        self.connections += 1
        self.per_client[address] = held + 1
        return None

    def release(self, address: str) -> None:
        """An admitted connection from ``address`` closed."""
        self.connections = max(0, self.connections - 1)
        held = self.per_client.get(address, 0) - 1
        if held > 0:
            self.per_client[address] = held
        else:
            self.per_client.pop(address, None)

    # -- authentication failures -------------------------------------------------------------
    def failures(self, address: str) -> int:
        """Wrong logins from ``address`` not yet forgiven."""
        entry = self._failures.get(address)
        if entry is None:
            return 0
        count, last = entry
        if self.clock() - last > AUTH_MEMORY:
            del self._failures[address]
            return 0
        return count

    def auth_failed(self, address: str) -> int:
        """Record a wrong login from ``address``; return its failure count."""
        count = self.failures(address) + 1
        self._failures[address] = (count, self.clock())
        self._failures.move_to_end(address)
        while len(self._failures) > ADDRESSES_MAX:
            self._failures.popitem(last=False)
        return count

    def failed_login(self, address: str, user: str, on_connection: int) -> None:
        """A wrong login from ``address`` (the ``on_connection``-th on its connection): counted and logged."""
        total = self.auth_failed(address)
        log.warning("authentication failed for user %r from %s (%d on this connection, %d from this address); "
                    "the next AUTH from there waits %.2f s", user, address, on_connection, total, self.auth_delay(address))

    async def auth_wait(self, address: str) -> float:
        """``auth_delay`` for a session (a worker process's guard asks the relay process instead)."""
        return self.auth_delay(address)

    def auth_delay(self, address: str) -> float:
        """Seconds the next AUTH from ``address`` waits before it is looked at (0 when it never failed)."""
        count = self.failures(address)
        if not count or self.base_delay <= 0:
            return 0.0
        return min(AUTH_DELAY_MAX, self.base_delay * 2 ** min(count - 1, 16))
