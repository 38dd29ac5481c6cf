"""`spoolview relay status|flush|check` (run is exercised as a real process in test_service)."""

from __future__ import annotations

import tomli_w

from tests.support.smtpd import free_port
from tests.viewer.relay.conftest import simple_message
from viewer.cli import main
from viewer.relay.queue import Queue


def _config(tmp_path, port, **extra):
    data = {"queue": {"folder": str(tmp_path / "q")}, "pickup": {"folder": str(tmp_path / "p")}, "smarthost": {"host": "127.0.0.1", "port": port}}
    for k, v in extra.items():
        data.setdefault(k, {}).update(v)
    (tmp_path / "p").mkdir(exist_ok=True)
    path = tmp_path / "relay.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def test_status_and_flush(tmp_path, capsys):
    cfg = _config(tmp_path, 25)
    q = Queue(tmp_path / "q")
    q.register()
    q.store(simple_message())
    qid = q.store(simple_message(2))
    q.defer(q.claim(q.incoming / f"{qid}.eml"), {"id": qid}, 4_000_000_000)
    assert main(["relay", "status", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "incoming   1" in out and "deferred   1" in out and "next retry 2096" in out
    assert main(["relay", "flush", "--config", str(cfg)]) == 0
    assert "1 deferred message(s)" in capsys.readouterr().out
    assert len(q.due()) == 2


def test_check_ok(tmp_path, smtpd, capsys):
    cfg = _config(tmp_path, smtpd.port, listener={"enabled": True})
    assert main(["relay", "check", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "connected OK" in out and "writable" in out and "relay for 127.0.0.1/32" in out
    assert smtpd.messages == []


def test_check_smart_host_down(tmp_path, capsys):
    cfg = _config(tmp_path, free_port(), smarthost={"user": "u", "password": "hunter22"})
    assert main(["relay", "check", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("spoolview: error: smart host 127.0.0.1") and "hunter22" not in err


def test_check_missing_pickup_folder(tmp_path, capsys):
    cfg = _config(tmp_path, 25, pickup={"folder": str(tmp_path / "absent")})
    assert main(["relay", "check", "--config", str(cfg)]) == 1
    assert "pickup folder" in capsys.readouterr().err


def test_bad_config_is_one_line(tmp_path, capsys):
    bad = tmp_path / "relay.toml"
    bad.write_text('[smarthost]\nhost = "h"\n')
    assert main(["relay", "run", "--config", str(bad)]) == 1
    assert "queue.folder is required" in capsys.readouterr().err


def test_no_action_prints_help(capsys):
    assert main(["relay"]) == 2
    assert "status" in capsys.readouterr().out
