"""The queue installed into a real private cupsd: `lp -d spoolview FILE.pdf` lands in the folder with its title."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from viewer.printer import queue

SAMPLE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _wait_for(path: Path, cups_log: Path) -> None:
    for _ in range(600):  # the job's arrival, not a time, ends the wait (60 s at most)
        if path.is_file():
            return
        time.sleep(0.1)
    pytest.fail(f"{path} never arrived; cupsd log tail:\n" + "\n".join(cups_log.read_text(errors="replace").splitlines()[-20:]))


def test_install_print_status_remove(cupsd, tmp_path):
    folder = tmp_path / "printed"
    state = queue.install(folder, "watch", host=cupsd.host, bin_dir=cupsd.serverbin)
    assert state.installed and state.backend_present
    assert state.device_uri == f"spoolview:{folder}?mode=watch"
    assert (cupsd.serverbin / "backend" / "spoolview").stat().st_mode & 0o777 == 0o700
    assert folder.stat().st_mode & 0o777 == 0o700  # jobs are private

    pdf = tmp_path / "quote.pdf"
    pdf.write_bytes(SAMPLE_PDF)
    done = subprocess.run(["lp", "-h", cupsd.host, "-d", "spoolview", "-t", "Devis D2026-0042", str(pdf)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.split("spoolview-")[1].split()[0]
    meta_path = folder / f"Devis D2026-0042-job{job_id}.meta.json"
    _wait_for(folder / f"Devis D2026-0042-job{job_id}.pdf", cupsd.log)
    assert (folder / f"Devis D2026-0042-job{job_id}.pdf").read_bytes() == SAMPLE_PDF
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["title"] == "Devis D2026-0042"
    assert meta["owner"] == "root"  # lp ran as this test's user

    assert queue.remove(host=cupsd.host, bin_dir=cupsd.serverbin) is True
    assert not (cupsd.serverbin / "backend" / "spoolview").exists()
    assert queue.status(host=cupsd.host, bin_dir=cupsd.serverbin).installed is False
    assert queue.remove(host=cupsd.host, bin_dir=cupsd.serverbin) is False


def test_install_without_cups_backend_folder_names_the_package(tmp_path):
    with pytest.raises(queue.PrinterError, match=r"apt-get install cups\)"):
        queue.install(tmp_path / "out", "open", bin_dir=tmp_path / "no-cups")


def test_missing_lpadmin_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(queue, "_SBIN", tmp_path)
    with pytest.raises(queue.PrinterError, match=r"lpadmin not found: install CUPS \(sudo apt-get install cups-client\)"):
        queue.install(tmp_path / "out", "open", bin_dir=tmp_path)


def test_bad_mode_refused(tmp_path):
    with pytest.raises(queue.PrinterError, match="mode 'shout'"):
        queue.device_uri(tmp_path, "shout")


def test_install_under_sudo_gives_the_folder_to_the_user(cupsd, tmp_path, monkeypatch):
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root to give a folder away")
    monkeypatch.setenv("SUDO_UID", "4242")
    monkeypatch.setenv("SUDO_GID", "4343")
    queue.install(tmp_path / "printed", "open", host=cupsd.host, bin_dir=cupsd.serverbin)
    st = (tmp_path / "printed").stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343)


def test_status_without_a_print_server_says_so(tmp_path):
    with pytest.raises(queue.PrinterError, match=r"not running on 127.0.0.1:1: start it \(sudo systemctl start cups\)"):
        queue.status(host="127.0.0.1:1", bin_dir=tmp_path)
