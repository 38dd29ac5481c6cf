"""Recent files and window geometry in the small JSON state file."""

from __future__ import annotations

import os

import pytest

from viewer import paths
from viewer.gui.recent import MAX_RECENT, ViewerState, state_file

pytestmark = pytest.mark.gui


def test_round_trip_in_the_config_folder(tmp_path):
    state = ViewerState.load()
    assert state.path == state_file() and state.path.parent == paths.config_dir()
    doc = tmp_path / "a.pdf"
    doc.write_bytes(b"x")
    state.add_recent(doc)
    state.geometry = "800x600+10+20"
    assert state.save()
    again = ViewerState.load()
    assert again.recent == [str(doc.resolve())] and again.geometry == "800x600+10+20"
    if os.name == "posix":
        assert (state.path.parent.stat().st_mode & 0o077) == 0


def test_newest_first_without_duplicates_and_bounded(tmp_path):
    state = ViewerState(path=tmp_path / "s.json")
    for i in range(MAX_RECENT + 3):
        state.add_recent(tmp_path / f"{i}.spv")
    state.add_recent(tmp_path / "5.spv")
    assert len(state.recent) == MAX_RECENT
    assert state.recent[0].endswith("5.spv") and state.recent.count(state.recent[0]) == 1


def test_only_existing_files_are_offered(tmp_path):
    there = tmp_path / "there.pdf"
    there.write_bytes(b"x")
    state = ViewerState([str(there), str(tmp_path / "gone.pdf")], path=tmp_path / "s.json")
    assert state.existing_recent() == [str(there)]


def test_damaged_file_starts_afresh(tmp_path):
    path = tmp_path / "s.json"
    for content in ("{not json", "[1, 2]", '{"recent": [3, "x"], "geometry": "; rm -rf"}'):
        path.write_text(content)
        state = ViewerState.load(path)
        assert state.geometry == "" and all(isinstance(p, str) for p in state.recent)


def test_unwritable_folder_does_not_raise(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    state = ViewerState(path=blocker / "sub" / "s.json")
    assert state.save() is False
