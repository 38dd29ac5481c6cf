"""`spoolview printer serve` for real: ipptool prints to it, the job lands in the watched folder, `watch --once` mails it."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tools import require_tool
from tests.viewer.test_commands_batch import run
from tests.viewer.test_docopen import INVOICE, QUOTE, RULES, import_directory, plain_pdf, postscript
from viewer import settings as S
from viewer.printer import ipp, serve
from viewer.printer.queue import PrinterError

ROOT = Path(__file__).resolve().parents[3]
JOB_TEST = ROOT / "tests" / "support" / "print-job.test"


class Printer:
    """A `spoolview printer serve` process and what it printed when it started."""

    def __init__(self, proc: subprocess.Popen[str], banner: list[str], folder: Path) -> None:
        self.proc, self.banner, self.folder = proc, banner, folder
        self.uri = banner[0].rsplit(" ", 1)[-1]
        self.port = int(self.uri.rsplit(":", 1)[1].split("/")[0])

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        return code, self.proc.stderr.read() if self.proc.stderr else ""


def start_printer(folder: Path, *extra: str) -> Printer:
    proc = subprocess.Popen([sys.executable, "-m", "viewer.cli", "printer", "serve", "--port", "0", "--folder", str(folder), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    banner = [proc.stdout.readline() for _ in range(3)]
    if not banner[0].startswith("printer "):
        proc.kill()
        pytest.fail("printer serve did not start: " + "".join(banner) + (proc.stderr.read() if proc.stderr else ""))
    return Printer(proc, [line.strip() for line in banner], folder)


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[Printer]:
    started = start_printer(tmp_path / "printed")
    yield started
    code, err = started.stop()
    assert code == 0, err


def ipptool(uri: str, path: Path, fmt: str, title: str, user: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("ipptool"), "-t", "-d", f"requser={user}", "-d", f"title={title}", "-d", f"filetype={fmt}",
                           "-f", str(path), uri, str(JOB_TEST)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, HOME=str(home)), check=False)


def arrived(folder: Path, pattern: str) -> Path:
    for _ in range(600):  # the job's arrival ends the wait (60 s at most when it never comes)
        found = sorted(folder.glob(pattern)) if folder.exists() else []
        if found:
            return found[0]
        time.sleep(0.1)
    pytest.fail(f"no {pattern} in {folder}: {sorted(p.name for p in folder.iterdir()) if folder.exists() else 'no folder'}")


def mail_settings_rules_only() -> None:
    settings = S.load()
    for key, value in RULES.items():
        setattr(settings.extract, key, value)
    S.save(settings)
    import_directory()


def mail_settings(server) -> None:
    settings = S.load()
    settings.functions.send_direct = True
    settings.functions.host, settings.functions.port = server.host, server.port
    settings.functions.from_identity = "agent@example.com"
    for key, value in RULES.items():
        setattr(settings.extract, key, value)
    S.save(settings)
    import_directory()


def test_pdf_printed_over_ipp_is_mailed_by_the_watched_folder(printer, tmp_path, smtpd, capsys):
    assert printer.uri.startswith("ipp://127.0.0.1:")  # loopback by default
    assert "not advertised by DNS-SD" in printer.banner[2]  # no Avahi here: said, not fatal
    pdf = plain_pdf(QUOTE, tmp_path / "quote.pdf")
    done = ipptool(printer.uri, pdf, "application/pdf", "Devis D2026-0042", "anne", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    job = arrived(printer.folder, "Devis D2026-0042-job*.pdf")
    assert job.read_bytes() == pdf.read_bytes()
    assert job.stat().st_mode & 0o777 == 0o600 and printer.folder.stat().st_mode & 0o777 == 0o700
    meta = json.loads(job.with_name(job.name.replace(".pdf", ".meta.json")).read_text(encoding="utf-8"))
    assert (meta["title"], meta["owner"]) == ("Devis D2026-0042", "anne")
    assert not [p for p in printer.folder.iterdir() if p.name.startswith(".")]  # no temporary file left behind

    mail_settings(smtpd)
    code, out, err = run(capsys, "watch", printer.folder, "--once", "--settle", "0")
    assert code == 0, out + err
    [message] = smtpd.messages
    assert message.rcpt_tos == ["contact@atelier-dupre.example"]  # CLI001, found by name on the page
    assert b"D2026-0042" in message.data
    assert sorted(p.name for p in (printer.folder / "done").iterdir()) == sorted([job.name, job.name.replace(".pdf", ".meta.json")])


def test_postscript_invoice_printed_over_ipp_is_mailed(printer, tmp_path, smtpd, capsys):
    ps = postscript(INVOICE, tmp_path / "facture.ps")
    done = ipptool(printer.uri, ps, "application/postscript", "Facture F2026-0107", "paul", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    job = arrived(printer.folder, "Facture F2026-0107-job*.ps")
    assert job.read_bytes().startswith(b"%!PS")
    mail_settings(smtpd)
    code, out, err = run(capsys, "watch", printer.folder, "--once", "--settle", "0")
    assert code == 0, out + err
    [message] = smtpd.messages
    assert message.rcpt_tos == ["factures@brasserie-kowalski.example"]


def test_printer_answers_with_its_own_address_and_formats(printer, tmp_path):
    done = subprocess.run([require_tool("ipptool"), "-tv", printer.uri, "/usr/share/cups/ipptool/get-printer-attributes.test"],
                          capture_output=True, text=True, timeout=60, env=dict(os.environ, HOME=str(tmp_path)), check=False)
    assert done.returncode == 0, done.stdout
    port = printer.port
    # ipptool says "localhost" for 127.0.0.1: every URI points at the port it used, none at the private engine.
    assert f"printer-uri-supported (uri) = ipp://localhost:{port}/ipp/print" in done.stdout
    assert f"http://localhost:{port}/icon.png" in done.stdout
    assert "uri-security-supported (keyword) = none" in done.stdout
    assert "application/pdf" in done.stdout and "application/postscript" in done.stdout
    uris = [line for line in done.stdout.splitlines() if "://" in line]
    assert uris and all(f":{port}/" in line for line in uris)


def test_ipv6_loopback(tmp_path):
    started = start_printer(tmp_path / "printed", "--listen", "::1")
    try:
        assert started.uri.startswith("ipp://[::1]:")
        pdf = tmp_path / "v6.pdf"
        pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
        done = ipptool(started.uri, pdf, "application/pdf", "v6", "anne", tmp_path)
        assert done.returncode == 0, done.stdout
        arrived(started.folder, "v6-job*.pdf")
    finally:
        code, err = started.stop()
    assert code == 0, err


def test_a_large_job_arrives_byte_for_byte(printer, tmp_path):
    data = b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024 + 12345)  # chunked by ipptool, streamed by the printer
    big = tmp_path / "big.pdf"
    big.write_bytes(data)
    done = ipptool(printer.uri, big, "application/pdf", "big", "anne", tmp_path)
    assert done.returncode == 0, done.stdout
    assert arrived(printer.folder, "big-job*.pdf").read_bytes() == data


def test_a_job_over_the_size_limit_is_refused(tmp_path):
    settings = S.load()
    settings.printer.max_job_mb = 0.01  # about 10 kB
    S.save(settings)
    started = start_printer(tmp_path / "printed")
    try:
        big = tmp_path / "big.pdf"
        big.write_bytes(b"%PDF-1.4\n" + b"0" * 50_000)
        done = ipptool(started.uri, big, "application/pdf", "big", "anne", tmp_path)
        assert done.returncode != 0
        assert "larger than this printer's limit of 0.01 MB" in done.stdout
        small = tmp_path / "small.pdf"
        small.write_bytes(b"%PDF-1.4\n%%EOF\n")
        title = 'C:\\Users\\anne\\Relevé "CLI003" [mars]'  # a Windows program may name the job by its path
        assert ipptool(started.uri, small, "application/pdf", title, "jean-françois", tmp_path).returncode == 0
        job = arrived(started.folder, "Relevé _CLI003_ _mars-job*.pdf")  # a title is never a path
        meta = json.loads(job.with_name(job.name.replace(".pdf", ".meta.json")).read_text(encoding="utf-8"))
        assert (meta["title"], meta["owner"]) == (title, "jean-françois")  # exactly as printed
        assert not list(started.folder.glob("big*"))
    finally:
        code, err = started.stop()
    assert code == 0, err


# --- users: HTTP Basic over TLS only -------------------------------------------------------


def ipp_print(port: int, ca_file: Path, auth: tuple[str, str] | None, user: str, data: bytes) -> tuple[int, int, bytes]:
    """One Print-Job over TLS with Python's client: (HTTP status, IPP status, answer)."""
    request = ipp.Message((2, 0), ipp.OP_PRINT_JOB, 1, [
        ipp.Attribute(ipp.OPERATION_TAG, ipp.TAG_CHARSET, "attributes-charset", b"utf-8"),
        ipp.Attribute(ipp.OPERATION_TAG, ipp.TAG_LANGUAGE, "attributes-natural-language", b"en"),
        ipp.Attribute(ipp.OPERATION_TAG, ipp.TAG_URI, "printer-uri", f"ipps://localhost:{port}/ipp/print".encode()),
        ipp.Attribute(ipp.OPERATION_TAG, ipp.TAG_NAME, "requesting-user-name", user.encode()),
        ipp.Attribute(ipp.OPERATION_TAG, ipp.TAG_NAME, "job-name", b"signed job"),
        ipp.Attribute(ipp.OPERATION_TAG, 0x49, "document-format", b"application/pdf"),
    ])
    context = ssl.create_default_context(cafile=str(ca_file))
    conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=60)
    headers = {"Content-Type": "application/ipp"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    conn.request("POST", "/ipp/print", body=ipp.encode(request) + data, headers=headers)
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    status = ipp.decode(body)[0].code if reply.getheader("Content-Type", "").startswith("application/ipp") else -1
    return reply.status, status, body


@pytest.fixture
def tls_files(server_cert, tmp_path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    for blob in server_cert.cert_chain_pems:
        with open(cert, "ab") as out:
            out.write(blob.bytes())
    server_cert.private_key_pem.write_to_path(str(key))
    return cert, key


def users_settings(tls: tuple[Path, Path] | None) -> None:
    settings = S.load()
    settings.printer.users = ["anne"]
    if tls:
        settings.printer.tls_cert, settings.printer.tls_key = str(tls[0]), str(tls[1])
    S.save(settings)
    S.set_secret("printer-user:anne", "s3cret-Pa55", settings.path)


def test_users_only_signed_in_users_print_and_the_job_is_theirs(tmp_path, tls_files, ca_file):
    users_settings(tls_files)
    started = start_printer(tmp_path / "printed")
    try:
        assert started.uri.startswith("ipps://127.0.0.1:")
        assert "users anne (HTTP Basic over TLS)" in started.banner[2]
        pdf = b"%PDF-1.4\n%%EOF\n"
        assert ipp_print(started.port, ca_file, None, "anne", pdf)[0] == 401
        assert ipp_print(started.port, ca_file, ("anne", "wrong"), "anne", pdf)[0] == 401
        assert ipp_print(started.port, ca_file, ("mallory", "s3cret-Pa55"), "mallory", pdf)[0] == 401
        # ipptool too, without credentials: refused, nothing printed.
        (tmp_path / "none.pdf").write_bytes(pdf)
        done = ipptool(started.uri, tmp_path / "none.pdf", "application/pdf", "anon", "anne", tmp_path)
        assert done.returncode != 0
        assert "Unauthorized" in done.stdout + done.stderr, done.stdout + done.stderr
        assert not [p for p in started.folder.iterdir()]
        http_status, ipp_status, _ = ipp_print(started.port, ca_file, ("anne", "s3cret-Pa55"), "someone-else", pdf)
        assert (http_status, ipp_status) == (200, 0)
        job = arrived(started.folder, "signed job-job*.pdf")
        meta = json.loads(job.with_name(job.name.replace(".pdf", ".meta.json")).read_text(encoding="utf-8"))
        assert meta["owner"] == "anne"  # the signed-in user, not the name the client claimed
    finally:
        code, err = started.stop()
    assert code == 0, err
    assert "s3cret-Pa55" not in err  # no password in the log
    assert "authentication failed for user 'anne'" in err


def test_plain_http_to_the_tls_port_is_dropped_in_one_line(tmp_path, tls_files, ca_file):
    users_settings(tls_files)
    started = start_printer(tmp_path / "printed")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", started.port, timeout=30)
        with pytest.raises((http.client.HTTPException, OSError)):
            conn.request("POST", "/ipp/print", body=b"x", headers={"Content-Type": "application/ipp"})
            conn.getresponse().read()
        conn.close()
        assert ipp_print(started.port, ca_file, ("anne", "s3cret-Pa55"), "anne", b"%PDF-1.4\n")[:2] == (200, 0)  # still serving
    finally:
        code, err = started.stop()
    assert code == 0, err
    assert "connection dropped: " in err and "Traceback" not in err


def test_the_printer_stops_with_a_message_when_its_engine_dies(tmp_path):
    started = start_printer(tmp_path / "printed")
    [engine] = [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _parent_and_name(int(pid)) == (started.proc.pid, "ippeveprinter")]
    os.kill(engine, signal.SIGKILL)
    started.proc.wait(timeout=60)  # it stops by itself
    code, err = started.stop()
    assert code == 1  # a failure: systemd restarts it (Restart=on-failure)
    assert "the IPP engine (ippeveprinter) stopped (exit status -9); its last words: " in err
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _parent_and_name(int(pid))[0] == started.proc.pid]


def _parent_and_name(pid: int) -> tuple[int, str]:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, ""
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    return int(stat[stat.rindex(")") + 2:].split()[1]), name


def test_connections_over_the_limit_are_closed(tmp_path, monkeypatch, capsys):
    import threading

    config = serve.ServeConfig(folder=tmp_path, port=0)
    front = serve.Front(config, serve.Engine(config, tmp_path), tmp_path)
    front.slots = threading.BoundedSemaphore(1)
    thread = threading.Thread(target=front.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", front.port), timeout=10) as first:
            first.sendall(b"GET /icon.png HTTP/1.1\r\n")  # an unfinished request holds the one slot
            with socket.create_connection(("127.0.0.1", front.port), timeout=10) as second:
                assert second.recv(100) == b""  # closed at once
    finally:
        front.shutdown()
        front.server_close()
    assert "refused: already 64 connections" in capsys.readouterr().err


def test_dns_sd_without_avahi_daemon_is_said_and_not_fatal(tmp_path):
    require_tool("avahi-publish")
    server = serve.PrinterServer(serve.ServeConfig(folder=tmp_path / "printed", port=0))
    server.start()
    try:
        server.config.listen = "0.0.0.0"  # as on the office network (the test listens on loopback only)
        said = server._advertise()
        assert said.startswith("not advertised by DNS-SD (Avahi: ")
        assert "is avahi-daemon running?" in said and server.advert is None
    finally:
        server.stop()


def test_users_without_tls_are_refused_at_start(tmp_path, capsys):
    users_settings(None)
    code, out, err = run(capsys, "printer", "serve", "--port", "0", "--folder", tmp_path / "printed")
    assert code == 1
    assert "users needs tls_cert and tls_key: a password never crosses the network unencrypted" in err
    assert "Traceback" not in err
    code, out, err = run(capsys, "settings", "check")
    assert code == 1 and "printer.users: users need tls_cert and tls_key" in out


def test_uris_name_the_host_the_client_used_else_this_computer(tmp_path):
    config = serve.ServeConfig(folder=tmp_path, port=0)
    front = serve.Front(config, serve.Engine(config, tmp_path), tmp_path)
    try:
        port = front.port
        assert front.uri_base("") == ("", f"127.0.0.1:{port}")
        assert front.uri_base("printserver.example:8631") == ("", "printserver.example:8631")
        assert front.uri_base("[fe80::1]") == ("", f"[fe80::1]:{port}")
        assert front.uri_base("evil/path@x") == ("", f"127.0.0.1:{port}")  # not a host: ignored
        config.listen = "0.0.0.0"  # every network (not opened by the test): the computer's name
        assert front.uri_base("") == ("", f"{socket.gethostname()}:{port}")
    finally:
        front.server_close()


def test_a_user_without_a_password_is_named(tmp_path, tls_files, capsys):
    settings = S.load()
    settings.printer.users = ["paul"]
    settings.printer.tls_cert, settings.printer.tls_key = str(tls_files[0]), str(tls_files[1])
    S.save(settings)
    code, out, err = run(capsys, "printer", "serve", "--port", "0", "--folder", tmp_path / "printed")
    assert code == 1
    assert "no password for printer user(s) paul: run `spoolview printer password paul`" in err


def test_printer_password_command_stores_the_secret(tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("n3w-pass\n"))
    code, out, err = run(capsys, "printer", "password", "anne")
    assert code == 0, err
    assert "stored the password of printer user 'anne' (in the settings file)" in out
    assert "add the user to [printer] users" in out
    assert S.get_secret("printer-user:anne", S.load().path) == "n3w-pass"
    assert "n3w-pass" not in run(capsys, "settings", "show")[1]
    assert run(capsys, "printer", "password", "anne", "--delete")[0] == 0
    assert S.get_secret("printer-user:anne", S.load().path) == ""


# --- errors a user can meet ------------------------------------------------------------------


def test_port_in_use_is_one_clear_line(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "printer", "serve", "--port", port, "--folder", tmp_path / "printed")
    assert code == 1
    assert err.strip() == (f"spoolview: error: port {port} on 127.0.0.1 is already in use (another printer server?): "
                           "choose another with --port or [printer] port")


def test_an_address_not_of_this_computer_is_named(tmp_path, capsys):
    code, out, err = run(capsys, "printer", "serve", "--port", "0", "--listen", "192.0.2.1", "--folder", tmp_path / "printed")
    assert code == 1
    assert "cannot listen on 192.0.2.1: not an address of this computer" in err


def test_missing_ippeveprinter_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(serve, "_SBIN", tmp_path)
    server = serve.PrinterServer(serve.ServeConfig(folder=tmp_path / "printed", port=0))
    with pytest.raises(PrinterError, match=r"^ippeveprinter not found: install it \(sudo apt-get install cups-ipp-utils\)$"):
        server.start()
    assert server.front is None and not server.runtime.exists()  # the port is given back, nothing left behind


def test_missing_dbus_daemon_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # ippeveprinter is still found in /usr/sbin, dbus-daemon (/usr/bin) is not
    server = serve.PrinterServer(serve.ServeConfig(folder=tmp_path / "printed", port=0))
    with pytest.raises(PrinterError, match=r"^dbus-daemon not found: install it \(sudo apt-get install dbus-daemon\)$"):
        server.start()
    assert not server.runtime.exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"tls_cert": "x.pem"}, "tls_cert and tls_key go together"),
    ({"port": 70000}, "port 70000 is not a port number"),
    ({"max_job_mb": 0}, "max_job_mb must be more than 0"),
    ({"name": ""}, "name must be 1 to 63 characters"),
])
def test_bad_settings_are_refused(tmp_path, changes, message):
    config = serve.ServeConfig(folder=tmp_path, **changes)
    with pytest.raises(PrinterError, match=message):
        serve.check_config(config)


def _unit_sections(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            current[key] = f"{current[key]} | {value}" if key in current else value
    return sections


def test_the_shipped_unit_runs_printer_serve_hardened(capsys):
    from viewer.cli import build_parser
    from viewer.commands.printer import UNIT_EXEC, UNIT_NAME, unit_text

    code, out, _ = run(capsys, "printer", "serve", "--unit")
    assert code == 0 and out == unit_text()
    service = _unit_sections(unit_text())["Service"]
    argv = service["ExecStart"].split()
    assert argv[0] == UNIT_EXEC  # the tests run from the venv's python, not a "spoolview" script: left as shipped
    args = build_parser("printer").parse_args(argv[1:])
    assert args.func.__name__ == "cmd_serve" and not args.unit
    assert service["User"] == "spoolview" and service["Environment"] == "SPOOLVIEW_HOME=/var/lib/spoolview"
    assert service["Restart"] == "on-failure" and service["UMask"] == "0077" and service["ProtectSystem"] == "strict"
    assert (ROOT / "viewer" / "data" / UNIT_NAME).is_file()
    assert f"spoolview printer serve --unit | sudo tee /etc/systemd/system/{UNIT_NAME}" in (ROOT / "docs" / "printing.md").read_text()


def test_the_shipped_unit_passes_systemd_analyze(tmp_path):
    import re

    from viewer.commands.printer import UNIT_EXEC, UNIT_NAME, unit_text

    tool = require_tool("systemd-analyze")
    text = unit_text().replace(UNIT_EXEC, sys.executable)  # verify wants an executable that exists
    path = tmp_path / UNIT_NAME
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([tool, "verify", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    done = subprocess.run([tool, "security", "--offline=true", "--no-pager", str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert found is not None, done.stdout + done.stderr
    assert float(found.group(1)) <= 2.0, done.stdout
    path.write_text(text.replace("ProtectSystem=", "ProtectSystm="), encoding="utf-8")  # the check is not empty
    done = subprocess.run([tool, "verify", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert "Unknown key 'ProtectSystm'" in done.stderr


def test_a_linux_desktop_adds_it_driverless_and_prints(printer, cupsd_lp, tmp_path):
    cupsd = cupsd_lp
    """CUPS (a private cupsd) sets the printer up from its IPP answers (`-m everywhere`) and prints a PDF to it."""
    (cupsd.serverbin / "backend" / "ipp").symlink_to("/usr/lib/cups/backend/ipp")
    done = subprocess.run([require_tool("lpadmin"), "-h", cupsd.host, "-p", "office", "-E", "-v", printer.uri + "?snmp=false&waitjob=false", "-m", "everywhere"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    pdf = plain_pdf(QUOTE, tmp_path / "quote.pdf")
    done = subprocess.run([require_tool("lp"), "-h", cupsd.host, "-d", "office", "-t", "Devis D2026-0042", str(pdf)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    try:
        job = arrived(printer.folder, "Devis D2026-0042-job*.pdf")
    except pytest.fail.Exception:
        print("\n".join(cupsd.log.read_text(errors="replace").splitlines()[-60:]))
        raise
    text = subprocess.run([require_tool("pdftotext"), str(job), "-"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "D2026-0042" in text and "Atelier Dupré SARL" in text  # CUPS sent the PDF with its text, not a picture
    meta = json.loads(job.with_name(job.name.replace(".pdf", ".meta.json")).read_text(encoding="utf-8"))
    assert meta["title"] == "Devis D2026-0042"


def test_a_generic_postscript_driver_prints_text_the_rules_read(printer, cupsd_lp, tmp_path, capsys):
    """The macOS way ("Use: Generic PostScript Printer"), done by CUPS: the PDF becomes PostScript on the desktop."""
    cupsd = cupsd_lp
    (cupsd.serverbin / "backend" / "ipp").symlink_to("/usr/lib/cups/backend/ipp")
    done = subprocess.run([require_tool("lpadmin"), "-h", cupsd.host, "-p", "mac", "-E", "-v", printer.uri + "?snmp=false&waitjob=false",
                           "-m", "drv:///sample.drv/generic.ppd"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    pdf = plain_pdf(INVOICE, tmp_path / "invoice.pdf")
    done = subprocess.run([require_tool("lp"), "-h", cupsd.host, "-d", "mac", "-t", "Facture F2026-0107", str(pdf)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    try:
        job = arrived(printer.folder, "Facture F2026-0107-job*.ps")
    except pytest.fail.Exception:
        print("\n".join(cupsd.log.read_text(errors="replace").splitlines()[-80:]))
        raise
    assert job.read_bytes().startswith(b"%!PS")
    mail_settings_rules_only()
    code, out, err = run(capsys, "info", job, "--json")
    assert code == 0, err
    info = json.loads(out)["info"]
    assert (info["kind"], info["number"], info["customer"]) == ("facture", "F2026-0107", "CLI002")


def test_a_printer_user_signs_in_however_the_accents_and_spaces_of_the_password_are_typed(tmp_path, tls_files, ca_file):
    """SASLprep (RFC 4013): the password stored decomposed, typed precomposed or with a no-break space."""
    users_settings(tls_files)
    S.set_secret("printer-user:anne", "cafe\u0301 cre\u0300me", S.load().path)
    started = start_printer(tmp_path / "printed")
    try:
        pdf = b"%PDF-1.4\n%%EOF\n"
        assert ipp_print(started.port, ca_file, ("anne", "café\u00a0crème"), "anne", pdf)[:2] == (200, 0)
        assert ipp_print(started.port, ca_file, ("anne", "café crème"), "anne", pdf)[0] == 200  # signed in (one job at a time)
        assert ipp_print(started.port, ca_file, ("anne", "cafe creme"), "anne", pdf)[0] == 401
    finally:
        code, err = started.stop()
    assert code == 0, err
