"""Fixtures shared by every test: an isolated user home, real SMTP servers, TLS certificates."""

from __future__ import annotations

import gc
import ssl
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def pytest_configure(config: pytest.Config) -> None:
    """The cyclic garbage collector runs only where the suite says (below), in the main thread.

    Left automatic, it runs in whichever thread allocates when its threshold is reached: a test's
    SMTP or HTTP server thread then collected Tk objects left by GUI tests, each of whose
    ``__del__`` waits about a second for a Tk main loop, and the server missed its clients'
    timeouts. Objects without cycles are still freed at once, by reference counting."""
    gc.disable()


@pytest.fixture(autouse=True, scope="module")
def _collect_garbage_in_the_main_thread():
    """Each test module's cyclic garbage collected when the module ends, in the main thread."""
    yield
    gc.collect()


@pytest.fixture(autouse=True, scope="session")
def _private_temp_and_runtime_folders(tmp_path_factory: pytest.TempPathFactory):
    """This test process's own temporary folder (TMPDIR) and runtime folder (XDG_RUNTIME_DIR).

    Under pytest-xdist each worker is a process of its own, with a base temporary folder of its
    own: the folders made inside it are shared by no other worker nor by another run of the
    suite on the machine. So the fixed names the product uses there (the single-instance
    socket's ``spoolview-UID`` folder, the print backend's search for running viewers) never
    meet another worker's viewer, and subprocesses inherit the same folders."""
    base = tmp_path_factory.getbasetemp()
    temp, run = base / "tmp", base / "run"
    temp.mkdir(mode=0o700, exist_ok=True)
    run.mkdir(mode=0o700, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(temp))
        patch.setenv("XDG_RUNTIME_DIR", str(run))
        patch.setattr(tempfile, "tempdir", str(temp))
        yield


@pytest.fixture(autouse=True)
def spoolview_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user folders and no system keyring."""
    home = tmp_path / "spoolview-home"
    monkeypatch.setenv("SPOOLVIEW_HOME", str(home))
    monkeypatch.delenv("SPOOLVIEW_CONFIG", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("LANGUAGE", "fr")
    return home


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def ca():
    """A throw-away certificate authority (trustme)."""
    import trustme

    return trustme.CA()


@pytest.fixture(scope="session")
def server_cert(ca):
    return ca.issue_cert("127.0.0.1", "localhost")


@pytest.fixture(scope="session")
def server_context(server_cert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(ctx)
    return ctx


@pytest.fixture(scope="session")
def ca_file(ca, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def smtpd():
    """A plain SMTP server on loopback recording what it receives."""
    from tests.support.smtpd import SmtpServer

    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtpd_factory(server_context):
    """Start servers with options: ``smtpd_factory(mode="starttls", auth=("u", "p"))``."""
    from tests.support.smtpd import SmtpServer

    started: list[SmtpServer] = []

    def make(**kwargs) -> SmtpServer:
        if kwargs.get("mode", "plain") != "plain":
            kwargs.setdefault("server_context", server_context)
        server = SmtpServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def postgres_cluster():
    """One private PostgreSQL server for the whole session (Debian package `postgresql`)."""
    from tests.support.postgres import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster):
    """A fresh empty PostgreSQL database for one test, dropped afterwards."""
    url = postgres_cluster.new_database()
    yield url
    postgres_cluster.drop_database(url)
