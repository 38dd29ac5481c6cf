"""A private cupsd on a loopback port with its own config, spool and program folders.

Needs Debian's cups + cups-client (tools/system-deps.sh) and root: cupsd runs backends
of mode 0700 as root, and refuses to start as another user with this layout.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CUPSD = shutil.which("cupsd") or "/usr/sbin/cupsd"
SYSTEM_SERVERBIN = Path("/usr/lib/cups")


@dataclass
class Cups:
    host: str
    serverbin: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cupsd(tmp_path: Path) -> Iterator[Cups]:
    yield from _cupsd(tmp_path / "cups")


@pytest.fixture
def cupsd_lp() -> Iterator[Cups]:
    """A private cupsd whose filters and backends, run as user lp, can reach their files.

    Its folder is outside pytest's (which is 0700, and reset to 0700 by any pytest run of
    this user), in a folder lp may pass through but not list.
    """
    parent = Path(tempfile.mkdtemp(prefix="spoolview-cups-"))
    parent.chmod(0o711)
    try:
        yield from _cupsd(parent / "cups")
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _cupsd(root: Path) -> Iterator[Cups]:
    if not Path(CUPSD).is_file() or shutil.which("lpadmin") is None:
        pytest.fail("cupsd/lpadmin missing: `make deps` (tools/system-deps.sh) installs them, "
                    "or run: sudo apt-get install -y cups cups-client", pytrace=False)
    if os.geteuid() != 0:
        pytest.skip("a private cupsd needs root here (it runs the 0700 backend as root)")
    conf, serverbin = root / "etc", root / "bin"
    for sub in ("etc", "bin/backend", "spool", "cache", "state", "tmp", "log"):
        (root / sub).mkdir(parents=True)
    (root / "spool").chmod(0o710)
    (root / "tmp").chmod(0o1777)  # the filters (run as lp) write their temporary files there
    for sub in ("filter", "daemon", "cgi-bin", "notifier", "monitor"):
        if (SYSTEM_SERVERBIN / sub).exists():
            (serverbin / sub).symlink_to(SYSTEM_SERVERBIN / sub)
    port = _free_port()
    (conf / "cups-files.conf").write_text(
        f"ServerRoot {conf}\nServerBin {serverbin}\nRequestRoot {root / 'spool'}\nCacheDir {root / 'cache'}\n"
        f"StateDir {root / 'state'}\nTempDir {root / 'tmp'}\nAccessLog {root / 'log/access_log'}\n"
        f"ErrorLog {root / 'log/error_log'}\nPageLog {root / 'log/page_log'}\n"
        "User lp\nGroup lp\nSystemGroup root\nFileDevice No\n")
    (conf / "cupsd.conf").write_text(
        f"Listen 127.0.0.1:{port}\nLogLevel debug\nBrowsing No\nDefaultAuthType None\nWebInterface No\n"
        "<Location />\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n"
        "<Location /admin>\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n")
    proc = subprocess.Popen([CUPSD, "-f", "-c", str(conf / "cupsd.conf"), "-s", str(conf / "cups-files.conf")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):  # wait for the port, not for a time
            if proc.poll() is not None:
                pytest.skip(f"cupsd could not start here: {proc.stdout.read().decode(errors='replace') if proc.stdout else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield Cups(host=f"127.0.0.1:{port}", serverbin=serverbin, log=root / "log" / "error_log")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
