"""Per-user folders: the XDG answers computed without platformdirs are platformdirs' own."""

import platformdirs
import pytest

from viewer import paths


@pytest.mark.parametrize("env", [
    {},  # the defaults under HOME
    {"XDG_CONFIG_HOME": "/x/conf", "XDG_DATA_HOME": "/x/data", "XDG_STATE_HOME": "/x/state", "XDG_CACHE_HOME": "/x/cache"},
    {"XDG_CONFIG_HOME": "relative/conf", "XDG_DATA_HOME": "", "XDG_STATE_HOME": " ", "XDG_CACHE_HOME": "~/c"},
])
def test_the_folders_are_platformdirs_answers(monkeypatch, tmp_path, env):
    monkeypatch.delenv("SPOOLVIEW_HOME", raising=False)
    monkeypatch.delenv("SPOOLVIEW_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert str(paths.config_dir()) == platformdirs.user_config_dir("spoolview")
    assert str(paths.data_dir()) == platformdirs.user_data_dir("spoolview")
    assert str(paths.log_dir()) == platformdirs.user_log_dir("spoolview")
    assert str(paths.cache_dir()) == platformdirs.user_cache_dir("spoolview")
    assert paths.config_file() == paths.config_dir() / "settings.toml"
    assert str(paths.data_dir()).startswith(str(tmp_path / "home")) or env


def test_spoolview_home_holds_every_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("SPOOLVIEW_HOME", str(tmp_path))
    assert (paths.config_dir(), paths.data_dir(), paths.log_dir(), paths.cache_dir()) == (
        tmp_path / "config", tmp_path / "data", tmp_path / "log", tmp_path / "cache")
