"""The first page from the forked child in a real window: same pixels on screen before and after the
document opens, today's messages when the child cannot help, no child left behind, and the fork road
really taken by ``spoolview FILE``.

Each case runs in a fresh interpreter (tests/viewer/gui/firstpage_probe.py, or the real command): the
child is forked as the command forks it, before tkinter is imported and with no thread running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.tools import require_tool

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[3]
PROBE = Path(__file__).with_name("firstpage_probe.py")


def probe(mode: str, path: Path, *, shots: Path | None = None, timeout_ms: int = 3000) -> dict:
    env = {**os.environ, "PROBE_TIMEOUT_MS": str(timeout_ms), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(PROBE), mode, str(path), *([str(shots)] if shots else [])], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_early_page_stays_pixel_for_pixel_when_the_document_opens(make_pdf, tmp_path, spoolview_home):
    require_tool("import")  # ImageMagick: the page area as the X server shows it
    (spoolview_home / "config").mkdir(parents=True)  # a window size the user left, within any test screen
    (spoolview_home / "config" / "viewer-state.json").write_text(json.dumps({"geometry": "700x500+0+0"}))
    pdf = make_pdf("early.pdf", pages=("Early page one", "two", "three"))
    first = probe("real", pdf, shots=tmp_path)
    assert not first["tk_before_fork"]
    assert first["shown"] and not first["document_before"]  # on screen before the document was opened here
    assert first["opened"] and first["screen_has_page"]
    assert first["status_early"] == "Ouverture de early.pdf…"  # not « Aucun document » while it opens
    assert first["status_opened"].startswith("early.pdf — "), first["status_opened"]
    assert first["screen_same"], "the page area changed when the real view took over"
    assert first["own_render_same"]  # this process's own render of page 1 gives the child's pixels
    assert first["asked"], "no window recorded yet: the child was asked for the window's size"
    assert not first["child_left"] and not first["any_child_left"]
    assert (tmp_path / "1-early-page.png").is_file() and (tmp_path / "2-real-view.png").is_file()
    second = probe("real", pdf)  # the same user again: the child rendered at the window's size unasked
    assert second["shown"] and second["screen_same"] and second["asked"] == [], json.dumps([first, second])


def test_a_damaged_file_still_gets_todays_message(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 nothing else")
    report = probe("real", broken)
    assert not report["shown"] and not report["opened"]
    assert [d["kind"] for d in report["dialogs"]] == ["error"]
    message = report["dialogs"][0]["message"]
    assert "« broken.pdf » ne peut pas être ouvert" in message and "endommagé" in message
    assert not report["any_child_left"]


def test_a_protected_pdf_still_asks_for_its_password(make_pdf):
    report = probe("real", make_pdf("locked.pdf", password="secret"))
    assert not report["shown"] and not report["opened"]  # the password dialog was cancelled
    assert [d["kind"] for d in report["dialogs"]] == ["password"]
    assert not report["any_child_left"]


@pytest.mark.parametrize("mode", ["die", "hang"])
def test_a_child_that_dies_or_hangs_leaves_the_ordinary_road(make_pdf, mode):
    # The hanging child sleeps 600 s: without the fallback the probe would not end (its 120 s timeout).
    report = probe(mode, make_pdf(f"{mode}.pdf"), timeout_ms=300)
    assert not report["shown"] and report["opened"] and report["dialogs"] == []
    assert not report["child_left"] and not report["any_child_left"]  # killed and reaped


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie left to init is dead
    except FileNotFoundError:
        return True


def test_the_child_dies_with_its_parent(make_pdf):
    done = subprocess.run([sys.executable, str(PROBE), "orphan", str(make_pdf("orphan.pdf"))], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == -signal.SIGKILL
    child = json.loads(done.stdout.splitlines()[0])["child"]
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(child), "the first-page child outlived its parent"


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def test_spoolview_file_takes_the_fork_road_and_leaves_no_child(make_pdf, tmp_path):
    """The real command: page 1 shown from the child (its log line), the child gone once it is shown."""
    pdf = make_pdf("road.pdf")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    (tmp_path / "run").mkdir(mode=0o700)
    spoolview = str(Path(sys.executable).with_name("spoolview"))
    proc = subprocess.Popen([spoolview, "-v", "--new-window", str(pdf)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "first-page child" not in line and "ordinary way" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline() if proc.stderr else ""
            assert line or proc.poll() is None, "spoolview ended"
        assert "page 1 of" in line and "shown from the first-page child" in line, line
        assert _children(proc.pid) == []  # killed and reaped once its page was taken
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_sequential_road_when_asked(make_pdf, tmp_path):
    """``SPOOLVIEW_FIRST_PAGE=sequential`` (the benchmark's comparison): no child, the page drawn here."""
    pdf = make_pdf("seq.pdf")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path / "run"), "SPOOLVIEW_FIRST_PAGE": "sequential"}
    (tmp_path / "run").mkdir(mode=0o700)
    spoolview = str(Path(sys.executable).with_name("spoolview"))
    proc = subprocess.Popen([spoolview, "-v", "--new-window", str(pdf)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", "^seq.pdf"],
                               capture_output=True, text=True, timeout=90, env=env)
        assert found.returncode == 0
        assert _children(proc.pid) == []
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "first-page child" not in err and "ordinary way" not in err
