"""``spoolview open`` / ``view-demo``: parsing, and the fallback when there is no display."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.runtime import runtime_dir
from viewer.commands import gui

pytestmark = pytest.mark.gui


def parse(argv):
    parser = argparse.ArgumentParser()
    gui.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_open_takes_files():
    args = parse(["open", "a.spv", "b.pdf"])
    assert args.files == ["a.spv", "b.pdf"] and args.func is gui.cmd_open
    assert parse(["view-demo"]).files == [str(gui.SAMPLE_QUOTE)]


def no_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")


def test_open_without_a_display_says_what_to_do_and_does_nothing(monkeypatch, capsys):
    no_display(monkeypatch)
    from viewer.commands import documents

    monkeypatch.setattr(documents, "cmd_demo", lambda args: pytest.fail("converted the sample quote instead of the file"))
    assert gui.cmd_open(parse(["open", "x.spv"])) == gui.EXIT_NO_DISPLAY == 2
    err = capsys.readouterr().err
    assert "x.spv: no such file" in err and "DISPLAY" in err and "Nothing was done" in err
    assert "spoolview convert x.spv -o x.pdf" in err


def test_view_demo_without_a_display_converts_its_own_sample(monkeypatch, capsys):
    no_display(monkeypatch)
    from viewer.commands import documents

    calls = []
    monkeypatch.setattr(documents, "cmd_demo", lambda args: calls.append(args.files) or 0)
    assert gui.cmd_view_demo(parse(["view-demo"])) == 0
    assert "converting the sample quote" in capsys.readouterr().err
    assert calls == [[str(gui.SAMPLE_QUOTE)]]


def test_bare_spoolview_file_means_open(monkeypatch):
    from viewer import cli

    seen = []
    monkeypatch.setattr(gui, "cmd_open", lambda args: seen.append(args.files) or 0)
    assert cli.main(["some-file.spv"]) == 0
    assert cli.main([]) == 0
    assert seen == [["some-file.spv"], []]


def test_a_display_that_refuses_is_said_and_nothing_is_done(monkeypatch, capsys):
    from viewer.commands import documents

    monkeypatch.setenv("DISPLAY", ":9999")  # nothing listens there
    monkeypatch.setattr(documents, "cmd_demo", lambda args: pytest.fail("converted the sample quote"))
    assert gui.cmd_open(parse(["open", "--new-window"])) == 2
    err = capsys.readouterr().err
    assert "the display cannot be opened" in err and "Nothing was done" in err and "Traceback" not in err


# -- real processes: `spoolview FILE` and `make run`'s command, without and with a display ----------

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp_path, *, display: bool, lang: str = "C.UTF-8") -> dict[str, str]:
    """The test's environment for a child spoolview, with or without the (Xvfb) display."""
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = lang
    run = runtime_dir(tmp_path)
    env["XDG_RUNTIME_DIR"] = str(run)  # no running viewer of another test takes the files
    if not display:
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
    return env


def _make_run_command() -> list[str]:
    """The command of the Makefile's ``run`` target that runs the main job, with $(BIN) = this venv."""
    recipe, in_run = [], False
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("run:"):
            in_run = True
        elif in_run and line.startswith("\t"):
            recipe.append(line.strip())
        elif in_run:
            break
    jobs = [line for line in recipe if line.startswith("$(BIN)/spoolview ")]
    assert len(jobs) == 1, recipe
    return [str(Path(sys.executable).parent / "spoolview"), *shlex.split(jobs[0])[1:]]


def test_bare_spoolview_file_without_a_display_names_the_way_out_and_touches_nothing(tmp_path, spoolview_home):
    invoice = tmp_path / "facture.spv"
    invoice.write_bytes((ROOT / "samples" / "facture-F2026-0107.spv").read_bytes())
    before = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    proc = subprocess.run([sys.executable, "-m", "viewer.cli", str(invoice)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=_env(tmp_path, display=False))
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "spoolview: the viewer window cannot open: no graphical display (DISPLAY is not set). Nothing was done.",
        f"To convert the document to PDF without a window: spoolview convert {invoice} -o facture.pdf",
        "To see it: run spoolview in a graphical session, or set DISPLAY (for example ssh -X).",
    ]
    assert "devis" not in proc.stderr  # never the sample quote
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == before  # no PDF, nothing written
    assert not (spoolview_home / "data" / "demo").exists()
    french = subprocess.run([sys.executable, "-m", "viewer.cli", str(invoice)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env=_env(tmp_path, display=False, lang="fr_FR.UTF-8"))
    assert french.returncode == 2
    assert french.stderr.startswith("spoolview : la fenêtre de la visionneuse ne peut pas s'ouvrir : aucun affichage "
                                    "graphique (DISPLAY n'est pas défini). Rien n'a été fait.\n")


def test_make_run_without_a_display_converts_the_sample_quote(tmp_path):
    import pymupdf

    proc = subprocess.run(_make_run_command(), cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env=_env(tmp_path, display=False))
    assert proc.returncode == 0, proc.stderr
    assert "converting the sample quote to PDF instead" in proc.stderr
    pdf = Path(proc.stdout.splitlines()[-1])
    assert pdf.name == "devis-D2026-0042.pdf" and pdf.is_file()
    with pymupdf.open(pdf) as doc:
        assert doc.page_count == 2 and "D2026-0042" in doc[0].get_text()
        assert doc.metadata["encryption"]  # protected (no-modify, AES-256) as the demo says


def test_make_run_with_a_display_opens_the_viewer_on_the_sample_quote(tmp_path):
    from tests.support.tools import require_tool

    xdotool = require_tool("xdotool")
    env = _env(tmp_path, display=True)
    assert env.get("DISPLAY"), "the GUI tests run under Xvfb"
    proc = subprocess.Popen(_make_run_command(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        found = subprocess.run([xdotool, "search", "--sync", "--onlyvisible", "--name", "^devis-D2026-0042", "getwindowname", "%@"],
                               capture_output=True, text=True, timeout=90, env=env)
        assert "devis-D2026-0042.spv — spoolview" in found.stdout.splitlines(), found.stdout + found.stderr
        assert proc.poll() is None  # the viewer runs: no fallback to a conversion
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "converting" not in err and "Traceback" not in err


# -- the plain `spoolview [open] FILE...`, read without argparse ------------------------------------
@pytest.mark.parametrize(("words", "files", "new_window"), [
    (["open", "a.pdf"], ["a.pdf"], False),
    (["open", "a.pdf", "b.spv"], ["a.pdf", "b.spv"], False),
    (["open", "--new-window", "a.pdf"], ["a.pdf"], True),
    (["open", "a.pdf", "--no-reuse"], ["a.pdf"], True),
])
def test_the_plain_form_is_read_without_argparse(words, files, new_window):
    args = gui.plain_open(words)
    assert args is not None
    assert (args.files, args.new_window, args.config, args.verbose) == (files, new_window, None, False)
    assert args.func is gui.cmd_open


@pytest.mark.parametrize("words", [
    ["open"],  # no file: an empty window, argparse's road
    ["-v", "open", "a.pdf"],  # verbose: logging set up by argparse's road
    ["--config", "x.toml", "open", "a.pdf"],
    ["open", "--help"],
    ["open", "--new-window"],
    ["open", "a.pdf", "-x"],  # an unknown option: argparse says so
    ["view-demo"],
])
def test_anything_else_is_left_to_argparse(words):
    assert gui.plain_open(words) is None


def _spoolview(*argv: str, tmp_path) -> tuple[int, str, set[str]]:
    """A real ``spoolview ARGV`` without a display: its status, its stderr and the modules it imported."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('MODULES', *sorted(sys.modules), file=sys.stderr))\n"
        "from viewer.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    proc = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env)
    modules = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES ")).split()[1:]
    message = "\n".join(x for x in proc.stderr.splitlines() if not x.startswith("MODULES "))
    return proc.returncode, message, set(modules)


def test_spoolview_file_takes_the_plain_road_and_says_the_same_as_argparses(tmp_path, samples):
    pdf = str(samples / "notice.pdf")
    code, plain, modules = _spoolview(pdf, str(tmp_path / "missing.pdf"), tmp_path=tmp_path)
    assert "argparse" not in modules
    code_v, verbose, modules_v = _spoolview("-v", pdf, str(tmp_path / "missing.pdf"), tmp_path=tmp_path)
    assert "argparse" in modules_v  # the same command line through argparse
    assert code == code_v == gui.EXIT_NO_DISPLAY
    assert plain == verbose
    assert "missing.pdf: no such file" in plain and "no graphical display (DISPLAY is not set)" in plain
    assert "notice.pdf -o notice.pdf" in plain


def test_a_cold_spoolview_file_logs_a_broken_settings_file_as_before(tmp_path, spoolview_home, samples):
    """The plain road sets logging up with its first record: the warning keeps its usual format."""
    import re

    (spoolview_home / "config").mkdir(parents=True)
    (spoolview_home / "config" / "settings.toml").write_text("[mail\nbroken = \n")
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    spoolview = str(Path(sys.executable).with_name("spoolview"))
    proc = subprocess.Popen([spoolview, "--new-window", str(samples / "notice.pdf")], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "XDG_RUNTIME_DIR": str(run)})
    import threading

    stopper = threading.Timer(90, proc.kill)  # a viewer that never logs it ends, and the test says so
    stopper.start()
    try:
        lines: list[str] = []
        while not any("settings could not be read" in line for line in lines):
            line = proc.stderr.readline() if proc.stderr else ""
            assert line, f"spoolview ended or closed stderr: {lines}"
            lines.append(line)
    finally:
        stopper.cancel()
        proc.terminate()
        proc.wait(timeout=30)
    warning = next(line for line in lines if "settings could not be read" in line)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING viewer\.gui\.mainwindow: settings could not be "
                    r"read; using defaults$", warning), lines
