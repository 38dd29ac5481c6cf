"""A private PostgreSQL cluster for the tests: initdb in a temp folder, served on a free loopback port.

Debian's `postgresql` package provides the binaries (tools/system-deps.sh installs it; they
live in /usr/lib/postgresql/*/bin, off PATH). initdb and postgres refuse to run as root: as
root the cluster runs as the `postgres` system user, in a folder it owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import IO

INSTALL = "sudo apt-get install postgresql   (or: tools/system-deps.sh test)"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def bin_dir() -> Path:
    """The folder holding initdb and postgres (newest version first), or PostgresMissing."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresMissing(f"PostgreSQL server binaries (initdb, postgres) not found: install them with `{INSTALL}`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One postgres server; ``url(name)`` for a database, ``new_database()`` for a fresh one."""

    def __init__(self) -> None:
        self.bin = bin_dir()
        # As root the server runs as the postgres account, which cannot enter the suite's private
        # (0700, root's) TMPDIR (tests/conftest.py): its folder goes in the system's /tmp.
        self.folder = Path(tempfile.mkdtemp(prefix="spoolview-pg-", dir="/tmp" if os.geteuid() == 0 else None))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.user = "spoolview"
        self.password = secrets.token_urlsafe(16)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._prefix: list[str] = []
        if os.geteuid() == 0:  # initdb/postgres refuse root: run them as the postgres account
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresMissing(f"running as root and no `postgres` account to run the test cluster: `{INSTALL}` creates it") from None
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            # setpriv execs in place (no forking wrapper), so signals reach postgres itself
            self._prefix = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups"]
            self._owner = (account.pw_uid, account.pw_gid)
        else:
            self._owner = (os.getuid(), os.getgid())

    def start(self) -> Cluster:
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        os.chown(pwfile, *self._owner)
        subprocess.run(
            [*self._prefix, str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, f"--pwfile={pwfile}",
             "--auth=scram-sha-256", "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8",
             # a language collation as on a real server (not byte order): prefix ranges must not rely on it
             "--locale-provider=icu", "--icu-locale=fr-FR"],
            check=True, capture_output=True, timeout=120,
        )
        pwfile.unlink()
        log = self._log = open(self.folder / "server.log", "wb")  # closed in stop()
        self.process = subprocess.Popen(
            [*self._prefix, str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.folder),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB",
             "-c", "dynamic_shared_memory_type=mmap"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self._admin("SELECT 1")
                return self
            except Exception:  # noqa: BLE001 - not up yet: retry until the deadline
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the test PostgreSQL did not start: see {self.folder / 'server.log'}") from None
                time.sleep(0.1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname="postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        """A fresh empty database; its SQLAlchemy URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: SIGTERM would wait for clients to leave
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
