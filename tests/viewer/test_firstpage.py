"""The first-page child's side (no Tk): the fitting arithmetic, the recorded page area, the messages,
and its work run in this process on real documents (the fork itself: tests/viewer/gui/test_firstpage.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from viewer import firstpage

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
A4 = (595.0, 842.0)


def test_fit_zoom_fits_the_width_or_the_whole_page_within_the_zoom_range():
    view = (831, 717)
    width = firstpage.fit_zoom(view, A4, 96.0, "width")
    assert round(A4[0] * width * 96 / 72) == 831 - 2 * firstpage.GAP
    whole = firstpage.fit_zoom(view, A4, 96.0, "page")
    assert round(A4[1] * whole * 96 / 72) == 717 - 2 * firstpage.GAP and whole < width
    assert firstpage.fit_zoom((5000, 5000), (10.0, 10.0), 96.0, "width") == firstpage.MAX_ZOOM
    assert firstpage.fit_zoom((10, 10), (5000.0, 5000.0), 96.0, "width") == firstpage.MIN_FIT_ZOOM
    assert firstpage.render_dpi(width, 96.0) == round(width * 96.0, 2)


def test_window_key_is_the_remembered_size_or_default():
    assert firstpage.window_key("900x700+10+20") == "900x700"
    assert firstpage.window_key("900x700-10-20") == "900x700"
    assert firstpage.window_key("") == "default"


def test_the_page_area_is_recorded_privately_and_a_damaged_record_is_ignored(spoolview_home):
    assert firstpage.read_view() is None
    record = {"window": "default", "view": [831, 717], "dpi": 100.04}
    firstpage.write_view(record)
    assert firstpage.read_view() == record
    assert os.stat(firstpage.view_file().parent).st_mode & 0o077 == 0
    firstpage.view_file().write_text('{"window": "default", "view": "wide"}')
    assert firstpage.read_view() is None
    firstpage.view_file().write_text("not json")
    assert firstpage.read_view() is None


def test_predicted_dpi_only_for_the_recorded_window():
    record = {"window": "900x700", "view": [700, 600], "dpi": 100.0}
    expected = firstpage.render_dpi(firstpage.fit_zoom((700, 600), A4, 100.0, "width"), 100.0)
    assert firstpage.predicted_dpi(record, "900x700+0+0", A4) == expected
    assert firstpage.predicted_dpi(record, "", A4) is None  # the default window: not what was recorded
    assert firstpage.predicted_dpi(None, "900x700+0+0", A4) is None


def run_child_work(path: Path, tmp_path: Path, requests: bytes = b"") -> list[tuple[dict, bytes]]:
    """``draw_first_page`` in this process: its messages (written to a file), ``requests`` as the parent's words."""
    out = tmp_path / "messages"
    to_parent = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    read_end, write_end = os.pipe()
    os.write(write_end, requests)
    os.close(write_end)  # the parent's end of file: the child stops after the requests
    try:
        assert firstpage.draw_first_page(str(path), to_parent, read_end) == 0
    finally:
        os.close(to_parent)
    reader = os.open(out, os.O_RDONLY)
    child = firstpage.Child(0, reader, None, str(path))  # nothing to ask: the messages are all in the file
    messages = child.read()
    assert child.ended
    os.close(reader)
    return messages


def test_the_child_sends_the_page_info_then_page_1_at_each_dpi_asked(tmp_path):
    from formats import render
    from viewer.docopen import open_document

    quote = SAMPLES / "devis-D2026-0042.spv"
    messages = run_child_work(quote, tmp_path, b"render 96.5\nrender 120.0\n")
    kinds = [h["kind"] for h, _ in messages]
    assert kinds == ["info", "page", "page"]  # nothing recorded: no page before it is asked
    info = messages[0][0]
    with open_document(quote) as doc:
        assert info["pages"] == doc.page_count and info["name"] == doc.name
        assert tuple(info["page"]) == (float(doc.page(0).width), float(doc.page(0).height))
        assert messages[1][0]["dpi"] == 96.5 and messages[1][1] == render.render_ppm(doc, 0, dpi=96.5)
        assert messages[2][0]["dpi"] == 120.0 and messages[2][1].startswith(b"P6")


def test_with_a_recorded_window_the_child_renders_without_being_asked(tmp_path, spoolview_home):
    from viewer.gui.recent import ViewerState

    ViewerState(geometry="900x700+0+0").save()
    firstpage.write_view({"window": "900x700", "view": [700, 600], "dpi": 100.0})
    pdf = SAMPLES / "notice.pdf"
    messages = run_child_work(pdf, tmp_path)
    assert [h["kind"] for h, _ in messages] == ["info", "page"]
    info, (page, pixels) = messages[0][0], messages[1]
    assert info["view"] == {"window": "900x700", "view": [700, 600], "dpi": 100.0}
    assert page["dpi"] == firstpage.predicted_dpi(info["view"], "900x700+0+0", tuple(info["page"]))
    assert pixels.startswith(b"P6")


@pytest.mark.parametrize("name", ["mail-devis.eml", "damaged.pdf"])
def test_what_the_child_cannot_draw_is_left_to_the_parent(tmp_path, name):
    path = SAMPLES / name if name.endswith(".eml") else tmp_path / name
    if not path.exists():
        path.write_bytes(b"%PDF-1.7 nothing else")
    assert [h["kind"] for h, _ in run_child_work(path, tmp_path)] == ["none"]


def test_messages_are_read_as_they_come_and_garbage_ends_the_child(tmp_path):
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    child = firstpage.Child(0, read_end, None, "x.pdf")
    firstpage.send(write_end, {"kind": "page", "dpi": 96.0}, b"P6 pixels")
    whole = os.read(read_end, 1000)
    os.write(write_end, whole[:7])  # a message cut in the middle: nothing yet
    assert child.read() == [] and not child.ended
    os.write(write_end, whole[7:])
    assert child.read() == [({"kind": "page", "dpi": 96.0, "size": 9}, b"P6 pixels")]
    os.write(write_end, b"\x00\x00\x00\x05nope!")
    assert child.read() == [] and child.ended
    os.close(write_end)
    os.close(read_end)
    assert not child.request(96.0)


def test_no_child_where_it_cannot_help(tmp_path, monkeypatch):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    assert not firstpage.available(str(tmp_path / "missing.pdf"))
    monkeypatch.setenv(firstpage.DISABLE_ENV, "sequential")
    assert not firstpage.available(str(pdf)) and firstpage.start(str(pdf)) is None
    monkeypatch.delenv(firstpage.DISABLE_ENV)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:  # a fork copies one thread: never with another one running
        assert not firstpage.available(str(pdf))
    finally:
        stop.set()
        worker.join()


def test_the_cli_forks_early_only_for_a_plain_open_of_files():
    assert firstpage.first_file(["open", "a.pdf", "b.pdf"]) == "a.pdf"
    assert firstpage.first_file(["open", "--new-window", "a.pdf"]) == "a.pdf"
    assert firstpage.first_file(["-v", "open", "--no-reuse", "a.pdf"]) == "a.pdf"
    assert firstpage.first_file(["open"]) is None  # an empty window: nothing to draw
    assert firstpage.first_file(["--config", "x.toml", "open", "a.pdf"]) is None  # other settings: the command forks
    assert firstpage.first_file(["open", "--help", "a.pdf"]) is None


def test_a_child_for_another_file_is_not_taken(tmp_path):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # a child that waits to be ended, as the first-page child waits for requests
        os.read(read_end, 1)
        os._exit(0)
    firstpage._started = firstpage.Child(pid, read_end, write_end, "a.pdf")
    assert firstpage.take("b.pdf") is None
    with pytest.raises(ChildProcessError):  # ended and reaped
        os.waitpid(pid, os.WNOHANG)
    assert firstpage.take("a.pdf") is None  # nothing left to take


def test_the_childs_pipe_holds_a_page_at_once():
    """A page of PPM crosses the child's pipe in a few writes, not in 64 KB steps."""
    import fcntl

    read_end, write_end = os.pipe()
    default = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
    os.close(read_end)
    os.close(write_end)
    with open("/proc/sys/fs/pipe-max-size") as limit:
        wanted = min(int(limit.read()), firstpage.PIPE_BYTES)
    assert wanted > default
    probe = (  # a fresh process: no thread running (a test runner's would keep the fork from happening)
        "import fcntl, sys\n"
        "from viewer import firstpage\n"
        "child = firstpage.start(sys.argv[1], work=lambda path, to_parent, from_parent: 0)\n"
        "print(fcntl.fcntl(child.fileno(), fcntl.F_GETPIPE_SZ))\n"
        "child.stop()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(SAMPLES / "notice.pdf")], capture_output=True, text=True,
                          timeout=60, cwd=SAMPLES.parent)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == wanted


CHILD_IN_A_PROCESS = (
    "import os, sys; from viewer import firstpage\n"
    "out = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600); r, w = os.pipe()\n"
    "os.write(w, b'render 96.5\\n'); os.close(w)\n"
    "assert firstpage.draw_first_page(sys.argv[1], out, r) == 0\n"
    "print('pymupdf' in sys.modules)\n"
)


@pytest.mark.parametrize("road", ["", "pymupdf"])
@pytest.mark.parametrize("name", ["notice.pdf", "devis-D2026-0042.spv"])
def test_page_1_is_drawn_without_importing_pymupdf_and_as_the_viewer_draws_it(tmp_path, road, name):
    """The child draws a PDF, or a spool's page drawn as PDF, through MuPDF's C library
    (formats/mupdfc.py): PyMuPDF's import, the longer side of a cold start, is skipped;
    SPOOLVIEW_FIRST_PAGE=pymupdf takes the old road. Same bytes."""
    from formats import render
    from viewer.docopen import open_document

    pdf, out = SAMPLES / name, tmp_path / "messages"
    env = {**os.environ, "PYTHONPATH": str(ROOT), firstpage.DISABLE_ENV: road}
    done = subprocess.run([sys.executable, "-c", CHILD_IN_A_PROCESS, str(pdf), str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(road == "pymupdf")  # PyMuPDF imported only on the old road
    reader = os.open(out, os.O_RDONLY)
    messages = firstpage.Child(0, reader, None, str(pdf)).read()
    os.close(reader)
    assert [h["kind"] for h, _ in messages] == ["info", "page"]
    with open_document(pdf) as doc:
        assert messages[1][0]["dpi"] == 96.5 and messages[1][1] == render.render_ppm(doc, 0, dpi=96.5)
