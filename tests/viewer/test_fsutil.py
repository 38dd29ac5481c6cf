"""Durable writes: private mode, atomic replacement, nothing left behind on failure."""

import os
import stat

import pytest

from viewer.fsutil import fsync_dir, write_durable


def test_write_durable_replaces_atomically_and_privately(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")
    old = os.umask(0)
    try:
        write_durable(target, b"new")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_text("old")

    def disk_full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError):
        write_durable(target, b"new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_fsync_dir_strict_only_when_asked(tmp_path):
    missing = tmp_path / "gone"
    fsync_dir(missing)  # lenient: a share that cannot be flushed is accepted
    with pytest.raises(OSError):
        fsync_dir(missing, strict=True)
