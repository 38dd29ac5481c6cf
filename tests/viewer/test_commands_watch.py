"""`spoolview watch`: a watched folder sending over a real SMTP server, done/failed with .log, two watchers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.smtpd import RecordingHandler
from tests.viewer.test_commands_batch import CORRUPT, COUNT, NOBODY, REFUSED, address, run, setup_batch

ROOT = Path(__file__).resolve().parents[2]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def received(server) -> Counter[str]:
    return Counter(r for m in server.messages for r in m.rcpt_tos)


def test_once_files_documents_in_done_and_failed_with_a_readable_log(capsys, tmp_path, smtpd_factory):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={address(i): "550 5.1.1 no such user" for i in REFUSED}))
    folder = tmp_path / "out"
    setup_batch(tmp_path, server)
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0")
    assert code == 3, out + err
    assert out.splitlines()[-1] == f"{COUNT} documents: 19 sent, 3 refused, 1 unreadable, 1 no recipient"
    bad = sorted([*REFUSED, CORRUPT, NOBODY])
    assert names(folder / "done") == [f"facture-{i:02d}.spv" for i in range(1, COUNT + 1) if i not in bad]
    assert names(folder / "failed") == sorted(f"facture-{i:02d}.spv{ext}" for i in bad for ext in ("", ".log"))
    assert names(folder) == [".spoolview-work", "done", "failed"]
    log = (folder / "failed" / "facture-05.spv.log").read_text(encoding="utf-8")
    assert log.startswith("facture-05.spv was not sent (refused), ")
    assert f"{address(5)}: NOT sent (permanent): 550 5.1.1 no such user" in log
    assert "move the file back into the watched folder" in log
    log = (folder / "failed" / "facture-08.spv.log").read_text(encoding="utf-8")
    assert "was not sent (unreadable)" in log and "invalid JSON" in log
    assert "has no e-mail address" in (folder / "failed" / "facture-20.spv.log").read_text(encoding="utf-8")
    assert set(received(server).values()) == {1}
    # A refused document moved back after the fix goes out; nothing else is sent again.
    server.handler.rcpt_replies.clear()
    os.rename(folder / "failed" / "facture-05.spv", folder / "facture-05.spv")
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0", "--done", tmp_path / "sent")
    assert code == 0, out + err
    assert names(tmp_path / "sent") == ["facture-05.spv"]
    assert received(server)[address(5)] == 1 and set(received(server).values()) == {1}


def test_a_temporary_refusal_stays_in_the_folder_for_a_retry(capsys, tmp_path, smtpd_factory):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={address(2): "451 4.3.0 mailbox busy, try later"}))
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, server)
    for f in files[2:]:
        f.unlink()
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0")
    assert code == 3, out + err
    assert "451 4.3.0 mailbox busy" in out and f"stays in {folder}, retried in 30 s" in out
    assert names(folder) == [".spoolview-work", "done", "facture-02.spv", "failed"]
    assert names(folder / "failed") == []
    server.handler.rcpt_replies.clear()
    assert run(capsys, "watch", folder, "--once", "--settle", "0")[0] == 0
    assert names(folder / "done") == ["facture-01.spv", "facture-02.spv"]


def test_a_file_still_being_written_waits_for_the_settle_time(capsys, tmp_path, smtpd):
    folder = tmp_path / "out"
    setup_batch(tmp_path, smtpd)
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "3600")
    assert code == 0 and "nothing to send" in out
    assert len(names(folder)) == COUNT + 3 and smtpd.messages == []


def test_missing_folder_is_one_clear_line(capsys, tmp_path):
    code, out, err = run(capsys, "watch", tmp_path / "nowhere", "--once")
    assert code == 1 and "does not exist: create it or check the path" in err and "Traceback" not in err


def _watcher(folder: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "viewer.cli", "watch", str(folder), "--settle", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def test_two_watchers_on_one_folder_send_each_file_once(tmp_path, smtpd):
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, smtpd)
    first, second = _watcher(folder, "--once"), _watcher(folder, "--once")
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert {first.returncode, second.returncode} <= {0, 1, 3}, outputs
    expected = {address(i) for i in range(1, COUNT + 1) if i not in (CORRUPT, NOBODY)}
    assert received(smtpd) == Counter({a: 1 for a in expected})
    assert len(names(folder / "done")) == len(expected)
    assert len(names(folder / "failed")) == 4  # two documents and their .log
    assert names(folder) == [".spoolview-work", "done", "failed"] and len(files) == COUNT


def test_running_watcher_sends_a_file_renamed_into_place_and_stops_on_sigterm(tmp_path, smtpd):
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, smtpd)
    keep = files[0].read_bytes()
    for f in files:
        f.unlink()
    watcher = _watcher(folder, "--interval", "0.5")
    try:
        partial = folder / "facture-01.spv.part"
        partial.write_bytes(keep)
        os.rename(partial, folder / "facture-01.spv")
        deadline = time.monotonic() + 60
        while not (folder / "done" / "facture-01.spv").exists() and time.monotonic() < deadline and watcher.poll() is None:
            time.sleep(0.1)
        assert (folder / "done" / "facture-01.spv").exists()
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "watching " in err and "facture F2026-0001 -> " in out
    assert received(smtpd) == Counter({address(1): 1})


def test_with_inotify_a_file_renamed_into_place_is_sent_at_once_without_the_settle_time(tmp_path, smtpd):
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, smtpd)
    first, second = files[0].read_bytes(), files[1].read_bytes()
    for f in files:
        f.unlink()
    watcher = _watcher(folder, "--settle", "3600")
    try:
        assert watcher.stderr is not None
        assert "(inotify)" in watcher.stderr.readline()  # watching from now on
        (folder / "facture-02.spv").write_bytes(second)  # written in place: may still be growing, waits the settle time
        partial = folder / "facture-01.spv.part"
        partial.write_bytes(first)
        os.rename(partial, folder / "facture-01.spv")  # renamed into place: complete
        deadline = time.monotonic() + 60
        while not (folder / "done" / "facture-01.spv").exists() and time.monotonic() < deadline and watcher.poll() is None:
            time.sleep(0.05)
        assert (folder / "done" / "facture-01.spv").exists()
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert received(smtpd) == Counter({address(1): 1})
    assert (folder / "facture-02.spv").exists() and "facture F2026-0002" not in out
