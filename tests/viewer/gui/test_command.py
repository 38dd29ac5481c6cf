"""``spoolview open`` / ``view-demo``: parsing, and the fallback when there is no display."""

from __future__ import annotations

import argparse

import pytest

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


def test_no_display_says_so_and_falls_back_to_converting(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    from viewer.commands import documents

    calls = []
    monkeypatch.setattr(documents, "cmd_demo", lambda args: calls.append(args) or 0)
    assert gui.cmd_open(parse(["open", "x.spv"])) == 0
    err = capsys.readouterr().err
    assert "DISPLAY" in err and "Converting" in err and "x.spv: no such file" in err
    assert len(calls) == 1


def test_bare_spoolview_file_means_open(monkeypatch):
    from viewer import cli

    seen = []
    monkeypatch.setattr(gui, "cmd_open", lambda args: seen.append(args.files) or 0)
    assert cli.main(["some-file.spv"]) == 0
    assert cli.main([]) == 0
    assert seen == [["some-file.spv"], []]


def test_a_display_that_refuses_falls_back_to_converting(monkeypatch, capsys):
    from viewer.commands import documents

    monkeypatch.setenv("DISPLAY", ":9999")  # nothing listens there
    calls = []
    monkeypatch.setattr(documents, "cmd_demo", lambda args: calls.append(args) or 0)
    assert gui.cmd_open(parse(["open"])) == 0
    err = capsys.readouterr().err
    assert "the display cannot be opened" in err and "Converting" in err and "Traceback" not in err
    assert len(calls) == 1
