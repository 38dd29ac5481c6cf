"""The process's one settings store: shared reads, saving notifies, another process's change is re-read."""

from __future__ import annotations

from viewer import settings as S
from viewer.settings_store import SettingsStore, shared


def test_saving_notifies_every_reader_and_shares_one_object():
    store = SettingsStore()
    seen = []
    store.subscribe(lambda s: seen.append(s.functions.host))
    changed = store.settings
    changed.functions.host = "smtp.example.com"
    store.save(changed)
    assert seen == ["smtp.example.com"]
    assert store.settings is changed
    assert S.load().functions.host == "smtp.example.com"


def test_a_file_changed_by_another_process_is_re_read_once():
    store = SettingsStore()
    seen = []
    unsubscribe = store.subscribe(lambda s: seen.append(s.functions.host))
    assert store.refresh() is store.settings and seen == []  # nothing changed: no re-read
    other = S.load()  # what `spoolview settings set` does in another process
    other.functions.host = "relay.example.com"
    S.save(other)
    assert store.refresh().functions.host == "relay.example.com"
    assert store.refresh().functions.host == "relay.example.com"
    assert seen == ["relay.example.com"]
    unsubscribe()
    other.functions.host = "third.example.com"
    S.save(other)
    store.refresh()
    assert seen == ["relay.example.com"]


def test_a_broken_file_keeps_the_settings_in_force_and_says_why():
    store = SettingsStore()
    store.settings.functions.host = "kept.example.com"
    store.save(store.settings)
    store.path.write_text("[functions\nhost = ", encoding="utf-8")
    assert store.refresh().functions.host == "kept.example.com"
    assert str(store.path) in store.problem


def test_settings_handed_in_are_never_re_read():
    mine = S.Settings()
    mine.functions.host = "mine.example.com"
    store = SettingsStore(settings=mine, watch=False)
    S.save(S.Settings())
    assert store.refresh() is mine


def test_one_store_per_settings_file(tmp_path, monkeypatch):
    assert shared() is shared()
    first = shared()
    monkeypatch.setenv("SPOOLVIEW_CONFIG", str(tmp_path / "other.toml"))
    assert shared() is not first and shared().path == tmp_path / "other.toml"
