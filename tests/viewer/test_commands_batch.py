"""`spoolview send FILE FILE...`: a batch over a real SMTP server, refusals, a corrupt file, re-runs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.support.procs import descendants, still_running
from tests.support.smtpd import RecordingHandler
from viewer import settings as S
from viewer.cli import main
from viewer.commands._batch import expand, is_batch
from viewer.errors import SpoolviewError

ROOT = Path(__file__).resolve().parents[2]
QUOTE = ROOT / "samples" / "devis-D2026-0042.spv"
COUNT = 24
REFUSED = {5, 11, 17}  # customers whose address the server refuses
CORRUPT = 8  # this document is not a spool
NOBODY = 20  # this document's customer has no address


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def address(i: int) -> str:
    return f"compta{i:02d}@client{i:02d}.example"


def make_documents(folder: Path) -> list[Path]:
    """COUNT small invoices, one per customer CLInn."""
    base = json.loads(QUOTE.read_text(encoding="utf-8"))
    folder.mkdir()
    files = []
    for i in range(1, COUNT + 1):
        path = folder / f"facture-{i:02d}.spv"
        if i == CORRUPT:
            path.write_text('{"format": "spv", "version": 1, "info": ', encoding="utf-8")
        else:
            doc = json.loads(json.dumps(base))
            info = doc["info"]
            info.pop("contact", None)
            info.update(kind="facture", number=f"F2026-{i:04d}", customer=f"CLI{i:03d}", title=f"Facture F2026-{i:04d}")
            doc["pages"] = doc["pages"][:1]
            path.write_text(json.dumps(doc), encoding="utf-8")
        files.append(path)
    return files


def setup_batch(tmp_path: Path, server) -> list[Path]:
    from viewer.directory import open_directory

    settings = S.load()
    settings.functions.send_direct = True
    settings.functions.host, settings.functions.port = server.host, server.port
    settings.functions.from_identity = "agent@example.com"
    S.save(settings)
    customers = tmp_path / "customers.csv"
    rows = ["code;name;email;email2;fax;fax2;default_devis;default_facture"]
    rows += [f"CLI{i:03d};Client {i};{'' if i == NOBODY else address(i)};;;;;" for i in range(1, COUNT + 1)]
    customers.write_text("\n".join(rows) + "\n", encoding="utf-8")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("code;customer;name;email;fax\n", encoding="utf-8")
    with open_directory(S.load()) as directory:
        directory.import_csv(customers, contacts)
    return make_documents(tmp_path / "out")


@pytest.fixture
def refusing(smtpd_factory):
    return smtpd_factory(handler=RecordingHandler(rcpt_replies={address(i): "550 5.1.1 no such user" for i in REFUSED}))


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_summary_exit_status_and_rerun_sends_nothing_twice(capsys, tmp_path, refusing, jobs):
    files = setup_batch(tmp_path, refusing)
    code, out, err = run(capsys, "send", tmp_path / "out" / "*.spv", "--jobs", jobs)
    assert code == 3, out + err
    lines = out.splitlines()
    assert lines[-1] == f"{COUNT} documents: 19 sent, 3 refused, 1 unreadable, 1 no recipient"
    # One line per document, in the order of the files, whatever the number of workers.
    names = [f"facture-{i:02d}.spv" if i == CORRUPT else f"facture F2026-{i:04d}" for i in range(1, COUNT + 1)]
    heads = [f"[{i}/{COUNT}] {name}" for i, name in enumerate(names, 1)]
    assert len(lines) == COUNT + 1 and all(line.startswith(head) for line, head in zip(lines, heads, strict=False)), out
    # Sent in document order, one at a time through the one route.
    assert [m.rcpt_tos for m in refusing.messages] == [[address(i)] for i in range(1, COUNT + 1) if i not in REFUSED | {CORRUPT, NOBODY}]
    assert lines[0].startswith(f"[1/{COUNT}] facture F2026-0001 -> {address(1)}: accepted by ")
    assert "(250 " in lines[0]
    assert lines[4].startswith(f"[5/{COUNT}] facture F2026-0005 -> {address(5)}: NOT sent (permanent): 550 5.1.1 no such user")
    assert lines[CORRUPT - 1].startswith(f"[{CORRUPT}/{COUNT}] facture-08.spv: unreadable: ")
    assert lines[NOBODY - 1].startswith(f"[{NOBODY}/{COUNT}] facture F2026-0020: no recipient: ")
    assert "Traceback" not in out + err
    got = sorted(r for m in refusing.messages for r in m.rcpt_tos)
    assert got == sorted(address(i) for i in range(1, COUNT + 1) if i not in REFUSED | {CORRUPT, NOBODY})
    # The re-run sends only what was not accepted: nothing twice.
    before = len(refusing.messages)
    code, out, err = run(capsys, "send", *files, "--jobs", jobs)
    assert code == 3, out + err
    assert out.splitlines()[-1] == f"{COUNT} documents: 0 sent, 3 refused, 19 skipped (already sent), 1 unreadable, 1 no recipient"
    assert len(refusing.messages) == before
    assert f"[1/{COUNT}] facture F2026-0001: skipped (already sent): {address(1)} on " in out


def test_rerun_after_the_server_stops_refusing_sends_the_rest_then_all_done(capsys, tmp_path, refusing):
    files = [f for i, f in enumerate(setup_batch(tmp_path, refusing), 1) if i not in (CORRUPT, NOBODY)]
    listing = tmp_path / "list.txt"
    listing.write_text("# month end\n" + "\n".join(f.name for f in files) + "\n", encoding="utf-8")
    for f in files:
        f.rename(tmp_path / f.name)
    assert run(capsys, "send", "--from-list", listing)[0] == 3
    refusing.handler.rcpt_replies.clear()
    code, out, err = run(capsys, "send", "--from-list", listing)
    assert code == 0, out + err
    assert out.splitlines()[-1] == f"{len(files)} documents: 3 sent, 19 skipped (already sent)"
    assert sorted(r for m in refusing.messages for r in m.rcpt_tos).count(address(1)) == 1
    code, out, err = run(capsys, "send", "--from-list", listing, "--force", "--dry-run")
    assert code == 0 and out.splitlines()[-1] == f"dry run: nothing sent; {len(files)} documents: 22 would be sent"


def test_a_rerun_converts_only_the_documents_it_sends(capsys, tmp_path, smtpd_factory, monkeypatch):
    """A document the history has accepted is decided "already sent" before its conversion; one whose
    recipient changed since is converted after all and goes to the new recipient only."""
    import viewer.mail.attachments as attachments
    from viewer.directory import Customer, open_directory

    server = smtpd_factory()
    files = [f for i, f in enumerate(setup_batch(tmp_path, server), 1) if i != CORRUPT]
    converted: list[str] = []
    real = attachments.document_attachment

    def counting(document, *args, **kwargs):
        converted.append(Path(document.path).name)
        return real(document, *args, **kwargs)

    monkeypatch.setattr(attachments, "document_attachment", counting)
    code, out, err = run(capsys, "send", *files)
    assert code == 3 and out.splitlines()[-1] == f"{COUNT - 1} documents: 22 sent, 1 no recipient", out + err
    assert len(converted) == COUNT - 1  # the one without a recipient is converted before its look-up
    converted.clear()
    code, out, err = run(capsys, "send", *files)
    assert out.splitlines()[-1] == f"{COUNT - 1} documents: 0 sent, 22 skipped (already sent), 1 no recipient", out + err
    assert converted == [f"facture-{NOBODY}.spv"]  # never accepted by anyone: converted, as before
    assert len(server.messages) == 22
    # The directory now gives customer 3 another address: its quote is converted and sent to it alone.
    with open_directory(S.load()) as directory:
        directory.save_customer(Customer("CLI003", "Client 3", "new03@client03.example"))
    converted.clear()
    code, out, err = run(capsys, "send", *files)
    assert out.splitlines()[-1] == f"{COUNT - 1} documents: 1 sent, 21 skipped (already sent), 1 no recipient", out + err
    assert sorted(converted) == ["facture-03.spv", f"facture-{NOBODY}.spv"]
    assert server.messages[-1].rcpt_tos == ["new03@client03.example"] and len(server.messages) == 23
    assert "[3/23] facture F2026-0003 -> new03@client03.example: accepted by " in out
    # --force sends (and so converts) every document again.
    converted.clear()
    code, out, err = run(capsys, "send", *files[:3], "--force")
    assert code == 0 and len(converted) == 3 and len(server.messages) == 26, out + err


def test_dry_run_says_what_would_go_where_and_sends_nothing(capsys, tmp_path, refusing):
    files = setup_batch(tmp_path, refusing)
    code, out, err = run(capsys, "send", files[0], files[1], "--dry-run")
    assert code == 0, out + err
    assert f"[1/2] facture F2026-0001 -> {address(1)} would be sent (" in out
    assert f"[2/2] facture F2026-0002 -> {address(2)} would be sent (SMTP server " in out
    assert out.splitlines()[-1] == "dry run: nothing sent; 2 documents: 2 would be sent"
    assert refusing.messages == []


def test_nothing_sent_is_exit_1(capsys, tmp_path):
    bad = tmp_path / "bad.spv"
    bad.write_text('{"format": "spv", "version": 1, "pages": [', encoding="utf-8")
    code, out, err = run(capsys, "send", bad, tmp_path / "missing.spv", tmp_path / "none-*.spv")
    assert code == 1, out + err
    assert out.splitlines()[-1] == "3 documents: 0 sent, 3 unreadable"
    assert "no file matches this pattern" in out


def test_expand_and_is_batch(tmp_path):
    assert not is_batch([QUOTE], None)
    assert is_batch([QUOTE, QUOTE], None) and is_batch([], tmp_path / "l.txt") and is_batch([Path("x/*.spv")], None)
    items = expand([QUOTE, QUOTE], None)
    assert [i.path for i in items] == [QUOTE]  # named twice, sent once
    with pytest.raises(SpoolviewError, match="cannot read the list"):
        expand([], tmp_path / "absent.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(SpoolviewError, match="no document to send"):
        expand([], empty)


class StallingHandler(RecordingHandler):
    """Holds the DATA of one recipient's first message until released (the batch is killed meanwhile)."""

    def __init__(self, stall: str) -> None:
        super().__init__()
        self.stall, self.stalled, self.release = stall, threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.stall in envelope.rcpt_tos and not self.release.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 aborted"  # the client is gone: nothing accepted
        return await super().handle_DATA(server, session, envelope)


def start_batch(tmp_path: Path, jobs: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "viewer.cli", "send", str(tmp_path / "out" / "*.spv"), "--jobs", str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)


@pytest.mark.parametrize("jobs", [1, 2])
def test_killed_in_the_middle_then_rerun_sends_everything_once(capsys, tmp_path, smtpd_factory, jobs):
    handler = StallingHandler(address(7))
    server = smtpd_factory(handler=handler)
    setup_batch(tmp_path, server)
    batch = start_batch(tmp_path, jobs)
    workers: set[int] = set()
    try:
        assert handler.stalled.wait(120), "the batch never reached document 7"
        workers = descendants(batch.pid)
    finally:
        batch.kill()  # SIGKILL: no clean-up at all
        batch.communicate(timeout=30)
        handler.release.set()
    assert bool(workers) == (jobs > 1)
    assert not still_running(workers), "worker processes outlived the killed batch"
    assert sorted(r for m in server.messages for r in m.rcpt_tos) == [address(i) for i in range(1, 7)]
    code, out, err = run(capsys, "send", tmp_path / "out" / "*.spv", "--jobs", jobs)
    assert code == 3, out + err  # the unreadable document and the one without recipient remain
    assert out.splitlines()[-1] == f"{COUNT} documents: 16 sent, 6 skipped (already sent), 1 unreadable, 1 no recipient"
    got = Counter(r for m in server.messages for r in m.rcpt_tos)
    assert got == Counter({address(i): 1 for i in range(1, COUNT + 1) if i not in (CORRUPT, NOBODY)})
    assert [m.rcpt_tos[0] for m in server.messages] == [address(i) for i in range(1, COUNT + 1) if i not in (CORRUPT, NOBODY)]


def test_ctrl_c_stops_cleanly_reports_only_what_was_sent_and_a_rerun_sends_the_rest(capsys, tmp_path, smtpd_factory):
    jobs = 2  # the workers too are stopped
    handler = StallingHandler(address(7))
    server = smtpd_factory(handler=handler)
    setup_batch(tmp_path, server)
    batch = start_batch(tmp_path, jobs)
    try:
        assert handler.stalled.wait(120), "the batch never reached document 7"
        workers = descendants(batch.pid)
        batch.send_signal(signal.SIGINT)  # Ctrl+C while document 7 waits for the server's answer
        # The server answers 451 a moment later (else the batch's polite QUIT waits for its 30 s timeout).
        threading.Timer(1.0, handler.release.set).start()
        out, err = (b.decode() for b in batch.communicate(timeout=60))
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate(timeout=30)
        handler.release.set()
    assert batch.returncode == 130, out + err
    assert "Traceback" not in err
    assert "interrupted: " in err and "6 sent" in err and "; run the same command again to send the rest" in err
    lines = out.splitlines()
    assert all(f"-> {address(i + 1)}: accepted by " in line for i, line in enumerate(lines[:6])), out
    assert len(lines) in (6, 7) and "accepted" not in "".join(lines[6:]), out  # never document 7: the server did not accept it
    assert not still_running(workers), "worker processes outlived the interrupted batch"
    code, out, err = run(capsys, "send", tmp_path / "out" / "*.spv", "--jobs", jobs)
    assert out.splitlines()[-1] == f"{COUNT} documents: 16 sent, 6 skipped (already sent), 1 unreadable, 1 no recipient"
    got = Counter(r for m in server.messages for r in m.rcpt_tos)
    assert got == Counter({address(i): 1 for i in range(1, COUNT + 1) if i not in (CORRUPT, NOBODY)})


def test_ctrl_c_while_the_server_holds_the_data_drops_the_connection_at_once(capsys, tmp_path, smtpd_factory):
    """No polite QUIT waiting for a server that holds our DATA: the batch ends without its answer
    (the SMTP timeout is 10 minutes here), and never reports the interrupted document sent."""
    handler = StallingHandler(address(7))
    server = smtpd_factory(handler=handler)
    setup_batch(tmp_path, server)
    assert run(capsys, "settings", "set", "functions.timeout", "600")[0] == 0
    batch = start_batch(tmp_path, 1)
    try:
        assert handler.stalled.wait(120), "the batch never reached document 7"
        batch.send_signal(signal.SIGINT)
        out, err = (b.decode() for b in batch.communicate(timeout=90))  # the server still holds document 7
        assert not handler.release.is_set()
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate(timeout=30)
        handler.release.set()
    assert batch.returncode == 130, out + err
    assert "Traceback" not in err and "interrupted: 6 documents: 6 sent; run the same command again" in err
    assert len(out.splitlines()) == 6 and "F2026-0007" not in out
    from viewer.mail.history import History

    history = History()
    assert history.already_sent("facture F2026-0007", [address(7)]) == []
    assert len(history.already_sent("facture F2026-0006", [address(6)])) == 1
    history.close()
    code, out, err = run(capsys, "send", tmp_path / "out" / "*.spv")
    assert out.splitlines()[-1] == f"{COUNT} documents: 16 sent, 6 skipped (already sent), 1 unreadable, 1 no recipient"
    assert Counter(r for m in server.messages for r in m.rcpt_tos)[address(7)] == 1


def test_warm_up_loads_the_conversion_and_fonts_before_the_first_document():
    code = (
        "import sys; from viewer import settings; from viewer.commands._batch import Conversion; "
        "from formats import fonts; assert 'pymupdf' not in sys.modules and 'reportlab' not in sys.modules; "
        "Conversion(settings.Settings()).warm_up(); "
        "assert {'formats.draw', 'formats.pdfwrite', 'formats.encrypt', 'ctypes'} <= set(sys.modules), sorted(sys.modules); "
        "from formats import aes; assert aes._engine is not None, 'AES found before the first protected PDF'; "
        "assert 'pymupdf' not in sys.modules, 'spools are written without PyMuPDF'; "
        "assert 'reportlab' not in sys.modules and 'PIL' not in sys.modules, 'nor reportlab, nor Pillow'; "
        "assert {fonts.font_name('sans'), fonts.font_name('sans', True)} <= set(fonts._faces)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# -- the lines in the interface language ---------------------------------------------------------


def french() -> None:
    settings = S.load()
    settings.printing.language = "fr"
    S.save(settings)


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_lines_and_summary_in_french_and_a_rerun_says_already_sent(capsys, tmp_path, refusing, jobs):
    files = setup_batch(tmp_path, refusing)
    french()
    chosen = [files[0], files[4], files[CORRUPT - 1], files[NOBODY - 1]]
    code, out, err = run(capsys, "send", *chosen, "--jobs", jobs)
    assert code == 3, out + err  # the exit statuses do not depend on the language
    lines = out.splitlines()
    where = f"serveur SMTP {refusing.host}:{refusing.port} (sans TLS)"
    assert lines[0].startswith(f"[1/4] facture F2026-0001 -> {address(1)} : accepté par {where} (250 ")
    assert lines[1] == f"[2/4] facture F2026-0005 -> {address(5)} : NON envoyé (refus définitif) : 550 5.1.1 no such user"
    assert lines[2].startswith("[3/4] facture-08.spv : illisible : ") and "Traceback" not in out + err
    assert lines[3].startswith("[4/4] facture F2026-0020 : sans destinataire : ")
    assert lines[4] == "4 documents : 1 envoyé, 1 refusé, 1 illisible, 1 sans destinataire"
    code, out, err = run(capsys, "send", *chosen, "--jobs", jobs)
    assert code == 3, out + err
    lines = out.splitlines()
    assert lines[0].startswith(f"[1/4] facture F2026-0001 : ignoré (déjà envoyé) : {address(1)} le ")
    assert lines[0].endswith(" (--force pour l'envoyer de nouveau)")
    assert lines[-1] == "4 documents : 0 envoyé, 1 refusé, 1 ignoré (déjà envoyé), 1 illisible, 1 sans destinataire"


def test_batch_dry_run_and_problems_in_french(capsys, tmp_path, refusing):
    files = setup_batch(tmp_path, refusing)
    french()
    code, out, err = run(capsys, "send", files[0], files[1], "--dry-run")
    assert code == 0, out + err
    where = f"serveur SMTP {refusing.host}:{refusing.port} (sans TLS)"
    assert out.splitlines() == [f"[1/2] facture F2026-0001 -> {address(1)} serait envoyé ({where})",
                                f"[2/2] facture F2026-0002 -> {address(2)} serait envoyé ({where})",
                                "essai : rien n'a été envoyé ; 2 documents : 2 seraient envoyés"]
    code, out, err = run(capsys, "send", files[0], tmp_path / "aucun-*.spv", "--dry-run")
    assert out.splitlines()[1] == "[2/2] aucun-*.spv : illisible : aucun fichier ne correspond à ce motif"
    assert out.splitlines()[-1] == "essai : rien n'a été envoyé ; 2 documents : 1 serait envoyé, 1 illisible"
    assert refusing.messages == []


def test_batch_in_english_when_the_setting_says_so_whatever_the_locale(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    settings = S.load()
    settings.printing.language = "en"
    S.save(settings)
    code, out, err = run(capsys, "send", tmp_path / "missing.spv", tmp_path / "none-*.spv")
    assert code == 1, out + err
    assert out.splitlines()[-1] == "2 documents: 0 sent, 2 unreadable"
    assert "no file matches this pattern" in out
    monkeypatch.setenv("LANG", "C.UTF-8")  # and French under auto with a French locale
    settings.printing.language = "auto"
    S.save(settings)
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    code, out, err = run(capsys, "send", tmp_path / "missing.spv", tmp_path / "none-*.spv")
    assert code == 1 and out.splitlines()[-1] == "2 documents : 0 envoyé, 2 illisibles"
