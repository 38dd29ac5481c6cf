"""`spoolview desktop install | status | remove` through the real CLI entry point."""

from __future__ import annotations

from viewer.cli import main


def test_install_status_remove(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["desktop", "status"]) == 1
    assert "absent" in capsys.readouterr().out
    assert main(["desktop", "install"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'share' / 'applications' / 'spoolview.desktop'}" in out
    assert "spoolview is registered" in out
    assert main(["desktop", "status"]) == 0
    assert "absent" not in capsys.readouterr().out
    assert main(["desktop", "remove"]) == 0
    assert "removed" in capsys.readouterr().out
    assert main(["desktop", "remove"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_missing_tools_named_with_their_package(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("PATH", "")
    assert main(["desktop", "install"]) == 0
    out = capsys.readouterr().out
    assert "not run, not installed: update-mime-database (Debian package shared-mime-info)" in out
    assert "after the next login" in out
