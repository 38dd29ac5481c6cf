"""`spoolview watch`: a watched folder over a real SMTP server, done/failed/hold with .log, two watchers, rules, [watch], the unit."""

from __future__ import annotations

import configparser
import email
import email.message
import email.policy
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.smtpd import RecordingHandler
from tests.support.tools import require_tool
from tests.viewer.test_commands_batch import CORRUPT, COUNT, NOBODY, REFUSED, address, run, setup_batch
from viewer import settings as S
from viewer.cli import build_parser
from viewer.commands.watch import EXIT_CONFIG, EXIT_FAILED, UNIT_EXEC, UNIT_NAME, cmd_watch, unit_text

ROOT = Path(__file__).resolve().parents[2]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def received(server) -> Counter[str]:
    return Counter(r for m in server.messages for r in m.rcpt_tos)


def test_once_files_documents_in_done_and_failed_with_a_readable_log(capsys, tmp_path, smtpd_factory):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={address(i): "550 5.1.1 no such user" for i in REFUSED}))
    folder = tmp_path / "out"
    setup_batch(tmp_path, server)
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0")
    assert code == 3, out + err
    assert out.splitlines()[-1] == f"{COUNT} documents: 19 sent, 3 refused, 1 unreadable, 1 no recipient"
    bad = sorted([*REFUSED, CORRUPT, NOBODY])
    assert names(folder / "done") == [f"facture-{i:02d}.spv" for i in range(1, COUNT + 1) if i not in bad]
    assert names(folder / "failed") == sorted(f"facture-{i:02d}.spv{ext}" for i in bad for ext in ("", ".log"))
    assert names(folder) == [".spoolview-work", "done", "failed"]
    log = (folder / "failed" / "facture-05.spv.log").read_text(encoding="utf-8")
    assert log.startswith("facture-05.spv was not sent (refused), ")
    assert f"{address(5)}: NOT sent (permanent): 550 5.1.1 no such user" in log
    assert "move the file back into the watched folder" in log
    log = (folder / "failed" / "facture-08.spv.log").read_text(encoding="utf-8")
    assert "was not sent (unreadable)" in log and "invalid JSON" in log
    assert "has no e-mail address" in (folder / "failed" / "facture-20.spv.log").read_text(encoding="utf-8")
    assert set(received(server).values()) == {1}
    # A refused document moved back after the fix goes out; nothing else is sent again.
    server.handler.rcpt_replies.clear()
    os.rename(folder / "failed" / "facture-05.spv", folder / "facture-05.spv")
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0", "--done", tmp_path / "sent")
    assert code == 0, out + err
    assert names(tmp_path / "sent") == ["facture-05.spv"]
    assert received(server)[address(5)] == 1 and set(received(server).values()) == {1}


def test_a_temporary_refusal_stays_in_the_folder_for_a_retry(capsys, tmp_path, smtpd_factory):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={address(2): "451 4.3.0 mailbox busy, try later"}))
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, server)
    for f in files[2:]:
        f.unlink()
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0")
    assert code == 3, out + err
    assert "451 4.3.0 mailbox busy" in out and f"stays in {folder}, retried in 30 s" in out
    assert names(folder) == [".spoolview-work", "done", "facture-02.spv", "failed"]
    assert names(folder / "failed") == []
    server.handler.rcpt_replies.clear()
    assert run(capsys, "watch", folder, "--once", "--settle", "0")[0] == 0
    assert names(folder / "done") == ["facture-01.spv", "facture-02.spv"]


def test_a_file_still_being_written_waits_for_the_settle_time(capsys, tmp_path, smtpd):
    folder = tmp_path / "out"
    setup_batch(tmp_path, smtpd)
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "3600")
    assert code == 0 and "nothing to send" in out
    assert len(names(folder)) == COUNT + 3 and smtpd.messages == []


def test_missing_folder_is_one_clear_line(capsys, tmp_path):
    code, out, err = run(capsys, "watch", tmp_path / "nowhere", "--once")
    assert code == 1 and "does not exist: create it or check the path" in err and "Traceback" not in err


def _watcher(folder: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "viewer.cli", "watch", str(folder), "--settle", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def test_two_watchers_on_one_folder_send_each_file_once(tmp_path, smtpd):
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, smtpd)
    first, second = _watcher(folder, "--once"), _watcher(folder, "--once")
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert {first.returncode, second.returncode} <= {0, 1, 3}, outputs
    expected = {address(i) for i in range(1, COUNT + 1) if i not in (CORRUPT, NOBODY)}
    assert received(smtpd) == Counter({a: 1 for a in expected})
    assert len(names(folder / "done")) == len(expected)
    assert len(names(folder / "failed")) == 4  # two documents and their .log
    assert names(folder) == [".spoolview-work", "done", "failed"] and len(files) == COUNT


def test_running_watcher_sends_a_file_renamed_into_place_and_stops_on_sigterm(tmp_path, smtpd):
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, smtpd)
    keep = files[0].read_bytes()
    for f in files:
        f.unlink()
    watcher = _watcher(folder, "--interval", "0.5")
    try:
        partial = folder / "facture-01.spv.part"
        partial.write_bytes(keep)
        os.rename(partial, folder / "facture-01.spv")
        deadline = time.monotonic() + 60
        while not (folder / "done" / "facture-01.spv").exists() and time.monotonic() < deadline and watcher.poll() is None:
            time.sleep(0.1)
        assert (folder / "done" / "facture-01.spv").exists()
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "watching " in err and "facture F2026-0001 -> " in out
    assert received(smtpd) == Counter({address(1): 1})


def test_with_inotify_a_file_renamed_into_place_is_sent_at_once_without_the_settle_time(tmp_path, smtpd):
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, smtpd)
    first, second = files[0].read_bytes(), files[1].read_bytes()
    for f in files:
        f.unlink()
    watcher = _watcher(folder, "--settle", "3600")
    try:
        assert watcher.stderr is not None
        assert "(inotify)" in watcher.stderr.readline()  # watching from now on
        (folder / "facture-02.spv").write_bytes(second)  # written in place: may still be growing, waits the settle time
        partial = folder / "facture-01.spv.part"
        partial.write_bytes(first)
        os.rename(partial, folder / "facture-01.spv")  # renamed into place: complete
        deadline = time.monotonic() + 60
        while not (folder / "done" / "facture-01.spv").exists() and time.monotonic() < deadline and watcher.poll() is None:
            time.sleep(0.05)
        assert (folder / "done" / "facture-01.spv").exists()
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert received(smtpd) == Counter({address(1): 1})
    assert (folder / "facture-02.spv").exists() and "facture F2026-0002" not in out


def test_once_with_jobs_converts_in_workers_and_sends_in_order_as_with_one(capsys, tmp_path, smtpd_factory):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={address(i): "550 5.1.1 no such user" for i in REFUSED}))
    folder = tmp_path / "out"
    setup_batch(tmp_path, server)
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0", "--jobs", "2")
    assert code == 3, out + err
    assert out.splitlines()[-1] == f"{COUNT} documents: 19 sent, 3 refused, 1 unreadable, 1 no recipient"
    bad = {*REFUSED, CORRUPT, NOBODY}
    assert [m.rcpt_tos for m in server.messages] == [[address(i)] for i in range(1, COUNT + 1) if i not in bad]
    assert names(folder / "done") == [f"facture-{i:02d}.spv" for i in range(1, COUNT + 1) if i not in bad]
    assert names(folder / "failed") == sorted(f"facture-{i:02d}.spv{ext}" for i in bad for ext in ("", ".log"))
    assert names(folder) == [".spoolview-work", "done", "failed"] and names(folder / ".spoolview-work") == []
    assert "invalid JSON" in (folder / "failed" / "facture-08.spv.log").read_text(encoding="utf-8")


def test_two_running_watchers_with_workers_send_each_dropped_file_once(tmp_path, smtpd):
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, smtpd)
    spools = {f.name: f.read_bytes() for f in files if f.name not in ("facture-08.spv", f"facture-{NOBODY}.spv")}
    for f in files:
        f.unlink()
    watchers = [_watcher(folder, "--jobs", "2", "--interval", "0.3") for _ in range(2)]
    try:
        for w in watchers:
            assert w.stderr is not None
            assert "; 2 worker processes convert" in w.stderr.readline()
        for name, data in spools.items():  # dropped as an ERP does: written aside, renamed into place
            (folder / f".{name}.part").write_bytes(data)
            os.rename(folder / f".{name}.part", folder / name)
        deadline = time.monotonic() + 90
        while len(names(folder / "done")) < len(spools) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        outputs = []
        for w in watchers:
            w.send_signal(signal.SIGTERM)
            outputs.append(w.communicate(timeout=60))
    assert [w.returncode for w in watchers] == [0, 0], outputs
    assert names(folder / "done") == sorted(spools)
    assert received(smtpd) == Counter({address(int(n[8:10])): 1 for n in spools})
    assert names(folder) == [".spoolview-work", "done", "failed"] and names(folder / ".spoolview-work") == []


def test_watch_jobs_from_the_settings(capsys, tmp_path, smtpd):
    folder = tmp_path / "out"
    setup_batch(tmp_path, smtpd)
    code, out, err = run(capsys, "settings", "set", "watch.jobs", "0")
    assert code == 1 and "watch.jobs" in err and "Traceback" not in err
    for key, value in (("watch.folder", folder), ("watch.enabled", "true"), ("watch.settle", "0"), ("watch.jobs", "2")):
        assert run(capsys, "settings", "set", key, value)[0] == 0, key
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    watcher = subprocess.Popen([sys.executable, "-m", "viewer.cli", "watch", "--interval", "0.3"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert watcher.stderr is not None
        assert "; 2 worker processes convert" in watcher.stderr.readline()
        deadline = time.monotonic() + 90
        while len(names(folder / "done")) < COUNT - 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    assert len(names(folder / "done")) == COUNT - 2 and set(received(smtpd).values()) == {1}
    path = S.load().path
    assert path is not None
    path.write_text(path.read_text(encoding="utf-8").replace("jobs = 2", "jobs = 99"), encoding="utf-8")
    code, out, err = run(capsys, "watch", "--once")
    assert code == 2 and "watch.jobs" in err


# -- rules, [watch] and the systemd unit ------------------------------------------------------

SAMPLES = ROOT / "samples"
PASSWORD = "Kowalski-2026"
RULES = """\
[default]
protection = "no-modify"

[[rule]]
name = "Atelier Dupré quotes are checked first"
kind = "devis"
customer = "CLI001"
action = "hold"

[[rule]]
name = "Kowalski invoices by fax"
kind = "invoice"
customer = "CLI002"
file = "*-fax.spv"
address_type = "FAX"
protection = "none"

[[rule]]
name = "Invoices: the reminder text, password-protected"
kind = "facture"
template = "relance"
protection = "password"
password_file = "pdf-password"
"""


def setup_rules(tmp_path: Path, server) -> tuple[Path, Path]:
    """The samples' directory, SMTP to ``server``, a fax route and a "relance" template; the watched folder and rules."""
    from viewer.directory import open_directory

    settings = S.load()
    settings.functions.send_direct = True
    settings.functions.host, settings.functions.port = server.host, server.port
    settings.functions.from_identity = "Menuiseries Beaumont <agent@example.com>"
    settings.routing.fax = "SERV_SMTP:%ADR%@fax.example.com"
    settings.templates.subjects["relance.fr"] = "Relance : votre facture {number}"
    settings.templates.bodies["relance.fr"] = "{greeting},\n\nSauf erreur, la facture {number} reste à régler.\n"
    S.save(settings)
    with open_directory(S.load()) as directory:
        directory.import_csv(SAMPLES / "customers.csv", SAMPLES / "contacts.csv")
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(SAMPLES / "devis-D2026-0042.spv", folder)
    shutil.copy(SAMPLES / "facture-F2026-0107.spv", folder)
    shutil.copy(SAMPLES / "facture-F2026-0107.spv", folder / "facture-F2026-0107-fax.spv")
    quote = json.loads((SAMPLES / "devis-D2026-0042.spv").read_text(encoding="utf-8"))
    quote["info"].update(number="D2026-0050", customer="CLI003")
    quote["info"].pop("contact")
    (folder / "devis-D2026-0050.spv").write_text(json.dumps(quote), encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    (tmp_path / "pdf-password").write_text(PASSWORD + "\n", encoding="utf-8")
    (tmp_path / "pdf-password").chmod(0o600)
    return folder, rules


def by_recipient(server) -> dict[str, email.message.EmailMessage]:
    return {r: email.message_from_bytes(m.data, policy=email.policy.default) for m in server.messages for r in m.rcpt_tos}


def encryption(message: email.message.EmailMessage, tmp_path: Path, *password: str) -> str:
    """What qpdf says of the message's PDF attachment."""
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
    pdf = tmp_path / "attachment.pdf"
    pdf.write_bytes(part.get_content())
    argv = [require_tool("qpdf"), *(f"--password={p}" for p in password), "--show-encryption", str(pdf)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


def test_rules_choose_hold_address_type_template_and_protection(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0", "--rules", rules)
    assert code == 0, out + err
    assert out.splitlines()[-1] == "4 documents: 3 sent, 1 held for review"
    assert f'devis D2026-0042: held for review: by rule 1 "Atelier Dupré quotes are checked first" ({rules}:4)' in out
    # Held: in hold/ with a .log naming the rule; sent to nobody (neither the contact nor the customer).
    assert names(folder / "hold") == ["devis-D2026-0042.spv", "devis-D2026-0042.spv.log"]
    log = (folder / "hold" / "devis-D2026-0042.spv.log").read_text(encoding="utf-8")
    assert log.startswith("devis-D2026-0042.spv was held for review, ") and ": nothing was sent." in log.splitlines()[0]
    assert f'by rule 1 "Atelier Dupré quotes are checked first" ({rules}:4)' in log
    assert f"spoolview send {folder / 'hold' / 'devis-D2026-0042.spv'}" in log
    sent = by_recipient(smtpd)
    assert sorted(sent) == ["+33388123456@fax.example.com", "factures@brasserie-kowalski.example", "sgm@menuiserie.example"]
    assert not any("atelier-dupre" in r for r in sent)
    # Rule 3: the invoice by e-mail, with the "relance" template, its PDF opening only with the password.
    invoice = sent["factures@brasserie-kowalski.example"]
    assert invoice["Subject"] == "Relance : votre facture F2026-0107"
    assert "la facture F2026-0107 reste à régler" in invoice.get_body(("plain",)).get_content()
    assert "Incorrect password supplied" in encryption(invoice, tmp_path)
    report = encryption(invoice, tmp_path, PASSWORD)
    assert "Incorrect password" not in report and "R = 6" in report and "file encryption method: AESv3" in report
    # Rule 2: the same invoice named *-fax.spv goes to the customer's fax number through the fax route, unprotected.
    fax = sent["+33388123456@fax.example.com"]
    assert fax["Subject"] == "Votre facture F2026-0107 du 24/11/2026"
    assert "File is not encrypted" in encryption(fax, tmp_path)
    # No rule: the default of the rules file (no-modify), the kind's own template.
    quote = sent["sgm@menuiserie.example"]
    assert quote["Subject"] == "Votre devis D2026-0050 du 20/11/2026"
    report = encryption(quote, tmp_path)
    assert "AESv3" in report and "modify anything: not allowed" in report
    assert names(folder / "done") == ["devis-D2026-0050.spv", "facture-F2026-0107-fax.spv", "facture-F2026-0107.spv"]
    assert PASSWORD not in out + err


def test_a_hold_rule_sends_nothing_at_all(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    rules.write_text('[default]\naction = "hold"\n', encoding="utf-8")
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0", "--rules", rules, "--hold", tmp_path / "review")
    assert code == 0, out + err
    assert out.splitlines()[-1] == "4 documents: 0 sent, 4 held for review"
    assert smtpd.messages == []
    assert len(names(tmp_path / "review")) == 8 and names(folder / "done") == []
    assert f"by no rule matched: the default of {rules}" in (tmp_path / "review" / "facture-F2026-0107.spv.log").read_text(encoding="utf-8")
    code, out, err = run(capsys, "report", "--since", "all")
    assert "accepted" not in out


def test_a_bad_rules_file_is_refused_at_start_and_nothing_is_taken(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    before = names(folder)
    rules.write_text(RULES.replace('action = "hold"', 'action = "sned"'), encoding="utf-8")
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0", "--rules", rules)
    assert code == 2
    assert err == (f"spoolview: error: {rules}:8: rule[1].action must be one of 'send', 'hold', not 'sned'; "
                   "correct the rules file (the watcher took no document)\n")
    assert out == "" and names(folder) == before and smtpd.messages == []
    code, out, err = run(capsys, "watch", folder, "--once", "--rules", tmp_path / "missing.toml")
    assert code == 2 and "missing.toml: no such rules file; check the path (--rules, or watch.rules in the settings)" in err
    assert names(folder) == before


def test_check_rules_says_which_rule_each_document_matches(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    code, out, err = run(capsys, "watch", "--check-rules", rules, folder)
    assert code == 0, out + err
    assert out.splitlines() == [
        f"{rules}: 3 rules, no problem found",
        f'devis-D2026-0042.spv (devis D2026-0042, customer CLI001): rule 1 "Atelier Dupré quotes are checked first" ({rules}:4): '
        "hold for review (nothing sent)",
        f"devis-D2026-0050.spv (devis D2026-0050, customer CLI003): no rule matched: the default of {rules}: "
        "send as EMAIL, protection no-modify",
        f'facture-F2026-0107-fax.spv (facture F2026-0107, customer CLI002): rule 2 "Kowalski invoices by fax" ({rules}:10): '
        "send as FAX, protection none",
        f'facture-F2026-0107.spv (facture F2026-0107, customer CLI002): rule 3 "Invoices: the reminder text, password-protected" '
        f"({rules}:18): send as EMAIL, template relance, protection password",
    ]
    assert smtpd.messages == [] and len(names(folder)) == 4  # nothing sent, nothing moved
    rules.write_text(RULES.replace('template = "relance"', 'template = "rappel"'), encoding="utf-8")
    code, out, err = run(capsys, "watch", "--check-rules", rules)
    assert code == 2 and f"{rules}:21: rule[3].template 'rappel' is not a template" in err


def test_watch_runs_from_the_settings_and_says_what_is_missing(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    code, out, err = run(capsys, "watch", "--once")
    assert code == 2
    assert err.startswith("spoolview: error: no folder to watch: give FOLDER, or set watch.folder in ")
    for key, value in (("watch.folder", folder), ("watch.rules", rules), ("watch.settle", "0"), ("watch.hold", tmp_path / "review")):
        assert run(capsys, "settings", "set", key, value)[0] == 0
    code, out, err = run(capsys, "watch", "--once")
    assert code == 2 and f"the watched folder {folder} is switched off in " in err
    assert "(watch.enabled = false): run `spoolview settings set watch.enabled true`, or give FOLDER" in err
    assert run(capsys, "settings", "set", "watch.enabled", "yes")[0] == 0
    code, out, err = run(capsys, "settings", "show")
    assert f'[watch]\nenabled = true\nfolder = "{folder}"' in out
    code, out, err = run(capsys, "watch", "--once")
    assert code == 0, out + err
    assert out.splitlines()[-1] == "4 documents: 3 sent, 1 held for review"
    assert names(tmp_path / "review") == ["devis-D2026-0042.spv", "devis-D2026-0042.spv.log"]
    assert len(smtpd.messages) == 3


def test_watch_settings_errors_are_named(capsys, tmp_path):
    code, out, err = run(capsys, "settings", "set", "watch.interval", "0")
    assert code == 1 and "watch.interval takes a value of at least 0.1 (not '0')" in err
    path = S.load().path
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[watch]\nenabled = true\nsettle = "soon"\n', encoding="utf-8")
    code, out, err = run(capsys, "watch", "--once")
    assert code == 2 and f"{path}:3: watch.settle must be a number, found 'soon'" in err
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nkind = "devis"\naddress_type = "FAX"\n', encoding="utf-8")
    path.write_text(f'[watch]\nfolder = "{tmp_path}"\nrules = "{rules}"\n', encoding="utf-8")
    code, out, err = run(capsys, "settings", "check")
    assert code == 1
    assert f'watch.rules: {rules}:3: rule[1].address_type is "FAX" but the settings give no route for FAX' in out


def test_a_sidecar_travels_with_its_text_spool(capsys, tmp_path, smtpd):
    """The contract of the printer queue and of ERPs writing text spools: NAME.meta.json first, then NAME.txt."""
    folder, rules = setup_rules(tmp_path, smtpd)
    for f in folder.iterdir():
        f.unlink()
    shutil.copy(SAMPLES / "releve-CLI003.meta.json", folder)
    shutil.copy(SAMPLES / "releve-CLI003.txt", folder)
    rules.write_text('[[rule]]\nkind = "releve"\ntemplate = "relance"\nprotection = "none"\n', encoding="utf-8")
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0", "--rules", rules)
    assert code == 0, out + err
    assert out.splitlines()[-1] == "1 document: 1 sent"  # the sidecar is not a document
    assert names(folder / "done") == ["releve-CLI003.meta.json", "releve-CLI003.txt"]
    message = by_recipient(smtpd)["sgm@menuiserie.example"]  # CLI003, known from the sidecar only
    assert message["Subject"] == "Relance : votre facture R-CLI003-2026-11"


def unit(kind: str = "system") -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)  # SystemCallFilter= is given twice
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit_text(kind))
    return parser


@pytest.mark.parametrize("kind", ["system", "user"])
def test_the_shipped_units_run_this_command_from_the_settings(capsys, kind):
    code, out, err = run(capsys, "watch", "--unit", kind)
    assert code == 0 and out == unit_text(kind)
    service = unit(kind)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "spoolview" and Path(argv[0]).is_absolute()
    args = build_parser("watch").parse_args(argv[1:])
    assert args.func is cmd_watch and args.paths == [] and not args.once  # runs from [watch], until SIGTERM
    assert service["RestartPreventExitStatus"] == str(EXIT_CONFIG)
    assert service["KillSignal"] == "SIGTERM" and service["UMask"] == "0077" and service["NoNewPrivileges"] == "yes"
    assert unit(kind)["Install"]["WantedBy"] == ("multi-user.target" if kind == "system" else "default.target")


def test_the_system_unit_is_hardened(capsys):
    assert run(capsys, "watch", "--unit")[1] == unit_text("system")
    service = unit()["Service"]
    assert service["User"] == "spoolview" and service["ProtectSystem"] == "strict"
    for key in ("PrivateTmp", "NoNewPrivileges", "ProtectHome", "PrivateDevices", "RestrictSUIDSGID"):
        assert service[key] == "yes", key
    assert service["ReadWritePaths"] == "-/srv/erp" and service["Environment"] == "SPOOLVIEW_HOME=/var/lib/spoolview"
    assert service["StateDirectory"] == "spoolview" and service["UMask"] == "0077"


def test_the_user_unit_passes_systemd_analyze(tmp_path):
    tool = require_tool("systemd-analyze")
    path = tmp_path / UNIT_NAME
    path.write_text(unit_text("user").replace(UNIT_EXEC, sys.executable), encoding="utf-8")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}  # a user manager needs one, even offline
    done = subprocess.run([tool, "--user", "verify", str(path)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_the_system_unit_passes_systemd_analyze(tmp_path):
    tool = require_tool("systemd-analyze")
    text = unit_text().replace(UNIT_EXEC, sys.executable)  # verify wants an executable that exists
    path = tmp_path / UNIT_NAME
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([tool, "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    done = subprocess.run([tool, "security", "--offline=true", "--no-pager", str(path)], capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert found is not None, done.stdout + done.stderr
    assert float(found.group(1)) <= 2.0, done.stdout
    # A misspelt key is what verify catches: the check is not empty.
    path.write_text(text.replace("ProtectSystem=", "ProtectSystm="), encoding="utf-8")
    done = subprocess.run([tool, "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert "Unknown key 'ProtectSystm'" in done.stderr


def test_the_service_way_runs_from_settings_holds_and_sends_what_is_renamed_into_place(tmp_path, smtpd):
    """`spoolview watch` alone, as the units run it: [watch] gives the folder and the rules; SIGTERM stops it."""
    folder, rules = setup_rules(tmp_path, smtpd)
    staging = tmp_path / "staging"
    folder.rename(staging)
    folder.mkdir()
    settings = S.load()
    settings.watch.enabled, settings.watch.folder, settings.watch.rules = True, str(folder), str(rules)
    settings.watch.settle, settings.watch.interval = 0.0, 0.5
    S.save(settings)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    watcher = subprocess.Popen([sys.executable, "-m", "viewer.cli", "watch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=ROOT)
    try:
        for name in ("devis-D2026-0042.spv", "facture-F2026-0107.spv"):
            shutil.copy(staging / name, folder / f".{name}.part")
            os.rename(folder / f".{name}.part", folder / name)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and watcher.poll() is None and not (
                (folder / "hold" / "devis-D2026-0042.spv.log").exists() and (folder / "done" / "facture-F2026-0107.spv").exists()):
            time.sleep(0.1)
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert f"those the rules of {rules} (3 rules) hold to {folder / 'hold'}" in err
    assert "devis D2026-0042: held for review: by rule 1 " in out
    assert names(folder / "hold") == ["devis-D2026-0042.spv", "devis-D2026-0042.spv.log"]
    assert names(folder / "done") == ["facture-F2026-0107.spv"]
    assert list(by_recipient(smtpd)) == ["factures@brasserie-kowalski.example"]


def test_a_dead_watchers_claim_comes_back_with_its_sidecar(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    for f in folder.iterdir():
        f.unlink()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    claimed = folder / ".spoolview-work" / str(dead.pid)
    claimed.mkdir(parents=True)
    shutil.copy(SAMPLES / "releve-CLI003.meta.json", claimed)
    shutil.copy(SAMPLES / "releve-CLI003.txt", claimed)
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0")
    assert code == 0, out + err
    assert "releve R-CLI003-2026-11 -> " in out  # its info came back with it
    assert names(folder / "done") == ["releve-CLI003.meta.json", "releve-CLI003.txt"]
    assert names(folder / ".spoolview-work") == []


def test_the_failed_log_names_the_rule_that_chose_how_to_send(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    for f in folder.iterdir():
        if f.name != "devis-D2026-0042.spv":
            f.unlink()
    rules.write_text('[[rule]]\nname = "Dupré by fax"\ncustomer = "CLI001"\naddress_type = "FAX"\n', encoding="utf-8")
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0", "--rules", rules)
    assert code == 1, out + err
    assert out.splitlines()[-1] == "1 document: 0 sent, 1 no recipient"
    log = (folder / "failed" / "devis-D2026-0042.spv.log").read_text(encoding="utf-8")
    assert "devis D2026-0042: no recipient: " in log
    assert f'As chosen by rule 1 "Dupré by fax" ({rules}:1): send as FAX.' in log
    assert smtpd.messages == []


# -- the watcher's lines and .log in the interface language -------------------------------------


def _french() -> None:
    settings = S.load()
    settings.printing.language = "fr"
    S.save(settings)


def test_once_in_french_lines_summary_and_failed_logs(capsys, tmp_path, smtpd_factory):
    server = smtpd_factory(handler=RecordingHandler(rcpt_replies={address(5): "550 5.1.1 no such user",
                                                                  address(2): "451 4.3.0 mailbox busy, try later"}))
    folder = tmp_path / "out"
    files = setup_batch(tmp_path, server)
    for i, f in enumerate(files, 1):
        if i not in (1, 2, 5, CORRUPT):
            f.unlink()
    _french()
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "0")
    assert code == 3, out + err
    lines = [line.split(" ", 2)[2] for line in out.splitlines()[:-1]]  # after the date and time
    assert lines[0].startswith(f"facture F2026-0001 -> {address(1)} : accepté par serveur SMTP ")
    assert lines[1] == (f"facture F2026-0002 -> {address(2)} : NON envoyé (temporaire) : 451 4.3.0 mailbox busy, try later"
                        f" — reste dans {folder}, nouvel essai dans 30 s")
    assert lines[2] == f"facture F2026-0005 -> {address(5)} : NON envoyé (refus définitif) : 550 5.1.1 no such user"
    assert lines[3].startswith("facture-08.spv : illisible : ")
    assert out.splitlines()[-1] == "4 documents : 1 envoyé, 2 refusés, 1 illisible"
    log = (folder / "failed" / "facture-05.spv.log").read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"facture-05\.spv n'a pas été envoyé \(refusé\) le \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.", log[0]), log
    assert f"{address(5)} : NON envoyé (refus définitif) : 550 5.1.1 no such user" in log  # the server's reply verbatim
    assert log[-1].startswith("Corrigez la cause, puis remettez le fichier dans le dossier surveillé ")
    log = (folder / "failed" / "facture-08.spv.log").read_text(encoding="utf-8")
    assert log.startswith("facture-08.spv n'a pas été envoyé (illisible) le ") and "Traceback" not in log
    # Nothing left to send: said in French too.
    code, out, err = run(capsys, "watch", folder, "--once", "--settle", "3600")
    assert code == 0 and out == f"rien à envoyer dans {folder}\n"


def test_held_log_and_start_line_in_french(tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    _french()
    for path in folder.iterdir():
        if path.name != "devis-D2026-0042.spv":
            path.unlink()
    watcher = _watcher(folder, "--rules", str(rules), "--interval", "0.2")
    try:
        deadline = time.monotonic() + 120
        log = folder / "hold" / "devis-D2026-0042.spv.log"
        while not log.exists() and time.monotonic() < deadline and watcher.poll() is None:
            time.sleep(0.1)
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=60)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert err.startswith(f"surveillance de {folder} (")
    assert (f") ; les documents envoyés vont dans {folder / 'done'}, les autres dans {folder / 'failed'}, ceux que les "
            f"règles de {rules} (3 règles) retiennent dans {folder / 'hold'}") in err.splitlines()[0]
    text = log.read_text(encoding="utf-8").splitlines()
    assert text[0].startswith("devis-D2026-0042.spv a été retenu pour vérification le ") and text[0].endswith(" : rien n'a été envoyé.")
    assert text[2] == ("devis D2026-0042 : retenu pour vérification : par la règle 1 « Atelier Dupré quotes are checked first » "
                       f"({rules}:4)")
    assert text[-1] == (f"Pour l'envoyer une fois vérifié : spoolview send {folder / 'hold' / 'devis-D2026-0042.spv'} "
                        "(ou modifiez la règle, puis remettez-le dans le dossier surveillé).")
    assert smtpd.messages == []


def test_a_configuration_error_is_introduced_in_french(capsys, tmp_path):
    _french()
    code, out, err = run(capsys, "watch", "--once", "--rules", tmp_path / "absente.toml", tmp_path)
    assert code == EXIT_CONFIG and out == ""
    assert err.startswith("spoolview : erreur : ") and "absente.toml" in err and "Traceback" not in err


def test_check_rules_in_french_names_each_documents_rule_and_an_unreadable_one(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    _french()
    (folder / "abime.spv").write_text("{", encoding="utf-8")
    code, out, err = run(capsys, "watch", "--check-rules", rules, folder)
    assert code == EXIT_FAILED, out + err
    lines = out.splitlines()
    assert lines[0] == f"{rules} : 3 règles, aucun problème"
    assert lines[1].startswith("abime.spv : illisible : JSON invalide ligne 1, colonne 2 (« ")
    assert lines[2:] == [
        f"devis-D2026-0042.spv (devis D2026-0042, client CLI001) : la règle 1 « Atelier Dupré quotes are checked first » "
        f"({rules}:4) : retenir pour vérification (rien n'est envoyé)",
        f"devis-D2026-0050.spv (devis D2026-0050, client CLI003) : aucune règle ne correspond : le choix par défaut de {rules} : "
        "envoyer en EMAIL, protection « no-modify »",
        f"facture-F2026-0107-fax.spv (facture F2026-0107, client CLI002) : la règle 2 « Kowalski invoices by fax » ({rules}:10) : "
        "envoyer en FAX, protection « none »",
        f"facture-F2026-0107.spv (facture F2026-0107, client CLI002) : la règle 3 « Invoices: the reminder text, "
        f"password-protected » ({rules}:18) : envoyer en EMAIL, modèle « relance », protection « password »",
    ]
    assert smtpd.messages == []


def test_check_rules_with_one_rule_says_it_in_the_singular(capsys, tmp_path):
    rules = tmp_path / "one.toml"
    rules.write_text('[[rule]]\nkind = "devis"\naction = "hold"\n', encoding="utf-8")
    assert run(capsys, "watch", "--check-rules", rules)[1] == f"{rules}: 1 rule, no problem found\n"
    _french()
    assert run(capsys, "watch", "--check-rules", rules)[1] == f"{rules} : 1 règle, aucun problème\n"


def test_check_rules_words_a_bad_rules_file_in_french(capsys, tmp_path, smtpd):
    folder, rules = setup_rules(tmp_path, smtpd)
    _french()
    rules.write_text(RULES.replace('action = "hold"', 'action = "sned"'), encoding="utf-8")
    code, out, err = run(capsys, "watch", "--check-rules", rules)
    assert (code, out) == (EXIT_CONFIG, "")
    assert err == (f"spoolview : erreur : {rules}:8 : la clé rule[1].action doit valoir l'une des valeurs 'send', 'hold', "
                   "et non 'sned' ; corrigez le fichier de règles (la surveillance n'a pris aucun document)\n")
    rules.write_text(RULES.replace('template = "relance"', 'template = "rappel"'), encoding="utf-8")
    code, out, err = run(capsys, "watch", "--check-rules", rules)
    assert code == EXIT_CONFIG and err.startswith(
        f"spoolview : erreur : {rules}:21 : la clé rule[3].template « rappel » n'est pas un modèle : définissez "
        "templates.subjects.rappel.fr et templates.bodies.rappel.fr (et .en) dans les paramètres")
    rules.write_text('[[rule]]\nname = "tout"\n\n[[rule]]\nkind = "devis"\n', encoding="utf-8")
    code, out, err = run(capsys, "watch", "--check-rules", rules)
    assert err == (f"spoolview : erreur : {rules}:4 : rule[2] ne peut jamais s'appliquer : la règle 1 « tout » ({rules}:1) "
                   "n'a ni kind, ni customer, ni file et prend tous les documents ; placez cette règle en dernier, ou faites-en "
                   "le [default] ; corrigez le fichier de règles (la surveillance n'a pris aucun document)\n")
    rules.write_text('[[rule]]\nkind = 3\n', encoding="utf-8")
    code, out, err = run(capsys, "watch", "--check-rules", rules)
    assert "la clé rule[1].kind doit être un texte entre guillemets (\"…\") ou une liste entre crochets, par exemple [1, 2], " \
           "et non un nombre entier" in err
