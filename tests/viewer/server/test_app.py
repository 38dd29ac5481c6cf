"""End-to-end tests of the application server: a real uvicorn server and a loopback smart host."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from sqlalchemy import update

from tests.support.sockets import recv_until
from tests.viewer.server.live import LiveServer, smtp_config
from viewer.server import db as dbmod

RAW = (
    b"From: Sales <sales@example.com>\r\n"
    b"To: Client <client@example.org>\r\n"
    b"Subject: Devis D-1001\r\n"
    b"Message-ID: <d1001@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Bonjour,\r\nveuillez trouver le devis.\r\n.leading dot line\r\n"
)
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def strip_trace(data: bytes) -> bytes:
    """The message without trace headers a route may put in front (Received, Return-Path)."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    while lines and lines[0].lower().startswith((b"received:", b"return-path:", b"x-spoolview")):
        lines.pop(0)
        while lines and lines[0][:1] in (b" ", b"\t"):
            lines.pop(0)
    return b"\n".join(lines)


@pytest.fixture
def server(tmp_path, smtpd):
    with LiveServer(smtp_config(tmp_path, smtpd, max_message_bytes=20_000), users=PASSWORDS) as live:
        yield live


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def login(client: httpx.Client, user: str = "alice") -> dict[str, str]:
    response = client.post("/login", json={"user": user, "password": PASSWORDS[user]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def send_body(raw: bytes = RAW, recipients=("client@example.org",), **extra):
    return {"message": b64(raw), "sender": "sales@example.com", "recipients": list(recipients), **extra}


def test_send_delivers_exact_bytes_and_returns_outcome(server, client, smtpd):
    headers = login(client)
    response = client.post("/send", headers=headers, json=send_body(recipients=["client@example.org", "boss@example.org"], document="devis D-1001"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["ok"] is True
    assert [(r["address"], r["accepted"]) for r in data["recipients"]] == [("client@example.org", True), ("boss@example.org", True)]
    assert data["message_id"] == "<d1001@example.com>"
    (received,) = smtpd.handler.wait_for(1)
    assert received.mail_from == "sales@example.com"
    assert received.rcpt_tos == ["client@example.org", "boss@example.org"]
    assert strip_trace(received.data) == strip_trace(RAW)


def test_refused_recipient_is_reported_with_the_reply(server, client, smtpd):
    smtpd.handler.rcpt_replies["nobody@example.org"] = "550 5.1.1 no such user"
    data = client.post("/send", headers=login(client), json=send_body(recipients=["client@example.org", "nobody@example.org"])).json()
    assert data["ok"] is False
    refused = [r for r in data["recipients"] if not r["accepted"]]
    assert refused == [{"address": "nobody@example.org", "accepted": False, "code": 550, "reply": refused[0]["reply"], "temporary": False}]
    assert "no such user" in refused[0]["reply"]
    assert smtpd.handler.wait_for(1)[0].rcpt_tos == ["client@example.org"]


def test_every_recipient_refused_gives_a_permanent_error(server, client, smtpd):
    smtpd.handler.rcpt_replies["nobody@example.org"] = "550 5.1.1 no such user"
    data = client.post("/send", headers=login(client), json=send_body(recipients=["nobody@example.org"])).json()
    assert data["ok"] is False
    assert data["error"]["kind"] == "permanent"
    assert data["recipients"][0]["accepted"] is False
    assert smtpd.messages == []


def test_smart_host_down_gives_a_temporary_error(tmp_path, smtpd):
    smtpd.stop()
    with LiveServer(smtp_config(tmp_path, smtpd), users=PASSWORDS) as live, httpx.Client(base_url=live.url) as c:
        data = c.post("/send", headers=login(c), json=send_body()).json()
    assert data["ok"] is False
    assert data["error"]["kind"] == "temporary"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged-token"}, {"Authorization": "Basic YTpi"}])
def test_missing_or_forged_token_gets_401(client, headers):
    for method, path in [("GET", "/directory/search"), ("POST", "/send"), ("GET", "/history/alice"), ("POST", "/logout"), ("POST", "/directory/lookup")]:
        response = client.request(method, path, headers=headers, json=send_body() if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        assert "log in" in response.json()["detail"]
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_gets_401_saying_so(server, client):
    headers = login(client)
    with server.db.engine.begin() as conn:
        conn.execute(update(dbmod.tokens).values(expires_at=time.time() - 1))
    response = client.get("/history/alice", headers=headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_logout_ends_the_token(client):
    headers = login(client)
    assert client.post("/logout", headers=headers).status_code == 204
    assert client.get("/history/alice", headers=headers).status_code == 401


def test_history_shows_own_sends_and_refuses_another_users(client, smtpd):
    alice = login(client)
    client.post("/send", headers=alice, json=send_body(document="devis D-1001"))
    items = client.get("/history/alice", headers=alice).json()
    assert len(items) == 1
    assert items[0]["document"] == "devis D-1001"
    assert items[0]["subject"] == "Devis D-1001"
    assert items[0]["ok"] is True
    assert items[0]["recipients"][0]["address"] == "client@example.org"
    bob = login(client, "bob")
    assert client.get("/history/bob", headers=bob).json() == []
    response = client.get("/history/alice", headers=bob)
    assert response.status_code == 403
    assert "your own" in response.json()["detail"]


def test_oversized_message_gets_413_and_nothing_is_sent(server, client, smtpd):
    headers = login(client)
    big = RAW + b"x" * 25_000
    response = client.post("/send", headers=headers, json=send_body(big))
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    huge = client.post("/send", headers=headers, content=b"{" + b" " * 200_000 + b"}", )
    assert huge.status_code == 413
    assert smtpd.messages == []
    assert client.get("/history/alice", headers=headers).json() == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"message": "not base64!!"}, "base64"),
        ({"message": b64(b"Subject: no from\r\n\r\nbody")}, "no From"),
        ({"message": b64(b"this is not a header\r\n\r\nbody")}, "malformed"),
        ({"message": b64(b"From: a@example.com\rBcc: x@example.org\r\n\r\nbody")}, "bare CR"),
        ({"message": b64(b"")}, "empty"),
        ({"recipients": ["client@example.org\r\nRCPT TO:<victim@example.net>"]}, "injection"),
        ({"recipients": ["not an address"]}, "not a valid"),
        ({"recipients": []}, "recipients"),
        ({"sender": "sales@example.com>\r\nX: y"}, "injection"),
        ({"subject": "hello\r\nBcc: x@example.org"}, "control character"),
    ],
)
def test_malformed_requests_get_422_with_a_reason_and_nothing_is_sent(client, smtpd, body, reason):
    headers = login(client)
    response = client.post("/send", headers=headers, json={**send_body(), **body})
    assert response.status_code == 422
    assert reason in str(response.json()["detail"])
    assert smtpd.messages == []
    assert client.get("/history/alice", headers=headers).json() == []


def test_failed_logins_are_rate_limited_per_user(client):
    for _ in range(5):
        assert client.post("/login", json={"user": "alice", "password": "wrong"}).status_code == 401
    response = client.post("/login", json={"user": "alice", "password": PASSWORDS["alice"]})
    assert response.status_code == 429
    assert "too many failed logins" in response.json()["detail"]
    assert int(response.headers["retry-after"]) > 0
    assert client.post("/login", json={"user": "bob", "password": PASSWORDS["bob"]}).status_code == 200


def test_an_address_over_its_failure_limit_keeps_out_the_names_that_failed_but_not_other_users(tmp_path, smtpd):
    config = smtp_config(tmp_path, smtpd, max_failures_per_address=3)
    with LiveServer(config, users=PASSWORDS) as live, httpx.Client(base_url=live.url) as c:
        for name in ("u1", "u2", "u3"):
            assert c.post("/login", json={"user": name, "password": "x"}).status_code == 401
        again = c.post("/login", json={"user": "u1", "password": "y"})
        assert again.status_code == 429
        assert int(again.headers["retry-after"]) > 0
        assert c.post("/login", json={"user": "bob", "password": PASSWORDS["bob"]}).status_code == 200


def test_concurrent_wrong_logins_are_counted_before_the_password_is_checked(tmp_path, smtpd):
    from concurrent.futures import ThreadPoolExecutor

    with LiveServer(smtp_config(tmp_path, smtpd), users=PASSWORDS) as live, httpx.Client(base_url=live.url, timeout=60) as c:
        with ThreadPoolExecutor(30) as pool:
            codes = list(pool.map(lambda i: c.post("/login", json={"user": "alice", "password": f"guess-{i}"}).status_code, range(30)))
    assert codes.count(401) == 5  # max_failures_per_user: the other 25 never reached scrypt
    assert codes.count(429) == 25


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(tmp_path, smtpd):
    def failures_then_new_address(live: LiveServer) -> int:
        with httpx.Client(base_url=live.url) as c:
            for i, name in enumerate(("u1", "u2", "u3")):
                c.post("/login", json={"user": name, "password": "x"}, headers={"X-Forwarded-For": f"203.0.113.{i}"})
            return c.post("/login", json={"user": "u1", "password": "x"}, headers={"X-Forwarded-For": "203.0.113.99"}).status_code

    with LiveServer(smtp_config(tmp_path / "a", smtpd, max_failures_per_address=3), users=PASSWORDS) as live:
        assert failures_then_new_address(live) == 429  # every attempt counted on the real peer, 127.0.0.1
    with LiveServer(smtp_config(tmp_path / "b", smtpd, max_failures_per_address=3, trusted_proxies=["127.0.0.1"]), users=PASSWORDS) as live:
        assert failures_then_new_address(live) == 401  # behind a trusted proxy each client is its own address


def test_concurrent_password_checks_are_capped(tmp_path, smtpd, monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from viewer.server import auth

    running, peak, lock = 0, 0, threading.Lock()
    real = auth._scrypt

    def counting(*args):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real(*args)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(auth, "_scrypt", counting)
    users = {f"user{i}": "pw" for i in range(12)}
    config = smtp_config(tmp_path, smtpd, max_concurrent_logins=2)
    with LiveServer(config, users=users) as live, httpx.Client(base_url=live.url, timeout=60) as c:
        with ThreadPoolExecutor(12) as pool:
            codes = list(pool.map(lambda name: c.post("/login", json={"user": name, "password": "pw"}).status_code, users))
    assert codes == [200] * 12
    assert 1 <= peak <= 2


def _raw_request(port: int, head: str, timeout: float = 20) -> bytes:
    """Send only a request head (no body) and return what the server answers."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        return recv_until(sock, lambda data: b"\r\n\r\n" in data)


def test_a_request_without_token_is_refused_before_its_body_is_read(server):
    # 30 MB announced (under the /send limit), nothing sent: the answer must come anyway.
    head = "POST /send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 30000000\r\n\r\n"
    assert _raw_request(server.port, head).startswith(b"HTTP/1.1 401")
    forged = head.replace("Host: x\r\n", "Host: x\r\nAuthorization: Bearer forged\r\n")
    assert _raw_request(server.port, forged).startswith(b"HTTP/1.1 401")


def test_unauthenticated_routes_take_only_a_small_body(server, client):
    head = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    assert _raw_request(server.port, head).startswith(b"HTTP/1.1 413")
    response = client.post("/login", content=b'{"user": "alice", "password": "' + b"x" * 20_000 + b'"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "16384 bytes" in response.json()["detail"]


def test_unknown_user_and_wrong_password_look_the_same(client):
    a = client.post("/login", json={"user": "nobody", "password": "x"})
    b = client.post("/login", json={"user": "alice", "password": "x"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_health_needs_no_token_and_says_nothing_sensitive(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "server" not in response.headers


def test_openapi_schema_is_published(client):
    schema = client.get("/openapi.json").json()
    assert {"/health", "/login", "/logout", "/send", "/history/{user}", "/directory/search", "/directory/lookup"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "413" in schema["paths"]["/send"]["post"]["responses"]


def test_server_over_tls(tmp_path, smtpd, server_cert, ca_file):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    server_cert.cert_chain_pems[0].write_to_path(str(cert))
    server_cert.private_key_pem.write_to_path(str(key))
    with LiveServer(smtp_config(tmp_path, smtpd), users=PASSWORDS, certfile=str(cert), keyfile=str(key)) as live:
        import ssl

        with httpx.Client(base_url=live.url, verify=ssl.create_default_context(cafile=str(ca_file))) as c:
            assert c.get("/health").json() == {"status": "ok"}
        with httpx.Client(base_url=live.url) as c, pytest.raises(httpx.ConnectError):
            c.get("/health")


def test_no_password_or_token_in_server_logs_journal_or_database(tmp_path, smtpd_factory, ca_file, caplog):
    import logging

    relay_user, relay_password = "relay@example.com", "Relay-Secret-77"
    smart_host = smtpd_factory(mode="starttls", auth=(relay_user, relay_password))
    config = smtp_config(tmp_path, smart_host)
    config.route["functions"].update(ssl=True, tls_mode="starttls", ca_file=str(ca_file))
    config.route["environment"] = {"smtp_user": relay_user, "smtp_password": relay_password}
    caplog.set_level(logging.DEBUG)
    with LiveServer(config, users=PASSWORDS) as live, httpx.Client(base_url=live.url) as c:
        assert c.post("/login", json={"user": "alice", "password": "Typo-alice-pw"}).status_code == 401
        token = c.post("/login", json={"user": "alice", "password": PASSWORDS["alice"]}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert c.post("/send", headers=headers, json=send_body()).json()["ok"]
        assert c.post("/send", headers=headers, json=send_body(recipients=["x@example.org"], document="d\n")).status_code == 422
    assert smart_host.handler.wait_for(1)[0].login == relay_user
    assert "failed login for 'alice'" in caplog.text  # the server's log is what is checked here
    secrets = [PASSWORDS["alice"], "Typo-alice-pw", token, relay_password, b64(relay_password.encode())]
    for secret in secrets:
        assert secret not in caplog.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "server.db" for p in files) and any(p.name == "Smtp.log" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret!r} in {path}"


# -- identities (issue 12.2) -------------------------------------------------------------


def other_from(address: str) -> bytes:
    return RAW.replace(b"From: Sales <sales@example.com>", f"From: Someone <{address}>".encode())


@pytest.mark.parametrize(
    ("raw", "sender", "reason"),
    [
        (other_from("ceo@example.com"), "sales@example.com", "From 'ceo@example.com'"),
        (RAW, "ceo@example.com", "envelope sender 'ceo@example.com'"),
        (RAW.replace(b"Subject:", b"Sender: ceo@example.com\r\nSubject:"), "sales@example.com", "Sender 'ceo@example.com'"),
        (RAW.replace(b"Subject:", b"Reply-To: ceo@example.com\r\nSubject:"), "sales@example.com", "Reply-To 'ceo@example.com'"),
    ],
)
def test_another_identity_gets_403_and_nothing_is_sent(client, smtpd, raw, sender, reason):
    headers = login(client)
    response = client.post("/send", headers=headers, json={**send_body(raw), "sender": sender})
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert reason in detail and "sales@example.com" in detail
    assert smtpd.messages == []
    assert client.get("/history/alice", headers=headers).json() == []


def test_identities_allowed_per_user_and_own_address_in_reply_to(server, client, smtpd):
    server.db.set_identities("alice", ["alice@example.com"], email="alice.home@example.net")
    headers = login(client)
    assert client.get("/me", headers=headers).json() == {"user": "alice", "identities": ["sales@example.com", "alice@example.com"], "email": "alice.home@example.net"}
    raw = other_from("alice@example.com").replace(b"Subject:", b"Reply-To: Alice <alice.home@example.net>\r\nSubject:")
    response = client.post("/send", headers=headers, json={**send_body(raw), "sender": "alice@example.com"})
    assert response.status_code == 200, response.text
    assert smtpd.handler.wait_for(1)[0].mail_from == "alice@example.com"
    bob = login(client, "bob")  # bob has no identity of his own
    assert client.post("/send", headers=bob, json={**send_body(raw), "sender": "alice@example.com"}).status_code == 403


def test_the_server_identity_may_carry_a_display_name(tmp_path, smtpd):
    config = smtp_config(tmp_path, smtpd, from_identity="Ventes <Sales@Example.com>")
    with LiveServer(config, users=PASSWORDS) as live, httpx.Client(base_url=live.url) as c:
        assert c.post("/send", headers=login(c), json=send_body()).status_code == 200


def test_a_server_without_identity_says_what_the_administrator_must_do(tmp_path, smtpd):
    config = smtp_config(tmp_path, smtpd)
    config.route["functions"]["from_identity"] = ""
    with LiveServer(config, users=PASSWORDS) as live, httpx.Client(base_url=live.url) as c:
        response = c.post("/send", headers=login(c), json=send_body())
    assert response.status_code == 403
    assert "spoolview server user alice --identity" in response.json()["detail"]


# -- the route's answer is the answer (issue 19.1) ---------------------------------------


def test_a_history_write_failing_after_delivery_gives_200_with_the_outcome_and_a_warning(server, client, smtpd, caplog):
    from sqlalchemy import text

    with server.db.engine.begin() as conn:  # a real constraint of the database refuses the row
        conn.execute(text("CREATE TRIGGER no_history BEFORE INSERT ON sends BEGIN SELECT RAISE(ABORT, 'history is full'); END"))
    response = client.post("/send", headers=login(client), json=send_body())
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["ok"] is True and data["recipients"][0]["accepted"] is True
    assert any("history" in w for w in data["warnings"])
    assert len(smtpd.handler.wait_for(1)) == 1
    assert "history row was not written" in caplog.text


# -- idempotent send (issue 19.2, server side) -------------------------------------------


def test_a_repeated_key_is_answered_from_the_store_without_sending_again(server, client, smtpd):
    headers = {**login(client), "Idempotency-Key": "3f0c7a52-key-1"}
    first = client.post("/send", headers=headers, json=send_body())
    assert first.status_code == 200 and first.json()["replayed"] is False
    again = client.post("/send", headers=headers, json=send_body())
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert {k: v for k, v in again.json().items() if k != "replayed"} == {k: v for k, v in first.json().items() if k != "replayed"}
    smtpd.handler.wait_for(1)
    time.sleep(0.3)
    assert len(smtpd.messages) == 1
    assert len(client.get("/history/alice", headers=headers).json()) == 1
    status = client.get("/send/3f0c7a52-key-1", headers=headers).json()
    assert status["state"] == "done" and status["response"]["recipients"][0]["accepted"] is True


def test_a_key_is_per_user_and_names_one_message(server, client, smtpd):
    alice = {**login(client), "Idempotency-Key": "k-2"}
    assert client.post("/send", headers=alice, json=send_body()).status_code == 200
    other = client.post("/send", headers=alice, json=send_body(recipients=["boss@example.org"]))
    assert other.status_code == 422
    assert "already used for another message" in other.json()["detail"]
    bob = {**login(client, "bob"), "Idempotency-Key": "k-2"}
    assert client.get("/send/k-2", headers=bob).status_code == 404  # alice's key says nothing to bob
    assert client.post("/send", headers=bob, json=send_body()).json()["replayed"] is False
    assert len(smtpd.handler.wait_for(2)) == 2


def test_unknown_key_is_404_meaning_not_sent_and_a_pending_one_is_409(server, client, smtpd):
    headers = login(client)
    response = client.get("/send/never-seen", headers=headers)
    assert response.status_code == 404 and "was not sent" in response.json()["detail"]
    from viewer.server.api import _fingerprint

    fingerprint = _fingerprint(RAW, "sales@example.com", ("client@example.org",))
    assert server.db.claim_key("alice", "in-flight", fingerprint, keep_seconds=86400) is None  # as a send still working does
    busy = client.post("/send", headers={**headers, "Idempotency-Key": "in-flight"}, json=send_body())
    assert busy.status_code == 409 and "outcome is unknown" in busy.json()["detail"]
    assert client.get("/send/in-flight", headers=headers).json() == {"key": "in-flight", "state": "pending", "response": None}
    assert smtpd.messages == []


@pytest.mark.parametrize("key", ["has space", "x" * 201, "é".encode()])
def test_a_malformed_key_is_refused_before_sending(client, smtpd, key):
    response = client.post("/send", headers={**login(client), "Idempotency-Key": key}, json=send_body())
    assert response.status_code == 422 and "Idempotency-Key" in response.json()["detail"]
    assert smtpd.messages == []


def test_a_password_logs_in_however_its_accents_and_spaces_are_typed_and_old_hashes_are_upgraded(tmp_path, smtpd):
    """SASLprep (RFC 4013) over HTTP: precomposed, decomposed and no-break-space forms are one password."""
    from viewer.server.auth import _hash

    with LiveServer(smtp_config(tmp_path, smtpd), users={"dora": "cafe\u0301 cre\u0300me"}) as live, \
            httpx.Client(base_url=live.url, timeout=30) as c:
        for typed in ("café crème", "cafe\u0301 cre\u0300me", "café\u00a0crème"):
            assert c.post("/login", json={"user": "dora", "password": typed}).status_code == 200, typed
        assert c.post("/login", json={"user": "dora", "password": "cafe creme"}).status_code == 401
        live.app.state.db.add_user("old", _hash("e\u0301te\u0301"))  # stored before passwords were prepared
        assert c.post("/login", json={"user": "old", "password": "été"}).status_code == 401
        assert c.post("/login", json={"user": "old", "password": "e\u0301te\u0301"}).status_code == 200
        assert c.post("/login", json={"user": "old", "password": "été"}).status_code == 200  # rehashed at the last login
