"""The pickup-folder route: atomic, IIS-compatible drops with unique names."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from viewer.mail.routes import pickup
from viewer.mail.routes.base import ConfigurationError, Envelope, TemporaryError
from viewer.mail.routes.pickup import PickupRoute, file_name, strip_header
from viewer.settings import Settings

ROOT = Path(__file__).resolve().parents[4]
NAME = re.compile(r"^\d{18}[A-Za-z0-9_-]+[a-z0-9]{16}\.eml$")
MESSAGE = (
    b"From: agent@example.com\nTo: client@example.org\nBcc: boss@example.com,\n  audit@example.com\n"
    b"Subject: Devis 42\n\nBonjour\nBcc: this body line stays\n"
)
ENV = Envelope("agent@example.com", ("client@example.org", "boss@example.com", "audit@example.com"))


def drops(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def test_drop_is_iis_compatible(tmp_path):
    folder = tmp_path / "pickup"
    result = PickupRoute(folder).send(MESSAGE, ENV)
    assert result.ok and [r.address for r in result.accepted] == list(ENV.recipients)
    [path] = drops(folder)
    assert result.file == path and str(path) in result.detail
    assert NAME.match(path.name), path.name
    data = path.read_bytes()
    assert data.startswith(
        b"x-sender: agent@example.com\r\nx-receiver: client@example.org\r\n"
        b"x-receiver: boss@example.com\r\nx-receiver: audit@example.com\r\nFrom: "
    )
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Bcc" not in head and b"audit" not in head.split(b"From:")[1]
    assert body == b"Bonjour\r\nBcc: this body line stays\r\n"
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_temporary_files_live_beside_the_folder_and_are_gone(tmp_path):
    folder = tmp_path / "pickup"
    PickupRoute(folder).send(MESSAGE, ENV)
    assert (tmp_path / "pickup.tmp").is_dir()
    assert list((tmp_path / "pickup.tmp").iterdir()) == []
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_without_envelope_lines_and_txt_extension(tmp_path):
    route = PickupRoute(tmp_path / "p", extension=".txt", envelope_lines=False)
    path = route.send(MESSAGE, ENV).file
    assert path.suffix == ".txt"
    assert path.read_bytes() == MESSAGE.replace(b"\n", b"\r\n")


def test_from_settings(tmp_path):
    settings = Settings()
    settings.service.pickup_folder = str(tmp_path / "spool")
    settings.advanced.file_extension = "txt"
    route = PickupRoute.from_settings(settings)
    assert route.send(MESSAGE, ENV).file.parent == tmp_path / "spool"
    assert drops(tmp_path / "spool")[0].suffix == ".txt"


def test_file_name_shape():
    name = file_name(".eml")
    assert NAME.match(name)
    assert file_name(".eml") != name


def test_strip_header_keeps_other_folded_headers():
    raw = b"To: a@x\r\nBcc: b@x,\r\n c@x\r\nSubject: long\r\n continued\r\n\r\nBcc: body\r\n"
    assert strip_header(raw, b"bcc") == b"To: a@x\r\nSubject: long\r\n continued\r\n\r\nBcc: body\r\n"


@pytest.mark.parametrize("envelope_lines", [True, False])
def test_envelope_lines_inside_the_message_never_reach_the_relay(tmp_path, envelope_lines):
    from viewer.relay.message import parse_message

    smuggled = b"X-Receiver : extra@evil.example\r\nx-sender: forged@evil.example\r\n" + MESSAGE
    PickupRoute(tmp_path, envelope_lines=envelope_lines).send(smuggled, ENV)
    [path] = drops(tmp_path)
    data = path.read_bytes()
    assert b"evil.example" not in data
    parsed = parse_message(data)
    assert "extra@evil.example" not in parsed.recipients and parsed.sender != "forged@evil.example"


def test_strip_header_allows_space_before_the_colon():
    assert strip_header(b"Bcc : b@x\r\nTo: a@x\r\n\r\nbody", b"bcc") == b"To: a@x\r\n\r\nbody"


def test_empty_folder_setting_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="pickup folder"):
        PickupRoute("")


def test_folder_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match=re.escape(str(blocker / "pickup"))):
        PickupRoute(blocker / "pickup").send(MESSAGE, ENV)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_unwritable_folder(tmp_path):
    folder = tmp_path / "pickup"
    folder.mkdir()
    (tmp_path / "pickup.tmp").mkdir(mode=0o500)
    folder.chmod(0o500)
    try:
        with pytest.raises(ConfigurationError, match=re.escape(str(folder))):
            PickupRoute(folder).send(MESSAGE, ENV)
    finally:
        folder.chmod(0o700)


def test_permission_error_is_a_configuration_error(tmp_path, monkeypatch):
    real_open = os.open

    def refuse(path, flags, *args):
        if str(path).endswith(".part"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(pickup.os, "open", refuse)
    with pytest.raises(ConfigurationError, match="permissions"):
        PickupRoute(tmp_path / "pickup").send(MESSAGE, ENV)


def test_disk_full_is_temporary_and_leaves_nothing(tmp_path, monkeypatch):
    real_write = os.write
    calls = []

    def full(fd, data):
        calls.append(1)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, bytes(data)[:10])

    monkeypatch.setattr(pickup.os, "write", full)
    folder = tmp_path / "pickup"
    with pytest.raises(TemporaryError, match="full"):
        PickupRoute(folder).send(MESSAGE, ENV)
    assert list(folder.iterdir()) == []
    assert list((tmp_path / "pickup.tmp").iterdir()) == []


def test_hidden_temporary_name_when_no_sibling_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(pickup, "_temp_folder", lambda folder: folder)
    seen: list[str] = []
    real_link = os.link

    def spy(src, dst):
        seen.append(Path(src).name)
        return real_link(src, dst)

    monkeypatch.setattr(pickup.os, "link", spy)
    folder = tmp_path / "pickup"
    PickupRoute(folder).send(MESSAGE, ENV)
    assert seen[0].startswith(".")
    assert len(drops(folder)) == 1 and len(list(folder.iterdir())) == 1


def test_no_links_falls_back_to_rename(tmp_path, monkeypatch):
    def no_link(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(pickup.os, "link", no_link)
    path = PickupRoute(tmp_path / "p").send(MESSAGE, ENV).file
    assert path.read_bytes().startswith(b"x-sender:")


WRITER = textwrap.dedent(
    """
    import sys
    from viewer.mail.routes.base import Envelope
    from viewer.mail.routes.pickup import PickupRoute
    folder, tag, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    route = PickupRoute(folder, envelope_lines=False)
    for i in range(count):
        body = b"x" * size
        route.send(b"Subject: " + f"{tag}-{i}".encode() + b"\\r\\n\\r\\n" + body + b"\\r\\nEND\\r\\n", Envelope("a@x", ("b@y",)))
    """
)


def spawn_writers(folder: Path, count: int, per_process: int, size: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen([sys.executable, "-c", WRITER, str(folder), f"w{n}", str(per_process), str(size)], cwd=ROOT)
        for n in range(count)
    ]


def test_four_processes_thousand_drops_no_collision(tmp_path):
    folder = tmp_path / "pickup"
    folder.mkdir()
    procs = spawn_writers(folder, 4, 250, 64)
    assert [p.wait(timeout=90) for p in procs] == [0, 0, 0, 0]
    files = drops(folder)
    assert len(files) == 1000
    subjects = {f.read_bytes().split(b"\r\n", 1)[0] for f in files}
    assert len(subjects) == 1000


def test_concurrent_reader_never_sees_a_partial_file(tmp_path):
    folder = tmp_path / "pickup"
    folder.mkdir()
    [proc] = spawn_writers(folder, 1, 60, 400_000)
    checked = set()
    for _ in range(1_000_000):  # bounded: the writer finishes long before
        done = proc.poll() is not None
        for path in drops(folder):
            if path.name in checked:
                continue
            data = path.read_bytes()
            assert data.endswith(b"\r\nEND\r\n") and len(data) > 400_000, path.name
            checked.add(path.name)
        if done:
            break
    assert proc.returncode == 0
    assert len(checked) == 60


def test_folders_it_creates_are_private_under_umask_022(tmp_path):
    """Issue 12.10: a pickup (or sent, or error) folder the program creates is 0700, its files 0600."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        PickupRoute(tmp_path / "new" / "pickup").send(MESSAGE, ENV)
    finally:
        os.umask(old)
    [path] = drops(tmp_path / "new" / "pickup")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new" / "pickup").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


def test_a_folder_removed_between_two_drops_is_made_again(tmp_path):
    """The folder is made and checked on the first drop only (a batch drops hundreds): one removed since
    (with its temporary folder) is made again, private, and the drop goes there."""
    import shutil
    import stat

    folder = tmp_path / "pickup"
    route = PickupRoute(folder)
    route.send(MESSAGE, ENV)
    shutil.rmtree(folder)
    shutil.rmtree(tmp_path / "pickup.tmp")
    result = route.send(MESSAGE, ENV)
    assert result.ok and drops(folder) == [result.file]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and list((tmp_path / "pickup.tmp").iterdir()) == []
    shutil.rmtree(folder)
    folder.write_text("not a folder", encoding="utf-8")  # replaced by a file: said as on a first drop
    with pytest.raises(ConfigurationError, match=r"cannot create the pickup folder .*pickup \(File exists\): check the path"):
        route.send(MESSAGE, ENV)
