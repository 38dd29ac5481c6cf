"""Fixtures shared by every test: an isolated user home, real SMTP servers, TLS certificates."""

from __future__ import annotations

import gc
import signal
import ssl
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def pytest_configure(config: pytest.Config) -> None:
    """The cyclic garbage collector runs only where the suite says (below), in the main thread.

    Left automatic, it runs in whichever thread allocates when its threshold is reached: a test's
    SMTP or HTTP server thread then collected Tk objects left by GUI tests, each of whose
    ``__del__`` waits about a second for a Tk main loop, and the server missed its clients'
    timeouts. Objects without cycles are still freed at once, by reference counting.

    Ctrl+C behaves as at a terminal in the programs the tests start: a suite started in the
    background by a non-interactive shell (a CI runner, ``make test &``) inherits SIGINT
    ignored, which exec passes on to every child, and the tests that press Ctrl+C on a batch
    would see it go on. A Python handler is reset to the default by exec."""
    gc.disable()
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True, scope="module")
def _collect_garbage_in_the_main_thread():
    """Each test module's cyclic garbage collected when the module ends, in the main thread."""
    yield
    gc.collect()


@pytest.fixture(autouse=True, scope="session")
def _private_runtime_folder(tmp_path_factory: pytest.TempPathFactory):
    """This test process's own runtime folder (XDG_RUNTIME_DIR), inherited by its subprocesses.

    Under pytest-xdist each worker is a process with a base temporary folder of its own: the
    viewer's single-instance socket (``$XDG_RUNTIME_DIR/spoolview``) then never meets another
    worker's viewer, nor one of another run of the suite on the machine, which the shared
    fallback ``/tmp/spoolview-UID`` would. (TMPDIR stays the system's: the PostgreSQL and CUPS
    tests' servers run as other users, who could not enter a folder below the 0700 base.)"""
    run = tmp_path_factory.getbasetemp() / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_RUNTIME_DIR", str(run))
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
