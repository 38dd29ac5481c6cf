"""schemathesis over the server's OpenAPI schema, in process (ASGI): no 5xx on any endpoint."""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.viewer.server.test_directory_api import fill_directory
from viewer.mail.routes.memory import MemoryRoute
from viewer.server.app import create_app
from viewer.server.auth import hash_password
from viewer.server.config import ServerConfig

EXAMPLES = 30


@pytest.fixture
def api_app(tmp_path, samples):
    route = {"copies": {"sent_folder": str(tmp_path / "sent"), "error_folder": str(tmp_path / "errors"), "log_folder": str(tmp_path / "log")}}
    directory_url = fill_directory(tmp_path, samples)
    config = ServerConfig(database_url=f"sqlite:///{tmp_path / 'server.db'}", directory_url=directory_url, max_message_bytes=50_000, route=route)
    memory = MemoryRoute()
    app = create_app(config, route_factory=lambda: memory)
    app.state.db.add_user("alice", hash_password("alice-pw"))
    with TestClient(app) as client:
        app.state.test_token = client.post("/login", json={"user": "alice", "password": "alice-pw"}).json()["token"]
    yield app
    app.state.db.dispose()


def test_no_operation_answers_5xx(api_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    token = api_app.state.test_token
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def run(case) -> None:
            # Three cases in four carry a valid token, so authenticated paths run too.
            keyed = zlib.crc32(repr((case.body, case.path_parameters, case.query)).encode()) % 4
            response = case.call(headers={"Authorization": f"Bearer {token}"} if keyed else {})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path} {case.path_parameters} -> {response.status_code}: {response.text[:200]}")

        run()
    assert failures == []
