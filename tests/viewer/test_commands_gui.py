"""``spoolview [open] FILE...``: the plain form read without argparse, everything else by argparse, the
same messages either way."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from viewer.commands import gui


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
