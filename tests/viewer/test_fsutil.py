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


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_dir_under_umask_022_parents_too_and_an_old_one_tightened(tmp_path, umask_022):
    from viewer.fsutil import private_dir

    made = private_dir(tmp_path / "a" / "b")
    assert (_mode(tmp_path / "a"), _mode(made)) == (0o700, 0o700)
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    private_dir(old)
    assert _mode(old) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o775)
    private_dir(shared, tighten=False)  # set up to be shared on purpose: left alone
    assert _mode(shared) == 0o755


def test_private_file_created_0600_and_an_old_one_tightened(tmp_path, umask_022):
    from viewer.fsutil import private_file

    new = private_file(tmp_path / "new.log")
    assert new.read_bytes() == b"" and _mode(new) == 0o600
    old = tmp_path / "old.sqlite"
    old.write_bytes(b"kept")
    assert _mode(old) == 0o644
    private_file(old)
    assert _mode(old) == 0o600 and old.read_bytes() == b"kept"
