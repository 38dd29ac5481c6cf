"""The CUPS backend run the way CUPS runs it: argv job user title copies options file, DEVICE_URI."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from viewer import instance
from viewer.printer import backend

BACKEND = Path(backend.__file__)


def _run(argv: list[str], uri: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ.get("PATH", ""), "DEVICE_URI": uri}
    return subprocess.run([sys.executable, str(BACKEND), *argv], env=env, input=stdin,
                          capture_output=True, check=False, timeout=60)


def test_job_file_written_with_title_and_owner(tmp_path):
    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a job\n")
    out = tmp_path / "printed"
    done = _run(["42", "alice", "Devis D2026-0042", "1", "", str(pdf)], f"spoolview:{out}?mode=watch")
    assert done.returncode == 0, done.stderr
    job = out / "Devis D2026-0042-job42.pdf"
    assert job.read_bytes() == pdf.read_bytes()
    assert oct(job.stat().st_mode & 0o777) == "0o600"
    meta = json.loads((out / "Devis D2026-0042-job42.meta.json").read_text(encoding="utf-8"))
    assert meta["title"] == "Devis D2026-0042"
    assert meta["owner"] == "alice"
    assert b"saved as" in done.stderr


def test_job_from_stdin_and_postscript_kept_as_ps(tmp_path):
    out = tmp_path / "printed"
    done = _run(["7", "bob", "facture", "1", ""], f"spoolview:{out}?mode=watch", stdin=b"%!PS-Adobe-3.0\nshowpage\n")
    assert done.returncode == 0, done.stderr
    assert (out / "facture-job7.ps").read_bytes().startswith(b"%!PS")


def test_hostile_title_stays_in_the_folder(tmp_path):
    out = tmp_path / "printed"
    done = _run(["3", "eve", "../../etc/passwd\n", "1", ""], f"spoolview:{out}?mode=watch", stdin=b"%PDF-1.4\n")
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.iterdir() if p.suffix == ".pdf"] == ["passwd-job3.pdf"]
    assert json.loads((out / "passwd-job3.meta.json").read_text())["title"] == "../../etc/passwd\n"


def test_discovery_lists_the_device():
    done = subprocess.run([sys.executable, str(BACKEND)], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith('file spoolview:/ "spoolview"')


@pytest.mark.parametrize(("uri", "message"), [
    ("", "is not spoolview:/absolute/folder"),
    ("spoolview:/tmp/x?mode=shout", "mode 'shout'"),
    ("file:/tmp/x", "is not spoolview:/absolute/folder"),
])
def test_bad_device_uri_fails_the_job_with_a_message(tmp_path, uri, message):
    done = _run(["1", "alice", "t", "1", ""], uri, stdin=b"%PDF-1.4\n")
    assert done.returncode == backend.CUPS_BACKEND_FAILED
    assert message in done.stderr.decode()
    assert done.stderr.decode().startswith("ERROR: ")


def test_unwritable_folder_fails_the_job(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = _run(["1", "alice", "t", "1", ""], f"spoolview:{blocker}/sub?mode=watch", stdin=b"%PDF-1.4\n")
    assert done.returncode == backend.CUPS_BACKEND_FAILED
    assert "cannot write job 1" in done.stderr.decode()


def test_wrong_argument_count_prints_usage():
    done = subprocess.run([sys.executable, str(BACKEND), "1", "2"], capture_output=True, text=True, check=False)
    assert done.returncode == backend.CUPS_BACKEND_FAILED
    assert "Usage:" in done.stderr


def test_open_mode_hands_the_job_to_the_running_viewer(tmp_path, monkeypatch):
    import pwd

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the viewer's socket folder lives without XDG_RUNTIME_DIR
    folder = tmp_path / f"spoolview-{os.getuid()}"
    folder.mkdir(mode=0o700)
    listener = instance.Listener.start(folder / "viewer-test.sock")
    assert listener is not None
    opened: list[list[str]] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            if select.select([listener], [], [], 0.1)[0]:
                listener.handle(opened.append)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        src = tmp_path / "in.pdf"
        src.write_bytes(b"%PDF-1.4\n")
        monkeypatch.setenv("DEVICE_URI", f"spoolview:{tmp_path / 'out'}?mode=open")
        user = pwd.getpwuid(os.getuid()).pw_name
        assert backend.main(["spoolview", "5", user, "quote", "1", "", str(src)]) == 0
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()
    assert opened == [[str(tmp_path / "out" / "quote-job5.pdf")]]


def test_open_mode_without_viewer_leaves_the_job(tmp_path, monkeypatch, capsys):
    import pwd

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("DEVICE_URI", f"spoolview:{tmp_path / 'out'}?mode=open")
    src = tmp_path / "in.pdf"
    src.write_bytes(b"%PDF-1.4\n")
    user = pwd.getpwuid(os.getuid()).pw_name
    assert backend.main(["spoolview", "6", user, "quote", "1", "", str(src)]) == 0
    assert (tmp_path / "out" / "quote-job6.pdf").is_file()
    assert f"no running viewer of {user}" in capsys.readouterr().err
