"""Install, remove and inspect the CUPS queue "spoolview" and its backend (lpadmin, lpstat)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from viewer.errors import SpoolviewError
from viewer.fsutil import private_dir
from viewer.printer import backend

QUEUE = "spoolview"
BACKEND_NAME = backend.SCHEME
DEFAULT_SERVERBIN = Path("/usr/lib/cups")
MODES = backend.MODES
_SBIN = Path("/usr/sbin")  # lpadmin lives here, often off a user's PATH


class PrinterError(SpoolviewError):
    """The queue could not be installed, removed or read; the message says what to do."""


@dataclass
class Status:
    """What CUPS says about the queue."""

    installed: bool
    backend: Path
    backend_present: bool
    device_uri: str = ""
    state: str = ""


def serverbin() -> Path:
    """CUPS's program folder (``SPOOLVIEW_CUPS_SERVERBIN`` overrides it, for a private cupsd)."""
    value = os.environ.get("SPOOLVIEW_CUPS_SERVERBIN")
    return Path(value) if value else DEFAULT_SERVERBIN


def device_uri(folder: Path, mode: str) -> str:
    """``spoolview:/folder?mode=...`` for ``lpadmin -v``."""
    if mode not in MODES:
        raise PrinterError(f"printer mode {mode!r} is not one of {', '.join(MODES)}")
    return f"{BACKEND_NAME}:{quote(str(folder.resolve()))}?mode={mode}"


def _tool(name: str, package: str) -> str:
    found = shutil.which(name) or (str(_SBIN / name) if (_SBIN / name).is_file() else None)
    if found is None:
        raise PrinterError(f"{name} not found: install CUPS (sudo apt-get install {package})")
    return found


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrinterError(f"{what}: {exc}") from None
    return done


def _server(host: str | None) -> list[str]:
    return ["-h", host] if host else []


def install(folder: Path, mode: str, *, host: str | None = None, bin_dir: Path | None = None) -> Status:
    """Copy the backend into CUPS's backend folder and add the queue (raw: PDF and PostScript pass unchanged)."""
    uri = device_uri(folder, mode)
    lpadmin = _tool("lpadmin", "cups-client")
    backends = (bin_dir or serverbin()) / "backend"
    if not backends.is_dir():
        raise PrinterError(f"no CUPS backend folder {backends}: install the print server (sudo apt-get install cups)")
    target = backends / BACKEND_NAME
    try:
        shutil.copyfile(Path(backend.__file__), target)
        # 0700 root: CUPS runs it as root, so it can give each job to the user who printed.
        os.chmod(target, 0o700)
    except PermissionError:
        raise PrinterError(f"cannot write {target}: run `sudo spoolview printer install --folder {folder}`") from None
    _jobs_folder(folder)
    done = _run([lpadmin, *_server(host), "-p", QUEUE, "-E", "-v", uri, "-m", "raw",
                 "-D", "spoolview viewer", "-o", "printer-is-shared=false"], "lpadmin")
    if done.returncode != 0:
        raise PrinterError(f"lpadmin could not add the queue {QUEUE!r}: {_last_line(done)}")
    return status(host=host, bin_dir=bin_dir)


def _jobs_folder(folder: Path) -> None:
    """Create the jobs folder 0700; under sudo, owned by the user who ran sudo (not root)."""
    private_dir(folder)
    sudo_uid, sudo_gid = os.environ.get("SUDO_UID", ""), os.environ.get("SUDO_GID", "")
    if os.geteuid() == 0 and sudo_uid.isdigit() and sudo_gid.isdigit():
        os.chown(folder, int(sudo_uid), int(sudo_gid))


def remove(*, host: str | None = None, bin_dir: Path | None = None) -> bool:
    """Delete the queue and the backend; False when there was no queue."""
    lpadmin = _tool("lpadmin", "cups-client")
    was = status(host=host, bin_dir=bin_dir).installed
    if was:
        done = _run([lpadmin, *_server(host), "-x", QUEUE], "lpadmin")
        if done.returncode != 0:
            raise PrinterError(f"lpadmin could not remove the queue {QUEUE!r}: {_last_line(done)}")
    target = (bin_dir or serverbin()) / "backend" / BACKEND_NAME
    try:
        target.unlink(missing_ok=True)
    except PermissionError:
        raise PrinterError(f"cannot delete {target}: run `sudo spoolview printer remove`") from None
    return was


def status(*, host: str | None = None, bin_dir: Path | None = None) -> Status:
    """Whether the queue exists, where it sends jobs, and whether the backend is in place."""
    lpstat = _tool("lpstat", "cups-client")
    target = (bin_dir or serverbin()) / "backend" / BACKEND_NAME
    result = Status(installed=False, backend=target, backend_present=target.is_file())
    running = _run([lpstat, *_server(host), "-r"], "lpstat")
    if "not running" in running.stdout or running.returncode != 0:
        where = host or "this computer"
        raise PrinterError(f"the print server (CUPS) is not running on {where}: start it (sudo systemctl start cups)")
    done = _run([lpstat, *_server(host), "-v", QUEUE], "lpstat")
    if done.returncode != 0:
        return result
    result.installed = True
    result.device_uri = done.stdout.strip().split(": ", 1)[-1]
    state = _run([lpstat, *_server(host), "-p", QUEUE], "lpstat")
    result.state = state.stdout.strip().splitlines()[0] if state.returncode == 0 and state.stdout.strip() else ""
    return result


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in (done.stderr or done.stdout or "").splitlines() if ln.strip() and "deprecated" not in ln]
    return lines[-1].strip() if lines else f"exit status {done.returncode}"
