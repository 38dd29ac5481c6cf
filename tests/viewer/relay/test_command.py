"""`spoolview relay status|flush|check` (run is exercised as a real process in test_service)."""

from __future__ import annotations

import pytest
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
    assert "connected OK" in out and "writable" in out and "relay for 127.0.0.1/32, ::1/128" in out
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


def test_status_and_flush_need_an_existing_queue(tmp_path, capsys):
    cfg = _config(tmp_path, 25, queue={"folder": str(tmp_path / "typo")})
    for action in ("status", "flush"):
        assert main(["relay", action, "--config", str(cfg)]) == 1
        err = capsys.readouterr().err
        assert f"queue folder {tmp_path / 'typo'} does not exist" in err and "queue.folder" in err
    assert not (tmp_path / "typo").exists()  # looking does not create an empty queue


def test_status_counts_only_running_processes(tmp_path, capsys):
    import subprocess
    import sys

    cfg = _config(tmp_path, 25)
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True).stdout)
    q = Queue(tmp_path / "q")
    other = Queue(tmp_path / "q", owner=f"{q.host}_{dead}_abc")
    other.register()  # killed with SIGKILL: its heartbeat file stays
    other.claim(other.incoming / f"{other.store(simple_message())}.eml")  # and so does what it was sending
    assert main(["relay", "status", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "processes  0 running" in out and "active     1" in out
    assert "the next `spoolview relay run` takes them back" in out


@pytest.mark.parametrize("key", ["queue", "log", "pickup"])
def test_run_with_a_folder_that_cannot_be_created(tmp_path, capsys, key):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cfg = _config(tmp_path, 25, **{key: {"folder": str(blocker / "sub")}})
    assert main(["relay", "run", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("spoolview: error: cannot create the folder ") and f"{key}.folder" in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_run_with_an_unreadable_listener_certificate_stops_everything(tmp_path, capsys):
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    cfg = _config(tmp_path, 25, listener={"enabled": True, "port": free_port(), "tls_cert": str(cert), "tls_key": str(cert)})
    assert main(["relay", "run", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "listener.tls_cert/tls_key" in err and "cannot load the certificate" in err and "Traceback" not in err
    st = Queue(tmp_path / "q").status()
    assert st.owners == 0 and not list((tmp_path / "q" / "owners").iterdir())  # no heartbeat left behind


def test_status_works_without_the_services_password_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RELAY_PW_UNSET", raising=False)
    cfg = _config(tmp_path, 25, smarthost={"user": "u", "password_env": "RELAY_PW_UNSET"})
    Queue(tmp_path / "q").ensure()
    assert main(["relay", "status", "--config", str(cfg)]) == 0
    capsys.readouterr()
    for action in ("check", "run"):
        assert main(["relay", action, "--config", str(cfg)]) == 1
        assert "RELAY_PW_UNSET, which is not set" in capsys.readouterr().err


def test_check_warns_when_a_readable_file_holds_a_password(tmp_path, smtpd, capsys):
    cfg = _config(tmp_path, smtpd.port)
    cfg.chmod(0o644)
    assert main(["relay", "check", "--config", str(cfg)]) == 0
    assert "warning" not in capsys.readouterr().out  # no password: nothing to protect
    cfg = _config(tmp_path, smtpd.port, smarthost={"user": "u", "password": "s3cret-pw"})
    cfg.chmod(0o644)
    main(["relay", "check", "--config", str(cfg)])
    out = capsys.readouterr().out
    assert f"chmod 600 {cfg}" in out and "s3cret-pw" not in out
    cfg.chmod(0o600)
    main(["relay", "check", "--config", str(cfg)])
    assert "warning" not in capsys.readouterr().out


def test_status_flush_and_check_speak_french(tmp_path, smtpd, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    cfg = _config(tmp_path, smtpd.port, listener={"enabled": True})
    q = Queue(tmp_path / "q")
    q.register()
    qid = q.store(simple_message(2))
    q.defer(q.claim(q.incoming / f"{qid}.eml"), {"id": qid}, 4_000_000_000)
    assert main(["relay", "status", "--config", str(cfg)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"file d'attente    {tmp_path / 'q'}"  # the labels in one column, as wide as the longest
    assert "différés          1" in lines and "processus         1 en marche" in lines, lines
    assert main(["relay", "flush", "--config", str(cfg)]) == 0
    assert capsys.readouterr().out == "1 message différé va être réessayé maintenant\n"
    assert main(["relay", "check", "--config", str(cfg)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"configuration {cfg} : correcte", f"dossier de la file d'attente {tmp_path / 'q'} : écriture possible",
        f"dossier de dépôt {tmp_path / 'p'} : correct", "écoute sur 127.0.0.1:2525 : relaie pour 127.0.0.1/32, ::1/128",
        f"serveur relais (smart host) 127.0.0.1:{smtpd.port} (none) : connexion réussie"]
    cfg = _config(tmp_path, smtpd.port, pickup={"folder": str(tmp_path / "absent")})
    assert main(["relay", "check", "--config", str(cfg)]) == 1
    assert capsys.readouterr().err == (f"spoolview : erreur : le dossier de dépôt {tmp_path / 'absent'} n'existe pas : "
                                       "créez-le ou corrigez pickup.folder\n")
