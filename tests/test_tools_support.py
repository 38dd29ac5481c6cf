"""tests/support/tools.py: a missing tool fails the test with the install command."""

from __future__ import annotations

import pytest

from tests.support.tools import package_of, require_tool


def test_missing_tool_fails_with_the_install_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception) as failed:
        require_tool("qpdf")
    message = str(failed.value)
    assert "'qpdf' not found on PATH" in message
    assert "sudo apt-get install -y --no-install-recommends qpdf" in message


def test_present_tool_gives_its_path(tmp_path, monkeypatch) -> None:
    tool = tmp_path / "pdfinfo"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert require_tool("pdfinfo") == str(tool)


def test_commands_map_to_their_debian_packages() -> None:
    table = package_of()
    assert table["pdftotext"] == "poppler-utils"
    assert table["import"] == "imagemagick"
    assert table["Xvfb"] == "xvfb"
