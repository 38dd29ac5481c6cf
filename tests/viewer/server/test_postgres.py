"""The server database on a real PostgreSQL: schema by migration, users, tokens, limits, history,
send keys, and two server processes sharing it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.viewer.server.live import free_port, hashed
from viewer.server import migrate
from viewer.server.auth import Authenticator, RateLimited
from viewer.server.db import Database, DatabaseError, metadata

ROOT = Path(__file__).resolve().parents[3]
RAW = b"From: Sales <sales@example.com>\r\nTo: client@example.org\r\nSubject: Devis %d\r\n\r\nBonjour\r\n"


def test_migrations_build_the_schema_the_code_uses_and_upgrade_with_data(postgres_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert migrate.upgrade(postgres_url, "0001") == (None, "0001")
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (name, password_hash, created_at) VALUES ('alice', 'h', 1.0)"))
    with pytest.raises(DatabaseError, match="spoolview server migrate"):
        Database(postgres_url)
    assert migrate.upgrade(postgres_url) == ("0001", migrate.head())
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()
    db = Database(postgres_url)
    try:
        assert db.user("alice").identities == []
    finally:
        db.dispose()


def test_users_tokens_history_and_keys_on_postgres(postgres_url):
    db = Database(postgres_url)
    try:
        db.add_user("alice", hashed("pw"))
        db.set_identities("alice", ["alice@example.com"], email="a@home.example")
        auth = Authenticator(db, token_seconds=60, window_seconds=600, max_per_user=3, max_per_address=10)
        token, _ = auth.login("alice", "pw", "10.0.0.1")
        assert auth.check(token).user == "alice"
        for _ in range(3):
            assert auth.login("alice", "bad", "10.0.0.1") is None
        with pytest.raises(RateLimited):
            auth.login("alice", "pw", "10.0.0.1")
        db.add_send(user="alice", document="d", subject="s", sender="alice@example.com", recipients=[{"address": "c@example.org", "accepted": True}], ok=True, route="smtp", size=3)
        assert db.history("alice")[0]["recipients"] == [{"address": "c@example.org", "accepted": True}]
        assert db.claim_key("alice", "k1", "f", keep_seconds=86400) is None
        assert db.claim_key("alice", "k1", "f", keep_seconds=86400).state == "pending"
        db.finish_key("alice", "k1", {"ok": True})
        assert db.send_key("alice", "k1").response == {"ok": True}
        with ThreadPoolExecutor(8) as pool:  # the counter is atomic under PostgreSQL's row locks too
            counts = list(pool.map(lambda _: db.bump("user:x", time.time(), 600)[0], range(40)))
        assert sorted(counts) == list(range(1, 41))
    finally:
        db.dispose()


def test_concurrent_first_opens_migrate_once(postgres_url):
    with ThreadPoolExecutor(4) as pool:
        dbs = list(pool.map(lambda _: Database(postgres_url), range(4)))
    for db in dbs:
        assert db.user_names() == []
        db.dispose()


# -- two server processes, one PostgreSQL -------------------------------------------------


class ServerProcess:
    """`spoolview server run` in its own process on a free port."""

    def __init__(self, config_file: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.log = config_file.with_name(f"server-{self.port}.log")
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "viewer.cli", "server", "run", "--config", str(config_file), "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self) -> ServerProcess:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server process ended: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server process did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def server_toml(tmp_path: Path, url: str, smtpd) -> Path:
    path = tmp_path / "server.toml"
    path.write_text(
        f"""[server]
database_url = "{url}"
max_failures_per_user = 5

[server.route.functions]
send_direct = true
host = "{smtpd.host}"
port = {smtpd.port}
from_identity = "sales@example.com"
send_without_file = false

[server.route.copies]
sent_folder = "{tmp_path / 'sent'}"
error_folder = "{tmp_path / 'errors'}"
log_folder = "{tmp_path / 'log'}"

[server.route.advanced]
delay_seconds = 0.0
""",
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def two_servers(tmp_path, postgres_url, smtpd):
    db = Database(postgres_url)
    for i in range(20):
        db.add_user(f"user{i}", hashed("pw"))
    db.add_user("victim", hashed("pw"))
    db.dispose()
    config = server_toml(tmp_path, postgres_url, smtpd)
    servers = [ServerProcess(config), ServerProcess(config)]
    try:
        yield [s.wait() for s in servers]
    finally:
        for s in servers:
            s.stop()


def test_twenty_clients_through_two_server_processes_on_one_postgres(two_servers, postgres_url, smtpd):
    a, b = two_servers

    def client(i: int) -> tuple[int, int, bool]:
        first, second = (a, b) if i % 2 else (b, a)
        with httpx.Client(timeout=60) as c:
            login = c.post(first.url + "/login", json={"user": f"user{i}", "password": "pw"})
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['token']}", "Idempotency-Key": str(uuid.uuid4())}
            body = {"message": base64.b64encode(RAW % i).decode(), "sender": "sales@example.com", "recipients": [f"client{i}@example.org"], "document": f"devis {i}"}
            sent = c.post(second.url + "/send", headers=headers, json=body)  # a token from one, accepted by the other
            again = c.post(first.url + "/send", headers=headers, json=body)  # the same key on the other process
            return sent.status_code, again.status_code, again.json()["replayed"]

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(client, range(20)))
    assert results == [(200, 200, True)] * 20
    received = smtpd.handler.wait_for(20)
    time.sleep(0.5)  # a duplicate, if any, would arrive now
    assert sorted(m.rcpt_tos[0] for m in smtpd.messages) == sorted(f"client{i}@example.org" for i in range(20))
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        rows = conn.execute(text('SELECT "user", document FROM sends ORDER BY "user"')).all()
    engine.dispose()
    assert sorted(rows) == sorted((f"user{i}", f"devis {i}") for i in range(20))  # none lost, none twice
    assert len(received) == 20

    # the failed-login limit is one counter for both processes
    with httpx.Client(timeout=60) as c:
        codes = [c.post((a if i % 2 else b).url + "/login", json={"user": "victim", "password": "bad"}).status_code for i in range(6)]
        assert codes == [401] * 5 + [429]
        assert c.post(a.url + "/login", json={"user": "victim", "password": "pw"}).status_code == 429


def test_an_answer_lost_on_one_process_is_given_by_the_other_without_a_second_mail(two_servers, smtpd):
    from tests.support.dropproxy import DropProxy
    from viewer.connection import Connection
    from viewer.mail.routes.base import Envelope
    from viewer.mail.routes.server import ServerRoute
    from viewer.settings import ConnectionProfile

    a, b = two_servers
    raw = (RAW % 99).replace(b"Subject:", b"Message-ID: <lost-99@example.com>\r\nSubject:")
    with DropProxy(("127.0.0.1", a.port), ("127.0.0.1", b.port)) as balancer:  # one connection to each in turn
        connection = Connection(ConnectionProfile(name="lb", url=balancer.url, user="user0"))
        connection.connect("pw")
        balancer.lose = 1  # the first process sends, its answer is lost; the retry reaches the other
        result = ServerRoute(connection, retry_delays=(0.2, 0.2)).send(raw, Envelope("sales@example.com", ("client99@example.org",)))
        assert result.ok and balancer.lost == 1
        assert connection.send_status("lost-99@example.com").state == "done"
        connection.close()
    assert len(smtpd.handler.wait_for(1)) == 1
    time.sleep(0.5)
    assert len(smtpd.messages) == 1
