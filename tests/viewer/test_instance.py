"""The single-instance socket: private folder and file, peer check, stale sockets, the request."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading

import pytest

from tests.support.runtime import runtime_dir
from viewer import instance


@pytest.fixture
def runtime(tmp_path, monkeypatch):
    folder = runtime_dir(tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder


def test_socket_lives_in_a_private_folder_of_the_runtime_dir(runtime):
    path = instance.socket_path()
    assert path.parent == runtime / "spoolview"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    listener = instance.Listener.start()
    try:
        assert listener.path == path
        assert stat.S_ISSOCK(path.stat().st_mode) and stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        listener.close()
    assert not path.exists()  # removed on close


def test_without_runtime_dir_a_0700_folder_in_tmp_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    folder = instance.runtime_dir()
    assert folder == tmp_path / f"spoolview-{os.getuid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_folder_others_can_enter_is_not_used(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    (tmp_path / f"spoolview-{os.getuid()}").mkdir(mode=0o755)
    os.chmod(tmp_path / f"spoolview-{os.getuid()}", 0o755)
    assert instance.runtime_dir() is None and instance.socket_path() is None
    assert instance.Listener.start() is None and instance.forward(["a.pdf"]) is False


def test_display_and_home_give_different_sockets(runtime, monkeypatch):
    first = instance.socket_path()
    monkeypatch.setenv("DISPLAY", ":77")
    assert instance.socket_path() != first


def test_peer_credentials_refuse_another_user():
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert instance.peer_uid(left) == os.getuid()
        assert instance.same_user(left)
        assert not instance.same_user(left, uid=os.getuid() + 1)


def test_a_request_from_another_user_is_refused_and_nothing_opens(runtime, monkeypatch):
    listener = instance.Listener.start()
    monkeypatch.setattr(instance, "same_user", lambda conn, uid=None: False)  # as if the peer were someone else
    opened = []
    client = socket.socket(socket.AF_UNIX)
    try:
        client.connect(str(listener.path))
        client.sendall(b'{"open": ["/x.pdf"]}\n')
        assert listener.handle(opened.extend) is False
        assert json.loads(client.recv(1000)) == {"ok": False, "error": "refused: another user"}
    finally:
        client.close()
        listener.close()
    assert opened == []


def _serve_once(listener, opened):
    import select

    select.select([listener.sock], [], [], 10)
    listener.handle(opened.extend)


def test_forward_hands_absolute_paths_to_the_running_viewer(runtime, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listener = instance.Listener.start()
    opened: list[str] = []
    server = threading.Thread(target=_serve_once, args=(listener, opened))
    server.start()
    try:
        assert instance.forward(["a.pdf", "/abs/b.spv"]) is True
    finally:
        server.join(10)
        listener.close()
    assert opened == [str(tmp_path / "a.pdf"), "/abs/b.spv"]


def test_no_viewer_means_no_forward(runtime):
    assert instance.forward(["a.pdf"]) is False


def test_a_stale_socket_is_replaced(runtime):
    path = instance.socket_path()
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))  # a viewer that died: the file stays, nobody listens
    dead.close()
    assert path.exists()
    assert instance.forward(["a.pdf"]) is False  # refused: the caller opens its own window
    listener = instance.Listener.start()
    assert listener is not None
    listener.close()


def test_a_live_viewer_is_not_displaced(runtime):
    first = instance.Listener.start()
    try:
        assert instance.Listener.start() is None
        assert first.path.exists()
    finally:
        first.close()


def test_a_bad_request_is_answered_not_raised(runtime):
    listener = instance.Listener.start()
    client = socket.socket(socket.AF_UNIX)
    try:
        client.connect(str(listener.path))
        client.sendall(b'{"open": "not a list"}\n')
        assert listener.handle(lambda files: pytest.fail("opened")) is False
        reply = json.loads(client.recv(1000))
        assert reply["ok"] is False
    finally:
        client.close()
        listener.close()


def test_close_leaves_a_successors_socket_alone(runtime):
    first = instance.Listener.start()
    first.path.unlink()  # e.g. removed by hand, then another viewer started
    second = instance.Listener.start()
    try:
        first.close()
        assert second.path.exists()
    finally:
        second.close()


@pytest.mark.parametrize("name", [
    "/plain/a.pdf", "/with space/é à ç/devis « 42 ».spv", '/quote"and\\backslash/x.pdf', "/tab\tnew\nline/\x7f\x01.pdf",
    "/astral/\U0001f4c4.pdf", os.fsdecode(b"/latin1-bytes/\xe9t\xe9.pdf"),
])
def test_the_request_is_the_json_the_viewer_reads(name):
    line = instance.encode_request([name, "/b.pdf"])
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and line.isascii()
    assert json.loads(line) == {"open": [name, "/b.pdf"]}
    assert line == json.dumps({"open": [name, "/b.pdf"]}).encode() + b"\n"


def test_the_scope_tag_is_stable_and_tells_scopes_apart():
    assert instance.scope_tag("") == 0x811C9DC5 and instance.scope_tag("a") == 0xE40C292C  # FNV-1a's reference values
    assert instance.scope_tag(":0||/home/a") != instance.scope_tag(":1||/home/a")


def test_the_client_loads_no_json_socket_py_or_pathlib(runtime, tmp_path):
    """The hand-over costs the interpreter's start and a round trip: a fresh interpreter's modules after it."""
    import subprocess
    import sys

    listener = instance.Listener.start()
    opened: list[str] = []
    server = threading.Thread(target=_serve_once, args=(listener, opened))
    server.start()
    probe = ("import sys; from viewer import instance; ok = instance.forward([sys.argv[1]]); "
             "print(ok, sorted({'json', 'socket', 'pathlib', 're', 'enum', 'struct', 'zlib'} & set(sys.modules)))")
    try:
        done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "a.pdf")], capture_output=True, text=True,
                              env=dict(os.environ), timeout=60)
    finally:
        server.join(10)
        listener.close()
    assert done.stdout.split(None, 1) == ["True", "[]\n"], done.stderr
    assert opened == [str(tmp_path / "a.pdf")]


def test_the_viewer_answers_before_opening_and_an_opening_error_stays_on_its_side(runtime):
    listener = instance.Listener.start()
    client = socket.socket(socket.AF_UNIX)
    replies = []

    def opening(files):
        replies.append(json.loads(client.recv(1000)))  # already answered when the opening starts
        raise RuntimeError("a bug in the window")

    try:
        client.connect(str(listener.path))
        client.sendall(instance.encode_request(["/x.pdf"]))
        with pytest.raises(RuntimeError):  # Tk reports it in the viewer (a dialog), the client is done
            listener.handle(opening)
    finally:
        client.close()
        listener.close()
    assert replies == [{"ok": True}]


def test_the_viewer_listens_without_socket_py(runtime, tmp_path):
    """Listening is on a cold start's road: the C socket module only; a hand-over is still served."""
    import subprocess
    import sys

    probe = ("import sys, threading; from viewer import instance\n"
             "listener = instance.Listener.start()\n"
             "loaded = 'socket' in sys.modules\n"
             "import select; opened = []\n"
             "client = threading.Thread(target=lambda: opened.append(instance.forward([sys.argv[1]])))\n"
             "client.start(); select.select([listener], [], [], 30); handled = listener.handle(opened.extend)\n"
             "client.join(30); listener.close(); print(loaded, handled, sorted(map(str, opened)))\n")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "a.pdf")], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"False True [{str(tmp_path / 'a.pdf')!r}, 'True']\n", done.stdout  # opened, answered
