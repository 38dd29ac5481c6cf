"""The listener's per-address limits: connection counts and the growing AUTH delay."""

from __future__ import annotations

from viewer.relay.guard import ADDRESSES_MAX, AUTH_DELAY_MAX, AUTH_MEMORY, ClientGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_connections_capped_in_total_and_per_address():
    guard = ClientGuard(max_connections=3, max_per_client=2, auth_delay=1.0)
    assert guard.admit("10.0.0.1") is None and guard.admit("10.0.0.1") is None
    assert "listener.max_connections_per_client" in guard.admit("10.0.0.1")
    assert guard.admit("10.0.0.2") is None
    assert "listener.max_connections" in guard.admit("10.0.0.3")
    guard.release("10.0.0.1")
    assert guard.admit("10.0.0.3") is None
    assert guard.per_client == {"10.0.0.1": 1, "10.0.0.2": 1, "10.0.0.3": 1}


def test_auth_delay_grows_then_is_capped_then_forgiven():
    clock = Clock()
    guard = ClientGuard(max_connections=10, max_per_client=10, auth_delay=1.0, clock=clock)
    assert guard.auth_delay("10.0.0.1") == 0.0
    delays = []
    for _ in range(8):
        guard.auth_failed("10.0.0.1")
        delays.append(guard.auth_delay("10.0.0.1"))
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, AUTH_DELAY_MAX, AUTH_DELAY_MAX, AUTH_DELAY_MAX]
    assert guard.auth_delay("10.0.0.2") == 0.0  # another address is not slowed down
    clock.now += AUTH_MEMORY + 1
    assert guard.failures("10.0.0.1") == 0 and guard.auth_delay("10.0.0.1") == 0.0


def test_failure_table_is_bounded():
    guard = ClientGuard(max_connections=10, max_per_client=10, auth_delay=1.0)
    for n in range(ADDRESSES_MAX + 10):
        guard.auth_failed(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
    assert guard.failures("10.0.0.0") == 0  # the oldest forgotten first
    assert guard.failures(f"10.0.{(ADDRESSES_MAX + 9) >> 8 & 255}.{(ADDRESSES_MAX + 9) & 255}") == 1
