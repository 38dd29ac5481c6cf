"""The layout rules of DESIGN.md hold: who may import what."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in files:
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_tkinter_only_under_viewer_gui():
    files = [
        p for p in sources("formats", "viewer") if not p.is_relative_to(ROOT / "viewer" / "gui")
    ]
    assert offenders(files, ("tkinter", "_tkinter", "tkinterweb")) == []


def test_formats_never_imports_viewer():
    assert offenders(sources("formats"), ("viewer",)) == []


@pytest.mark.parametrize("folder", ["viewer/mail", "viewer/relay"])
def test_mail_road_and_relay_do_not_import_the_server_or_the_gui(folder):
    assert offenders(sources(folder), ("viewer.server", "viewer.gui")) == []


def test_every_module_says_what_it_is_for():
    missing = [str(p.relative_to(ROOT)) for p in sources("formats", "viewer") if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None]
    assert missing == []
