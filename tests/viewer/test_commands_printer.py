"""`spoolview printer install | status | remove` through the CLI, against a private cupsd."""

from __future__ import annotations

from tests.support import cups
from viewer import settings as settings_mod
from viewer.cli import main

cupsd = cups.cupsd  # the private cupsd fixture


def test_install_status_remove_with_settings(cupsd, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPOOLVIEW_CUPS_SERVERBIN", str(cupsd.serverbin))
    s = settings_mod.load()
    s.printer.folder, s.printer.mode = str(tmp_path / "jobs"), "watch"
    settings_mod.save(s)
    assert main(["printer", "status", "--server", cupsd.host]) == 1
    assert "not installed: run `sudo spoolview printer install`" in capsys.readouterr().out
    assert main(["printer", "install", "--server", cupsd.host]) == 0
    out = capsys.readouterr().out
    assert f"print jobs go to {tmp_path / 'jobs'}, for the watched-folder rules" in out
    assert main(["printer", "status", "--server", cupsd.host]) == 0
    assert f"spoolview:{tmp_path / 'jobs'}?mode=watch" in capsys.readouterr().out
    assert main(["printer", "remove", "--server", cupsd.host]) == 0
    assert "removed the printer queue" in capsys.readouterr().out


def test_missing_cups_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPOOLVIEW_CUPS_SERVERBIN", str(tmp_path / "none"))
    assert main(["printer", "install", "--folder", str(tmp_path / "jobs")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("spoolview: error: ")
    assert "sudo apt-get install cups" in err
    assert "Traceback" not in err


def test_bad_mode_setting_is_reported(monkeypatch, capsys):
    s = settings_mod.load()
    s.printer.mode = "shout"
    problems = settings_mod.check(s)
    assert any("printer.mode" in str(p) for p in problems)
