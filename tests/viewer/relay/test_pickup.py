"""The pickup folder: complete files renamed into the queue; bad ones to badmail with a reason."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.viewer.relay.conftest import drop, simple_message
from viewer.relay.pickup import BAD_FILE_GRACE, PickupFolder, is_temporary_name, start_observer
from viewer.relay.queue import Queue


@pytest.fixture
def pickup(tmp_path):
    folder = tmp_path / "pickup"
    folder.mkdir()
    q = Queue(tmp_path / "q")
    q.register()
    return PickupFolder(folder, q, max_size=1000), q


def test_complete_files_move_into_the_queue(pickup):
    pf, q = pickup
    drop(pf.folder, "201009031428380000PORT_JPT28r5eihy86zo6ajn.eml", simple_message(1))
    assert pf.scan() == 1
    assert list(pf.folder.iterdir()) == []
    (path,) = q.due()
    assert path.read_bytes() == simple_message(1)


def test_temporary_names_and_subfolders_are_ignored(pickup):
    pf, q = pickup
    for name in (".hidden.eml", "half.tmp", "x.eml.part", "backup~"):
        (pf.folder / name).write_bytes(simple_message())
    (pf.folder / "sub").mkdir()
    (pf.folder / "sub" / "m.eml").write_bytes(simple_message())
    assert pf.scan() == 0
    assert len(list(pf.folder.iterdir())) == 5 and q.due() == []
    assert is_temporary_name(".x") and is_temporary_name("a.TMP") and not is_temporary_name("a.eml")


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty"), (b"From: a@example.com\r\nTo: b@example.com\r\n\r\n" + b"x" * 2000, "over the limit of 1000 bytes"),
     (b"x" * 300_000, "over the limit of 1000 bytes"), (b"not a mail at all\n", "malformed message")],
)
def test_bad_files_go_to_badmail_with_a_reason_and_the_next_is_taken(pickup, content, reason):
    pf, q = pickup
    seen = []
    pf.on_badmail = lambda name, why: seen.append(name)
    drop(pf.folder, "a-bad.eml", content, age=BAD_FILE_GRACE + 1)
    drop(pf.folder, "b-good.eml", simple_message(2))
    assert pf.scan() == 1
    assert (q.badmail / "a-bad.eml").read_bytes() == content
    log = (q.badmail / "a-bad.log").read_text()
    assert reason in log and "a-bad.eml" in log
    assert len(q.due()) == 1 and seen == ["a-bad.eml"]


def test_unreadable_file_goes_to_badmail(pickup, monkeypatch):
    pf, q = pickup
    f = pf.folder / "locked.eml"
    f.write_bytes(simple_message())
    f.chmod(0)
    real = Path.read_bytes

    def read_bytes(self):  # root reads everything: refuse like a locked file would
        if self.name == "locked.eml":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert pf.scan() == 0
    assert "cannot be read" in (q.badmail / "locked.log").read_text()


def test_missing_folder_is_logged_not_fatal(tmp_path):
    q = Queue(tmp_path / "q")
    q.register()
    assert PickupFolder(tmp_path / "nowhere", q, max_size=10).scan() == 0


def test_observer_wakes_on_rename(tmp_path):
    woke = threading.Event()
    observer = start_observer(tmp_path, woke.set)
    assert observer is not None
    try:
        drop(tmp_path, "m.eml", simple_message())
        assert woke.wait(5)
    finally:
        observer.stop()
        observer.join(5)


def test_take_in_batches(pickup):
    pf, q = pickup
    for n in range(3):
        drop(pf.folder, f"{n}.eml", simple_message(n))
    taken, more = pf.take(limit=2)
    assert len(taken) == 2 and more and all(p.parent == q.incoming for p in taken)
    taken, more = pf.take(limit=2)
    assert len(taken) == 1 and not more


def test_settle_time_waits_for_files_copied_in_place(pickup):
    import os
    import time

    pf, q = pickup
    pf.settle = 30
    f = pf.folder / "copied.eml"
    f.write_bytes(simple_message())
    assert pf.scan() == 0 and f.exists()
    old = time.time() - 60
    os.utime(f, (old, old))
    assert pf.scan() == 1


def test_a_file_written_in_place_is_not_sent_to_badmail_while_young(pickup):
    pf, q = pickup
    path = pf.folder / "in-place.eml"
    path.write_bytes(b"")  # created, not written yet
    assert pf.scan() == 0 and path.exists() and not list(q.badmail.iterdir())
    path.write_bytes(simple_message(1)[:12])  # half-written: no blank line, no recipient yet
    assert pf.scan() == 0 and path.exists() and not list(q.badmail.iterdir())
    path.write_bytes(simple_message(1))
    assert pf.scan() == 1 and not path.exists()


def test_an_empty_file_left_alone_goes_to_badmail(pickup):
    import os
    import time

    pf, q = pickup
    path = pf.folder / "empty.eml"
    path.write_bytes(b"")
    assert pf.scan() == 0 and path.exists()
    then = time.time() - BAD_FILE_GRACE - 1
    os.utime(path, (then, then))
    assert pf.scan() == 0 and not path.exists()
    assert "the file is empty" in (q.badmail / "empty.log").read_text()


def test_envelope_lines_do_not_count_towards_the_size_limit(pickup):
    pf, q = pickup
    content = b"From: a@example.com\r\nSubject: x\r\n\r\n" + b"y" * 900  # under 1000 bytes
    envelope = b"x-sender: a@example.com\r\n" + b"".join(b"x-receiver: r%d@example.com\r\n" % n for n in range(20))
    drop(pf.folder, "many.eml", envelope + content)
    assert pf.scan() == 1 and not list(q.badmail.iterdir())
