"""Desktop integration files written into a private XDG data folder, checked and removed."""

from __future__ import annotations

import configparser
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.support.tools import require_tool
from viewer import desktop


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    base = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(base))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # xdg-mime default writes mimeapps.list here
    return base


def test_data_home_respects_xdg_and_ignores_relative(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert desktop.data_home() == tmp_path
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")  # the spec says: ignore a relative path
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert desktop.data_home() == tmp_path / "home" / ".local" / "share"


def test_install_writes_entry_icon_and_mime_types(xdg):
    outcome = desktop.install(command="/opt/sv/bin/spoolview")
    where = desktop.paths(xdg)
    assert set(outcome.written) == set(where.values())
    assert all(desktop.installed().values())

    entry = configparser.ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str  # keys are case-sensitive in .desktop files
    entry.read(where["desktop"], encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Exec"] == "/opt/sv/bin/spoolview open %F"
    assert section["Icon"] == "spoolview"
    mimes = section["MimeType"].rstrip(";").split(";")
    assert {"application/x-spoolview", "application/x-spoolview-text", "application/postscript"} <= set(mimes)

    root = ET.parse(where["mime"]).getroot()
    ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
    globs = {t.get("type"): [g.get("pattern") for g in t.iter(f"{ns}glob")] for t in root.iter(f"{ns}mime-type")}
    assert globs["application/x-spoolview"] == ["*.spv"]
    assert "*.prn" in globs["application/x-spoolview-text"]
    assert "*.txt" not in globs["application/x-spoolview-text"]  # never take over every text file
    assert ET.parse(where["icon"]).getroot().tag.endswith("svg")


def test_entry_passes_desktop_file_validate(xdg):
    require_tool("desktop-file-validate")
    desktop.install(command="/usr/bin/spoolview", refresh=False)
    done = subprocess.run(["desktop-file-validate", str(desktop.paths(xdg)["desktop"])],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout.lower()


def test_mime_database_knows_spv_after_install(xdg):
    require_tool("update-mime-database")
    outcome = desktop.install(command="/usr/bin/spoolview")
    assert any(line.startswith("update-mime-database") for line in outcome.ran)
    assert not outcome.failed
    globs = (xdg / "mime" / "globs2").read_text(encoding="utf-8")
    assert "application/x-spoolview:*.spv" in globs


def test_missing_tools_are_reported_not_raised(xdg, monkeypatch):
    monkeypatch.setenv("PATH", "")  # no update-mime-database, update-desktop-database, xdg-mime
    outcome = desktop.install(command="/usr/bin/spoolview")
    assert len(outcome.written) == 3
    assert any("update-desktop-database (Debian package desktop-file-utils)" in m for m in outcome.missing)
    assert any("xdg-mime (Debian package xdg-utils)" in m for m in outcome.missing)
    assert outcome.ran == []


def test_remove_cleans_up_and_is_idempotent(xdg):
    desktop.install(command="/usr/bin/spoolview")
    outcome = desktop.remove()
    assert len(outcome.removed) == 3
    assert not any(desktop.installed().values())
    if (xdg / "mime" / "globs2").exists():  # the database was rebuilt without our types
        assert "x-spoolview" not in (xdg / "mime" / "globs2").read_text(encoding="utf-8")
    assert desktop.remove().removed == []


def test_exec_command_falls_back_to_this_python(monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert desktop.exec_command().endswith(" -m viewer.cli")
