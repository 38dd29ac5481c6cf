"""The `server`, `connect`, `disconnect`, `connection` and `profiles` commands."""

from __future__ import annotations

import io
import queue
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.viewer.server.live import LiveServer, free_port, smtp_config
from viewer import cli
from viewer import settings as S
from viewer.server.auth import Authenticator
from viewer.server.db import Database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server_toml(tmp_path):
    path = tmp_path / "server.toml"
    path.write_text(f'[server]\ndatabase_url = "sqlite:///{tmp_path / "server.db"}"\n', encoding="utf-8")
    return path


def run(argv: list[str], stdin: str = "") -> int:
    saved, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        return cli.main(argv)
    finally:
        sys.stdin = saved


def login_ok(toml: Path, user: str, password: str) -> bool:
    db = Database(f"sqlite:///{toml.parent / 'server.db'}")
    auth = Authenticator(db, token_seconds=60, window_seconds=60, max_per_user=100, max_per_address=100)
    try:
        return auth.login(user, password, "127.0.0.1") is not None
    finally:
        db.dispose()


def test_adduser_with_identities_then_user_changes_and_shows_them(server_toml, capsys):
    config = ["--config", str(server_toml)]
    assert run(["server", "adduser", "alice", "--identity", "Alice@Example.com", "--email", "alice@home.example", *config], "pw\n") == 0
    db = Database(f"sqlite:///{server_toml.parent / 'server.db'}")
    try:
        row = db.user("alice")
        assert (row.identities, row.email) == (["alice@example.com"], "alice@home.example")
        assert run(["server", "user", "alice", "--identity", "sales@example.com", *config]) == 0
        out = capsys.readouterr().out
        assert "own identities:  alice@example.com, sales@example.com" in out and "alice@home.example" in out
        assert "server identity: (none" in out  # this configuration has no route identity
        assert run(["server", "user", "alice", "--clear-identities", "--email", "", *config]) == 0
        assert (db.user("alice").identities, db.user("alice").email) == ([], "")
    finally:
        db.dispose()
    assert run(["server", "user", "alice", "--identity", "not an address", *config]) == 1
    assert "not a valid e-mail address" in capsys.readouterr().err
    assert run(["server", "user", "nobody", *config]) == 1
    assert "adduser nobody" in capsys.readouterr().err


def test_migrate_creates_then_says_up_to_date(server_toml, capsys):
    from viewer.server import migrate

    config = ["--config", str(server_toml)]
    assert run(["server", "migrate", *config]) == 0
    assert f"schema revision none -> {migrate.head()}" in capsys.readouterr().out
    assert run(["server", "migrate", *config]) == 0
    assert "up to date" in capsys.readouterr().out
    assert run(["server", "migrate", "--revision", "9999", *config]) == 1
    assert "cannot migrate" in capsys.readouterr().err


def test_adduser_passwd_deluser(server_toml, capsys):
    assert run(["server", "adduser", "alice", "--config", str(server_toml)], "first-pw\n") == 0
    assert login_ok(server_toml, "alice", "first-pw")
    assert run(["server", "users", "--config", str(server_toml)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "alice"
    assert run(["server", "passwd", "alice", "--config", str(server_toml)], "second-pw\n") == 0
    assert login_ok(server_toml, "alice", "second-pw") and not login_ok(server_toml, "alice", "first-pw")
    assert run(["server", "deluser", "alice", "--config", str(server_toml)]) == 0
    assert not login_ok(server_toml, "alice", "second-pw")
    out = capsys.readouterr()
    assert "first-pw" not in out.out + out.err and "second-pw" not in out.out + out.err


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["server", "adduser", "bad name"], "pw\n", "not allowed"),
        (["server", "adduser", "bob"], "\n", "password is empty"),
        (["server", "passwd", "nobody"], "pw\n", "adduser nobody"),
        (["server", "deluser", "nobody"], "", "no user 'nobody'"),
    ],
)
def test_user_errors(server_toml, capsys, argv, stdin, message):
    assert run(argv + ["--config", str(server_toml)], stdin) == 1
    assert message in capsys.readouterr().err


def test_adduser_twice(server_toml, capsys):
    run(["server", "adduser", "bob", "--config", str(server_toml)], "pw\n")
    assert run(["server", "adduser", "bob", "--config", str(server_toml)], "pw\n") == 1
    assert "already exists" in capsys.readouterr().err


def test_password_prompt_on_a_terminal_must_match(server_toml, capsys, monkeypatch):
    answers = iter(["one", "two"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys, "stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    assert cli.main(["server", "adduser", "carol", "--config", str(server_toml)]) == 1
    assert "differ" in capsys.readouterr().err


def test_missing_config_file(tmp_path, capsys):
    assert run(["server", "users", "--config", str(tmp_path / "none.toml")]) == 1
    assert "not found" in capsys.readouterr().err


def test_run_refuses_half_tls(server_toml, capsys):
    assert run(["server", "run", "--config", str(server_toml), "--certfile", "c.pem"]) == 1
    assert "go together" in capsys.readouterr().err


def test_run_names_a_bad_route_setting_before_starting(server_toml, capsys):
    with server_toml.open("a", encoding="utf-8") as out:
        out.write('[server.route.environment]\nsmtp_password = 42\n')
    assert run(["server", "run", "--config", str(server_toml), "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert f"{server_toml}: route.environment.smtp_password must be a text" in err
    assert "spoolview server on" not in err and "42" not in err


def test_run_warns_when_the_relay_password_is_readable_by_others(server_toml, capsys):
    import socket

    with server_toml.open("a", encoding="utf-8") as out:
        out.write('[server.route.environment]\nsmtp_user = "relay"\nsmtp_password = "Relay-pw-1"\n')
    with socket.socket() as busy:  # stop right after the checks: the port is taken
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = str(busy.getsockname()[1])
        server_toml.chmod(0o644)
        assert run(["server", "run", "--config", str(server_toml), "--port", port]) == 1
        err = capsys.readouterr().err
        assert f"run `chmod 600 {server_toml}`" in err and "Relay-pw-1" not in err
        server_toml.chmod(0o600)
        assert run(["server", "run", "--config", str(server_toml), "--port", port]) == 1
        assert "chmod" not in capsys.readouterr().err


def test_run_says_when_the_port_is_taken(server_toml, capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert run(["server", "run", "--config", str(server_toml), "--port", str(port)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_profiles_add_list_remove(capsys):
    assert run(["profiles", "add", "office", "https://apps.example.com:8470/", "--user", "alice"]) == 0
    assert S.load().profiles["office"].url == "https://apps.example.com:8470"
    assert run(["profiles", "list"]) == 0
    assert "office\thttps://apps.example.com:8470\tuser=alice" in capsys.readouterr().out
    assert run(["profiles", "remove", "office"]) == 0
    assert S.load().profiles == {}
    assert run(["profiles", "remove", "office"]) == 1
    assert run(["profiles", "add", "lan", "http://apps.example.com", "--user", "a"]) == 1
    assert "not encrypted" in capsys.readouterr().err


def test_connect_status_disconnect(tmp_path, smtpd, capsys):
    with LiveServer(smtp_config(tmp_path, smtpd, from_identity="s@example.com"), users={"alice": "alice-pw"}) as live:
        run(["profiles", "add", "office", live.url, "--user", "alice"])
        assert run(["connect", "office"], "wrong\n") == 1
        assert "wrong user name or password" in capsys.readouterr().err
        assert run(["connect", "office"], "alice-pw\n") == 0
        assert "connected to" in capsys.readouterr().out
        assert run(["connection"]) == 0
        assert "server answers" in capsys.readouterr().out
        from viewer.connection import current

        raw = b"From: s@example.com\r\nSubject: Devis 9\r\n\r\nbody\r\n"
        smtpd.handler.rcpt_replies["no@example.org"] = "550 5.1.1 unknown"
        current().send(raw, "s@example.com", ("c@example.org", "no@example.org"), document="devis 9")
        assert run(["connection", "--history"]) == 0
        line = capsys.readouterr().out.splitlines()[-1]
        assert "devis 9" in line and "Devis 9" in line and "no@example.org (refused: " in line and "NOT sent" in line
        assert run(["disconnect"]) == 0
        assert "disconnected" in capsys.readouterr().out
        assert run(["connection"]) == 0
        assert "local (not connected)" in capsys.readouterr().out
    assert run(["connect", "nowhere"]) == 1
    assert "no connection profile 'nowhere'" in capsys.readouterr().err


def test_connect_to_a_server_that_is_down(capsys):
    run(["profiles", "add", "office", f"http://127.0.0.1:{free_port()}", "--user", "alice"])
    assert run(["connect", "office"], "pw\n") == 1
    assert "cannot reach the application server" in capsys.readouterr().err


class Spawned:
    """`spoolview server run` in a child process; ``wait_for`` reads its log lines."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "viewer.cli", *argv], cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]  # started with stderr=PIPE
            self.lines.put(line)
        self.lines.put("")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        seen = []
        while True:
            line = self.lines.get(timeout=timeout)
            seen.append(line)
            if text in line:
                return
            if line == "":
                raise AssertionError("server exited: " + "".join(seen))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_server_run_serves_and_workers_share_the_database(server_toml, workers):
    assert run(["server", "adduser", "alice", "--config", str(server_toml)], "alice-pw\n") == 0
    port = free_port()
    spawned = Spawned(["server", "run", "--config", str(server_toml), "--port", str(port), "--workers", str(workers)])
    try:
        for _ in range(workers):  # each worker logs this just before it listens
            spawned.wait_for("Application startup complete")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, transport=httpx.HTTPTransport(retries=5)) as client:
            assert client.get("/health").json() == {"status": "ok"}
            assert "server" not in client.get("/health").headers
            token = client.post("/login", json={"user": "alice", "password": "alice-pw"}).json()["token"]
            for _ in range(8):  # new connections: the kernel spreads them over the workers
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as fresh:
                    assert fresh.get("/history/alice", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        spawned.stop()


@pytest.mark.parametrize(("locale", "said"), [
    ("fr_FR.UTF-8", "spoolview : erreur : le mot de passe contient un caractère de contrôle (U+0007, caractère n° 4), "
                    "interdit dans un mot de passe : choisissez-en un autre"),
    ("en_US.UTF-8", "spoolview: error: the password holds a control character (U+0007, character 4), which a password "
                    "may not hold: choose another password"),
])
def test_a_password_saslprep_refuses_is_told_when_set_in_both_languages(server_toml, capsys, monkeypatch, locale, said):
    monkeypatch.setenv("LC_ALL", locale)
    monkeypatch.setenv("LANGUAGE", locale[:2])
    assert run(["server", "adduser", "dora", "--config", str(server_toml)], "mot\u0007passe\n") == 1
    assert capsys.readouterr().err.strip() == said
    assert run(["server", "adduser", "dora", "--config", str(server_toml)], "cafe\u0301\n") == 0  # nothing half-made
    assert login_ok(server_toml, "dora", "café")


def test_user_commands_speak_french(server_toml, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    config = ["--config", str(server_toml)]
    assert run(["server", "adduser", "alice", *config], "pw-1\n") == 0
    assert capsys.readouterr().out == "utilisateur alice ajouté\n"
    assert run(["server", "adduser", "alice", *config], "pw-1\n") == 1
    assert capsys.readouterr().err == ("spoolview : erreur : l'utilisateur « alice » existe déjà : changez son mot de passe avec "
                                       "`spoolview server passwd alice`\n")
    assert run(["server", "passwd", "alice", *config], "pw-2\n") == 0
    assert capsys.readouterr().out == "mot de passe de alice changé ; ses sessions ouvertes ont été fermées\n"
    assert run(["server", "user", "alice", *config]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "utilisateur alice", "  identité du serveur : (aucune : renseignez from_identity dans la voie d'envoi du serveur)",
        "  identités propres : (aucune)", "  adresse propre (Reply-To) : (aucune)"]
    assert run(["server", "deluser", "alice", *config]) == 0
    assert capsys.readouterr().out == "utilisateur alice supprimé\n"
    assert run(["server", "deluser", "alice", *config]) == 1
    assert capsys.readouterr().err == "spoolview : erreur : aucun utilisateur « alice » sur ce serveur\n"
    assert run(["server", "adduser", "bad name", *config], "pw\n") == 1
    assert "le nom d'utilisateur « bad name » n'est pas permis" in capsys.readouterr().err


def test_connect_status_history_and_profiles_speak_french(tmp_path, smtpd, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    with LiveServer(smtp_config(tmp_path, smtpd, from_identity="s@example.com"), users={"alice": "café"}) as live:
        assert run(["profiles", "add", "bureau", live.url, "--user", "alice"]) == 0
        assert capsys.readouterr().out == f"profil « bureau » enregistré : {live.url} en tant que alice\n"
        assert run(["connect", "bureau"], "cafe\u0301\n") == 0  # typed decomposed: the server prepares it (SASLprep)
        out = capsys.readouterr().out
        assert out.startswith(f"connecté à {live.url} en tant que alice (profil « bureau ») ; la session dure ")
        assert run(["connection"]) == 0
        assert capsys.readouterr().out.endswith(" ; le serveur répond\n")
        from viewer.connection import current

        smtpd.handler.rcpt_replies["no@example.org"] = "550 5.1.1 unknown"
        current().send(b"From: s@example.com\r\nSubject: Devis 9\r\n\r\nbody\r\n", "s@example.com",
                       ("c@example.org", "no@example.org"), document="devis 9")
        assert run(["connection", "--history"]) == 0
        line = capsys.readouterr().out.splitlines()[-1]
        assert "\tc@example.org, no@example.org (refusé : " in line and line.endswith("\tNON envoyé : des destinataires ont été refusés")
        assert run(["disconnect"]) == 0
        assert capsys.readouterr().out == f"déconnecté de {live.url}\n"
        assert run(["connection"]) == 0
        assert capsys.readouterr().out == "mode local (pas connecté)\n"
    assert run(["profiles", "remove", "bureau"]) == 0
    assert capsys.readouterr().out == "profil « bureau » supprimé\n"
    assert run(["profiles", "remove", "bureau"]) == 1
    assert capsys.readouterr().err == "spoolview : erreur : aucun profil de connexion « bureau » (`spoolview profiles list` les montre)\n"
    assert run(["profiles", "list"]) == 0
    assert capsys.readouterr().out.startswith("aucun profil de connexion : ajoutez-en un")
