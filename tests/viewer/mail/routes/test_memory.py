"""The in-memory route used by tests of callers."""

from __future__ import annotations

import pytest

from viewer.mail.routes.base import Envelope, PermanentError, TemporaryError
from viewer.mail.routes.memory import MemoryRoute

ENV = Envelope("a@example.com", ("b@example.org", "c@example.org"))


def test_keeps_messages():
    route = MemoryRoute()
    result = route.send(b"Subject: x\r\n\r\nhi", ENV)
    assert result.ok and route.sent == [(b"Subject: x\r\n\r\nhi", ENV)]
    assert route.messages == [b"Subject: x\r\n\r\nhi"]


def test_scripted_partial_refusal():
    route = MemoryRoute(refuse={"c@example.org": "550 5.1.1 unknown"})
    result = route.send(b"x", ENV)
    assert not result.ok
    assert [(r.address, r.code, r.temporary) for r in result.refused] == [("c@example.org", 550, False)]
    assert len(route.sent) == 1


@pytest.mark.parametrize(("reply", "error"), [("450 busy", TemporaryError), ("550 no", PermanentError)])
def test_all_refused_raises(reply, error):
    route = MemoryRoute(refuse={"b@example.org": reply, "c@example.org": reply})
    with pytest.raises(error) as info:
        route.send(b"x", ENV)
    assert [r.address for r in info.value.results] == list(ENV.recipients)
    assert route.sent == []


def test_scripted_errors_in_order_then_success_and_batch_opens_once():
    route = MemoryRoute(errors=[TemporaryError("down")])
    results = route.send_many([(b"1", ENV), (b"2", ENV)])
    assert isinstance(results[0], TemporaryError) and results[1].ok
    assert (route.opened, route.closed) == (1, 1)
    assert route.messages == [b"2"]


def test_no_recipient():
    with pytest.raises(PermanentError):
        MemoryRoute().send(b"x", Envelope("a@x", ()))
