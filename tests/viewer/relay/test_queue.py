"""The durable queue: states as folders, claim by atomic rename, recovery, badmail, status."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from viewer.relay.queue import Queue, message_id_time, new_id, write_durable


def _queue(tmp_path, **kw) -> Queue:
    q = Queue(tmp_path / "q", **kw)
    q.register()
    return q


def test_store_claim_done(tmp_path):
    q = _queue(tmp_path)
    qid = q.store(b"x-sender: a@x.test\r\nx-receiver: b@x.test\r\nSubject: s\r\n\r\nbody")
    assert (q.incoming / f"{qid}.eml").exists()
    assert not list(q.tmp.iterdir())
    (path,) = q.due()
    claimed = q.claim(path)
    assert claimed == q.active / f"{qid}.eml" and claimed.exists()
    assert q.claim(path) is None  # already taken: only one claimer wins
    q.done(claimed)
    assert not claimed.exists() and q.due() == []
    assert (q.sent / f"{qid}.eml").exists() and q.status().incoming == q.status().active == 0
    assert q.purge_sent() == 1 and list(q.sent.iterdir()) == []


def test_sent_leftovers_are_deleted_at_recovery_and_never_sent_again(tmp_path):
    q = _queue(tmp_path)
    q.done(q.claim(q.incoming / f"{q.store(b'Subject: s')}.eml"))  # delivered, then the process died
    q.recover()
    assert list(q.sent.iterdir()) == [] and q.due() == []


def test_done_without_a_sent_folder_deletes_at_once(tmp_path):
    q = _queue(tmp_path)
    claimed = q.claim(q.incoming / f"{q.store(b'Subject: s')}.eml")
    q.sent.rmdir()
    q.done(claimed)
    assert not claimed.exists() and not q.sent.exists()


def test_two_queues_claim_each_message_once(tmp_path):
    a, b = _queue(tmp_path), _queue(tmp_path)
    for _ in range(50):
        a.store(b"Subject: x\r\n\r\n")
    won_a = [p for p in a.due() if a.claim(p)]
    won_b = [p for p in b.due() if b.claim(p)]
    assert len(won_a) + len(won_b) == 50 and not won_b  # a took them first, b found them gone
    assert len(list(a.active.iterdir())) == 50


def test_defer_sets_next_attempt_and_meta(tmp_path):
    q = _queue(tmp_path)
    qid = q.store(b"Subject: x\r\n\r\n")
    claimed = q.claim(q.due()[0])
    later = time.time() + 100
    dest = q.defer(claimed, {"id": qid, "attempts": [1]}, later)
    assert dest.parent == q.deferred
    assert abs(dest.stat().st_mtime - later) < 1
    assert q.due() == [] and q.due(now=later + 1) == [dest]
    assert q.load_meta(qid) == {"id": qid, "attempts": [1]}
    assert abs(q.next_due() - later) < 1
    assert q.status().deferred == 1 and abs(q.status().next_retry - later) < 1
    assert q.flush() == 1 and q.due() == [dest]


def test_release_goes_back_to_incoming_or_deferred(tmp_path):
    q = _queue(tmp_path)
    a = q.claim(q.incoming / f"{q.store(b'S: x')}.eml")
    b_id = q.store(b"S: y")
    b = q.claim(q.incoming / f"{b_id}.eml")
    q.save_meta(b_id, {"attempts": [1]})
    q.release(a)
    q.release(b)
    assert (q.incoming / a.name).exists() and (q.deferred / b.name).exists()


def test_recover_messages_of_a_dead_process(tmp_path):
    q = _queue(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    other = Queue(tmp_path / "q", owner=f"{q.host}_{pid}_abc")
    other.register()
    other.claim(other.incoming / f"{other.store(b'S: x')}.eml")
    st = q.status()
    assert st.active == 1
    assert st.owners == 1  # this process (q); the dead one's heartbeat file is not a running relay
    assert q.recover() == 1
    assert len(q.due()) == 1 and not (q.active_root / other.owner).exists()
    assert not (q.owners / f"{other.owner}.alive").exists()


def test_live_peer_keeps_its_messages_until_lease_expires(tmp_path):
    q = _queue(tmp_path, lease=60)
    peer = Queue(tmp_path / "q", owner="otherhost_1_abc")
    peer.register()
    peer.claim(peer.incoming / f"{peer.store(b'S: x')}.eml")
    assert q.recover() == 0
    old = time.time() - 120
    os.utime(peer.owners / f"{peer.owner}.alive", (old, old))
    assert q.recover() == 1


def test_badmail_with_log_and_unique_names(tmp_path):
    q = _queue(tmp_path)
    for n in range(2):
        src = tmp_path / "pickup.eml"
        src.write_bytes(b"junk")
        dest = q.to_badmail(src, f"reason {n}", name="pickup.eml")
        assert dest.read_bytes() == b"junk" and not src.exists()
        assert f"reason {n}" in (q.badmail / f"{dest.stem}.log").read_text()
    assert sorted(p.name for p in q.badmail.iterdir()) == ["pickup-1.eml", "pickup-1.log", "pickup.eml", "pickup.log"]
    keep = tmp_path / "keep.eml"
    keep.write_bytes(b"x")
    q.to_badmail(keep, "copy", keep=True)
    assert keep.exists() and (q.badmail / "keep.eml").exists()
    assert q.status().badmail == 3


def test_clean_unregister_hands_back(tmp_path):
    q = _queue(tmp_path)
    q.claim(q.incoming / f"{q.store(b'S: x')}.eml")
    q.unregister()
    assert len(q.due()) == 1 and not q.active.exists() and q.status().owners == 0


def test_ids_sort_by_time_and_durable_write(tmp_path):
    a = new_id()
    time.sleep(0.002)
    b = new_id()
    assert a < b and abs(message_id_time(a) - time.time()) < 5
    assert message_id_time("not-hex-at-all") is None
    write_durable(tmp_path / "f.json", b"{}")
    assert (tmp_path / "f.json").read_bytes() == b"{}"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_status_counts_and_oldest(tmp_path):
    q = _queue(tmp_path)
    q.store(b"S: 1")
    q.claim(q.incoming / f"{q.store(b'S: 2')}.eml")
    st = q.status()
    assert (st.incoming, st.active, st.deferred, st.owners) == (1, 1, 0, 1)
    assert st.oldest is not None and st.oldest <= time.time()


def test_unreadable_meta_is_ignored(tmp_path):
    q = _queue(tmp_path)
    q.meta_path("abc").write_text("{broken")
    assert q.load_meta("abc") is None and q.load_meta("missing") is None


def test_same_host_peer_alive_keeps_its_messages_past_the_lease(tmp_path):
    q = _queue(tmp_path, lease=1)
    peer = Queue(tmp_path / "q", owner=f"{q.host}_{os.getpid()}_peer")  # a live process: this one
    peer.register()
    peer.claim(peer.incoming / f"{peer.store(b'S: x')}.eml")
    old = time.time() - 120
    os.utime(peer.owners / f"{peer.owner}.alive", (old, old))
    assert q.recover() == 0  # alive with the same start time: not taken over
    (peer.owners / f"{peer.owner}.alive").write_text("12345")  # pid reused by another process
    os.utime(peer.owners / f"{peer.owner}.alive", (old, old))
    assert q.recover() == 1


def test_store_on_a_full_disk_leaves_nothing_behind(tmp_path, monkeypatch):
    q = _queue(tmp_path)
    real_fsync = os.fsync

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        q.store(b"From: a@example.com\r\nTo: b@example.com\r\n\r\nx")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert list(q.tmp.iterdir()) == [] and list(q.incoming.iterdir()) == []
    with pytest.raises(OSError):  # the same for every durable write (meta, badmail logs)
        monkeypatch.setattr(os, "fsync", full)
        write_durable(tmp_path / "meta.json", b"{}")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors through /proc")
@pytest.mark.parametrize("count", [1, 5])
def test_store_batch_writes_whole_files_and_closes_them(tmp_path, count):
    q = _queue(tmp_path)
    datas = [f"x-sender: a@x.test\r\nx-receiver: b@x.test\r\nSubject: {n}\r\n\r\n".encode() + b"y" * 70_000
             for n in range(count)]
    before = _open_fds()
    ids = q.store_batch(datas)
    assert _open_fds() == before  # fsynced through the descriptors written with, then closed
    assert [(q.incoming / f"{qid}.eml").read_bytes() for qid in ids] == datas
    assert not list(q.tmp.iterdir())


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors through /proc")
@pytest.mark.parametrize("count", [1, 5])
def test_store_batch_failing_fsync_leaves_nothing_behind(tmp_path, monkeypatch, count):
    q = _queue(tmp_path)
    before = _open_fds()

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="Input/output error"):
        q.store_batch([b"x-sender: a@x.test\r\nx-receiver: b@x.test\r\n\r\nbody"] * count)
    monkeypatch.undo()
    assert _open_fds() == before
    assert not list(q.tmp.iterdir()) and not list(q.incoming.iterdir())  # no 250, nothing queued
