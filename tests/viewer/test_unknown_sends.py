"""The list of sends whose outcome is unknown: kept privately until the server says."""

from __future__ import annotations

import stat

from viewer import paths, unknown_sends


def test_remember_of_and_forget_in_a_private_file():
    unknown_sends.remember("k1", "https://a.example", "alice", document="devis 1", recipients=["c@example.org"])
    unknown_sends.remember("k2", "https://a.example", "bob")
    unknown_sends.remember("k1", "https://a.example", "alice", document="devis 1")  # once per key
    assert [i.key for i in unknown_sends.of("https://a.example", "alice")] == ["k1"]
    assert [i.key for i in unknown_sends.load()] == ["k2", "k1"]
    path = paths.data_dir() / unknown_sends.FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    unknown_sends.forget("k1")
    assert unknown_sends.of("https://a.example", "alice") == []


def test_an_unreadable_file_counts_as_empty_and_is_rewritten():
    path = paths.ensure_private_dir(paths.data_dir()) / unknown_sends.FILE
    path.write_text("{not json", encoding="utf-8")
    assert unknown_sends.load() == []
    unknown_sends.remember("k3", "https://a.example", "alice")
    assert [i.key for i in unknown_sends.load()] == ["k3"]
