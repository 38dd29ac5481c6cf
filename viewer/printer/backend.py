#!/usr/bin/python3
"""CUPS backend ``spoolview``: each print job becomes a PDF/PostScript file (+ .meta.json) in a folder.

Standalone (standard library only): ``spoolview printer install`` copies it into the CUPS
backend folder. CUPS runs it as ``spoolview JOB USER TITLE COPIES OPTIONS [FILE]`` with
``DEVICE_URI=spoolview:/absolute/folder?mode=open|watch``; with no argument it lists the
device. In mode "open" the file is also handed to the running viewer of the user who printed
(its single-instance socket); when none runs, the file simply stays in the folder.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import pwd
import re
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

CUPS_BACKEND_OK = 0
CUPS_BACKEND_FAILED = 1
SCHEME = "spoolview"
MODES = ("open", "watch")
_UNSAFE = re.compile(r"[^\w .,()+-]+")


def log(level: str, message: str) -> None:
    """A line for the CUPS error log (``INFO:``, ``ERROR:``...)."""
    print(f"{level}: spoolview: {message}", file=sys.stderr, flush=True)


def parse_uri(uri: str) -> tuple[Path, str]:
    """``spoolview:/folder?mode=open`` -> (folder, mode); ValueError naming what is wrong."""
    parts = urlsplit(uri)
    if parts.scheme != SCHEME or not parts.path.startswith("/"):
        raise ValueError(f"DEVICE_URI {uri!r} is not {SCHEME}:/absolute/folder?mode=open|watch")
    mode = parse_qs(parts.query).get("mode", ["watch"])[0]
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} in DEVICE_URI is not one of {', '.join(MODES)}")
    return Path(unquote(parts.path)), mode


def safe_name(title: str) -> str:
    """A file name part from a job title: no folder separators, no control characters, not too long."""
    name = _UNSAFE.sub("_", os.path.basename(title.replace("\\", "/"))).strip(" ._")
    return name[:80] or "job"


def kind_suffix(head: bytes) -> str:
    """The file suffix for data starting with ``head``: .pdf, .ps (also after a PJL header), else .prn."""
    if head.startswith(b"%PDF"):
        return ".pdf"
    if head.lstrip(b"\x04\x1b%-12345X@PJL \r\n").startswith(b"%!") or head.startswith(b"%!"):
        return ".ps"
    return ".prn"


def _account(user: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(user)
    except KeyError:
        return None


def store(folder: Path, job: str, user: str, title: str, copies: str, source) -> Path:
    """Write the job's data from ``source`` (a binary file) and its .meta.json into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".job-", dir=folder)  # 0600
    head = b""
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(1 << 16):
            if not head:
                head = chunk[:64]
            out.write(chunk)
    base = f"{safe_name(title)}-job{int(job) if job.isdigit() else safe_name(job)}"
    target = folder / (base + kind_suffix(head))
    meta = folder / (base + ".meta.json")
    info = {
        "title": title,
        "owner": user,
        "printed_by": user,
        "print_job": job,
        "copies": copies,
        "printed_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    fd2, tmp_meta = tempfile.mkstemp(prefix=".meta-", dir=folder)
    with os.fdopen(fd2, "w", encoding="utf-8") as out:
        json.dump(info, out, ensure_ascii=False, indent=2)
    os.replace(tmp_meta, meta)  # the sidecar first: a watcher seeing the document sees its info
    os.replace(tmp, target)
    account = _account(user)
    if os.geteuid() == 0 and account is not None:  # the user who printed owns the document
        for path in (meta, target):
            os.chown(path, account.pw_uid, account.pw_gid)
    return target


def viewer_sockets(uid: int) -> list[str]:
    """The single-instance sockets of ``uid``'s running viewers (viewer/instance.py's places)."""
    found = glob.glob(f"/run/user/{uid}/spoolview/viewer-*.sock")
    found += glob.glob(os.path.join(tempfile.gettempdir(), f"spoolview-{uid}", "viewer-*.sock"))
    return sorted(found, key=lambda p: os.path.getmtime(p), reverse=True)


def _forward(path: Path, sockets: list[str]) -> bool:
    for sock_path in sockets:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(5)
        try:
            conn.connect(sock_path)
            conn.sendall(json.dumps({"open": [str(path)]}).encode() + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                reply += chunk
            if json.loads(reply or b"{}").get("ok") is True:
                return True
        except (OSError, ValueError, AttributeError):
            continue
        finally:
            conn.close()
    return False


def open_in_viewer(path: Path, user: str) -> bool:
    """Hand ``path`` to ``user``'s running viewer, as that user (never as root); True when it opened it."""
    account = _account(user)
    if account is None:
        return False
    if os.geteuid() != 0:
        return account.pw_uid == os.getuid() and _forward(path, viewer_sockets(account.pw_uid))
    pid = os.fork()
    if pid == 0:  # the child becomes the user: the viewer only accepts its own user
        code = 1
        try:
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
            code = 0 if _forward(path, viewer_sockets(account.pw_uid)) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def main(argv: list[str]) -> int:
    if len(argv) == 1:  # device discovery (lpinfo -v)
        print(f'file {SCHEME}:/ "spoolview" "spoolview viewer" "MFG:spoolview;MDL:viewer;"')
        return CUPS_BACKEND_OK
    if len(argv) not in (6, 7):
        print(f"Usage: {argv[0]} job-id user title copies options [file]", file=sys.stderr)
        return CUPS_BACKEND_FAILED
    job, user, title, copies = argv[1:5]
    try:
        folder, mode = parse_uri(os.environ.get("DEVICE_URI", ""))
    except ValueError as exc:
        log("ERROR", str(exc))
        return CUPS_BACKEND_FAILED
    try:
        if len(argv) == 7:
            with open(argv[6], "rb") as source:
                target = store(folder, job, user, title, copies, source)
        else:
            target = store(folder, job, user, title, copies, sys.stdin.buffer)
    except OSError as exc:
        log("ERROR", f"cannot write job {job} into {folder}: {exc.strerror or exc}")
        return CUPS_BACKEND_FAILED
    log("INFO", f"job {job} of {user} saved as {target}")
    if mode == "open":
        if open_in_viewer(target, user):
            log("INFO", f"job {job} opened in the viewer of {user}")
        else:
            log("INFO", f"no running viewer of {user}: job {job} stays in {folder}")
    return CUPS_BACKEND_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv))
