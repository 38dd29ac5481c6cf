"""The CLI dispatcher: one-line errors, exit codes, the bare-file shortcut, closed pipes."""

import subprocess
import sys

import pytest

from tests.support.runtime import runtime_dir
from tests.support.tools import require_tool
from viewer import cli


def test_user_error_is_one_line_without_traceback(tmp_path, capsys):
    empty = tmp_path / "empty.spv"
    empty.write_bytes(b"")
    assert cli.main(["info", str(empty)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("spoolview: error: ")
    assert "empty.spv" in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_unknown_command_is_a_usage_error(capsys):
    try:
        cli.main(["--no-such-option"])
    except SystemExit as exc:
        assert exc.code == cli.EXIT_USAGE
    assert "usage" in capsys.readouterr().err


def test_closed_pipe_is_not_reported_as_an_error():
    proc = subprocess.Popen(
        [sys.executable, "-m", "viewer.cli", "settings", "show"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == cli.EXIT_OK
    assert "Broken pipe" not in err
    assert "Traceback" not in err


def test_a_file_system_error_names_the_file(monkeypatch, capsys):
    from viewer.commands import documents

    def boom(args):
        raise FileNotFoundError(2, "No such file or directory", "/no/such/file.spv")

    monkeypatch.setattr(documents, "cmd_info", boom)
    assert cli.main(["info", "x.spv"]) == cli.EXIT_ERROR
    assert capsys.readouterr().err == "spoolview: error: /no/such/file.spv: No such file or directory\n"


# -- the command table ----------------------------------------------------------------------

HEAVY = ("sqlalchemy", "httpx", "keyring", "tkinter", "_tkinter", "tkinterweb", "fastapi", "aiosmtpd")


def _imported_by(*argv: str, tmp_path) -> set[str]:
    """The top-level packages a real ``spoolview ARGV`` process has imported when it ends."""
    loaded, code, err = _probe(*argv, tmp_path=tmp_path)
    assert code == 0, err
    return loaded


def _probe(*argv: str, tmp_path) -> tuple[set[str], int, str]:
    """A real ``spoolview ARGV`` process: the top-level packages it imported, its status, its stderr."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('MODULES', *sorted(sys.modules), file=sys.stderr))\n"
        "from viewer.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return {name.split(".")[0] for name in line.split()[1:]}, proc.returncode, proc.stderr


def test_help_imports_no_command_module_and_lists_every_command(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "viewer.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for name in cli.COMMANDS:
        assert name in proc.stdout
    loaded = _imported_by("--help", tmp_path=tmp_path)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    assert "formats" not in loaded  # no command module: not even the document readers


def test_info_imports_neither_database_nor_network_nor_tk(tmp_path, samples):
    loaded = _imported_by("info", str(samples / "devis-D2026-0042.spv"), tmp_path=tmp_path)
    assert "formats" in loaded  # the probe saw the command run
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_send_with_a_directory_guards_the_customer_without_sqlalchemy(tmp_path, samples):
    from viewer import paths
    from viewer import settings as S
    from viewer.directory import open_directory

    settings = S.Settings()
    settings.service.from_identity = "Ventes <ventes@example.com>"
    S.save(settings)
    with open_directory(settings) as directory:
        assert directory.import_csv(samples / "customers.csv", samples / "contacts.csv").ok
    quote, other_customers_contact = str(samples / "devis-D2026-0042.spv"), "f.hebert@menuiserie.example"
    # The guard still refuses another customer's contact (exit 1), read from the SQLite file with sqlite3.
    loaded, code, err = _probe("send", quote, "--to", other_customers_contact, tmp_path=tmp_path)
    assert code == 1 and "CLI003 (Société Générale de Menuiserie)" in err and "--force" in err, err
    assert "sqlalchemy" not in loaded and not list((paths.data_dir() / "pickup").glob("*.eml"))
    loaded = _imported_by("send", quote, "--to", other_customers_contact, "--force", tmp_path=tmp_path)
    assert not loaded & {"sqlalchemy", "tkinter", "httpx", "fastapi", "aiosmtpd"}, loaded & set(HEAVY)
    assert len(list((paths.data_dir() / "pickup").glob("*.eml"))) == 1


# What a send through the pickup folder and a convert of a PDF leave unimported (each was a
# top-level import once; docs/performance.md says what each cost): TLS and SMTP belong to the
# SMTP route, header parsing to the routes that read messages back, the batch module to
# patterns and lists, the [extract] reader to settings that have a rule, PyMuPDF's table
# finder to Page.find_tables, a metadata look-up to nothing at run time; the "no-modify"
# protection's AES is the libcrypto's through ctypes (formats.aes), without cryptography's
# binding, and its empty user password's hashes are constants (no hashlib).
NOT_ON_THE_PICKUP_SEND = ("reportlab", "PIL", "ssl", "smtplib", "email.policy", "email.parser", "email.header", "importlib.metadata",
                          "importlib.resources", "getpass", "viewer.commands._batch", "viewer.mail.routes.smtp",
                          "viewer.mail.credentials", "formats.extract", "pymupdf._table_refine", "platformdirs",
                          "jsonschema_rs", "email.utils", "socket", "ast", "dis", "tokenize",
                          "viewer.mail.trace", "secrets", "hmac", "tomllib", "tempfile", "random", "html", "mimetypes",
                          "cryptography", "hashlib")
NOT_ON_A_PDF_CONVERT = (*NOT_ON_THE_PICKUP_SEND, "email", "sqlite3", "viewer.mail", "logging", "pymupdf")


def _modules(*argv: str, tmp_path) -> set[str]:
    """Every module a real ``spoolview ARGV`` process has imported when it ends (it must succeed)."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('MODULES', *sorted(sys.modules), file=sys.stderr))\n"
        "from viewer.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return {name for name in line.split()[1:] if not name.startswith("MODULES")}


def test_a_pickup_send_and_a_pdf_convert_import_only_what_they_use(tmp_path, samples):
    from viewer import paths
    from viewer import settings as S
    from viewer.directory import open_directory

    settings = S.Settings()  # the default route: the pickup folder; no [extract] rule
    settings.service.from_identity = "Ventes <ventes@example.com>"
    S.save(settings)
    with open_directory(settings) as directory:  # a user's directory, read with sqlite3 (as tests/bench/bench_cli.py)
        assert directory.import_csv(samples / "customers.csv", samples / "contacts.csv").ok
    sent = _modules("send", str(samples / "devis-D2026-0042.spv"), "--to", "client@example.com", tmp_path=tmp_path)
    assert "viewer.mail.routes.pickup" in sent and len(list((paths.data_dir() / "pickup").glob("*.eml"))) == 1
    assert not sent & set(NOT_ON_THE_PICKUP_SEND), sent & set(NOT_ON_THE_PICKUP_SEND)
    converted = _modules("convert", str(samples / "notice.pdf"), "-o", str(tmp_path / "out.pdf"), tmp_path=tmp_path)
    assert (tmp_path / "out.pdf").read_bytes() == (samples / "notice.pdf").read_bytes()  # passed through as it is
    # formats blocks pymupdf.layout with a None entry in sys.modules: not an import.
    loaded = {m for m in converted if m in NOT_ON_A_PDF_CONVERT or m.split(".")[0] in NOT_ON_A_PDF_CONVERT} - {"pymupdf.layout"}
    assert not loaded, loaded
    # `info` of a well-formed PDF: page count and sizes read by formats.pdfparse, PyMuPDF left out.
    shown = _modules("info", str(samples / "notice.pdf"), tmp_path=tmp_path)
    assert not {m for m in shown if m.split(".")[0] == "pymupdf"} - {"pymupdf.layout"}


def test_a_pickup_send_of_a_pdf_protects_it_without_pymupdf(tmp_path, samples):
    from viewer import paths
    from viewer import settings as S

    settings = S.Settings()  # protection "no-modify" by default: the PDF is encrypted by formats.pdfprotect
    settings.service.from_identity = "Ventes <ventes@example.com>"
    S.save(settings)
    sent = _modules("send", str(samples / "notice.pdf"), "--to", "client@example.com", tmp_path=tmp_path)
    loaded = {m for m in sent if m in NOT_ON_THE_PICKUP_SEND or m.split(".")[0] in (*NOT_ON_THE_PICKUP_SEND, "pymupdf")}
    assert not loaded - {"pymupdf.layout"}, loaded  # formats blocks pymupdf.layout with a None entry
    import email

    message = email.message_from_bytes(next((paths.data_dir() / "pickup").glob("*.eml")).read_bytes())
    part = next(p for p in message.walk() if p.get_content_type() == "application/pdf")
    attached = tmp_path / "attached.pdf"
    attached.write_bytes(part.get_payload(decode=True))
    shown = subprocess.run([require_tool("qpdf"), "--show-encryption", str(attached)], capture_output=True, text=True,
                           timeout=30).stdout
    assert "file encryption method: AESv3" in shown and "modify anything: not allowed" in shown
    assert subprocess.run([require_tool("qpdf"), "--check", str(attached)], capture_output=True, timeout=30).returncode == 0


def test_the_modules_a_send_leaves_out_are_imported_when_used(tmp_path, samples):
    from viewer import settings as S

    settings = S.Settings()
    settings.extract.number = r"N° (\S+)"  # a rule: the reader is imported to apply it
    settings.service.from_identity = "Ventes <ventes@example.com>"
    S.save(settings)
    pattern = str(samples / "devis-D2026-004*.spv")  # a pattern: the batch send
    loaded = _modules("send", pattern, "--to", "client@example.com", "--dry-run", tmp_path=tmp_path)
    assert {"viewer.commands._batch", "formats.extract"} <= loaded


def test_the_version_is_the_distributions():
    import importlib.metadata

    from viewer import __version__

    assert __version__ == importlib.metadata.version("spoolview")


def test_a_file_for_the_running_viewer_is_handed_over_before_argparse_and_logging(tmp_path, samples, monkeypatch):
    import select
    import threading

    from viewer import instance

    run = runtime_dir(tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setenv("DISPLAY", ":97")  # never opened: the running "viewer" is this test's listener
    listener = instance.Listener.start()
    assert listener is not None
    opened: list[str] = []

    def serve() -> None:
        select.select([listener.sock], [], [], 60)
        listener.handle(opened.extend)

    server = threading.Thread(target=serve)
    server.start()
    try:
        quote = str(samples / "devis-D2026-0042.spv")
        loaded = _imported_by(quote, tmp_path=tmp_path)
    finally:
        server.join(60)
        listener.close()
    assert opened == [quote]
    assert not loaded & {"argparse", "logging", "tkinter", "pymupdf", "formats"}, loaded
    # No viewer listening: the ordinary way, which says a file is missing before anything else.
    _, code, err = _probe(str(tmp_path / "missing.spv"), "--new-window", tmp_path=tmp_path)
    assert "missing.spv: no such file" in err


def test_each_module_registers_exactly_its_table_entries():
    import argparse
    import importlib

    modules = {module for module, _ in cli.COMMANDS.values()}
    for module in modules:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub)
        assert set(sub.choices) == {n for n, (m, _) in cli.COMMANDS.items() if m == module}, module


def test_only_the_chosen_command_is_parsed_and_the_others_are_listed():
    parser = cli.build_parser("info")
    args = parser.parse_args(["info", "x.spv", "--json"])
    assert args.json and args.func.__name__ == "cmd_info"
    with pytest.raises(SystemExit):
        cli.build_parser(None).parse_args(["info", "x.spv"])  # not registered: a listing only


@pytest.mark.parametrize(("argv", "command", "words"), [
    ([], "open", ["open"]),
    (["-v"], "open", ["-v", "open"]),
    (["a.pdf", "b.pdf"], "open", ["open", "a.pdf", "b.pdf"]),
    (["--config", "s.toml", "a.pdf"], "open", ["--config", "s.toml", "open", "a.pdf"]),
    (["--config", "info"], "open", ["--config", "info", "open"]),  # the value of --config is no command
    (["-v", "info", "a.spv"], "info", ["-v", "info", "a.spv"]),
    (["--help"], None, ["--help"]),
    (["--version"], None, ["--version"]),
    (["--", "-odd-name.pdf"], "open", ["open", "--", "-odd-name.pdf"]),
    (["--new-window", "a.pdf"], "open", ["open", "--new-window", "a.pdf"]),
    (["-v", "--config=s.toml", "a.pdf"], "open", ["-v", "--config=s.toml", "open", "a.pdf"]),
])
def test_split_command(argv, command, words):
    assert cli.split_command(argv) == (command, words)


def test_unknown_option_of_a_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["info", "--no-such-option", "x.spv"])
    assert exc.value.code == cli.EXIT_USAGE
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_every_command_module_has_its_table_lines():
    from pathlib import Path

    folder = Path(cli.__file__).parent / "commands"
    modules = {f"viewer.commands.{p.stem}" for p in folder.glob("*.py") if not p.stem.startswith("_")}
    listed = {module for module, _ in cli.COMMANDS.values()}
    assert modules <= listed, f"add a line to viewer/cli.py COMMANDS for {sorted(modules - listed)}"


def test_a_mistyped_command_is_an_error_naming_the_commands_not_a_file_to_open(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["desktp", "install"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'desktp'" in err and "'desktop'" in err
    (tmp_path / "devis").write_text("x")  # a file of that name is opened as before
    assert cli.split_command(["devis"]) == ("open", ["open", "devis"])


# -- the error line in the interface language ---------------------------------------------------


def _spoolview(*argv: str, lang: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """A real ``spoolview ARGV`` process in the locale ``lang`` (LANGUAGE unset: the locale alone decides)."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = lang
    return subprocess.run([sys.executable, "-m", "viewer.cli", *argv], capture_output=True, text=True, timeout=120,
                          env=env, input=stdin)


@pytest.fixture
def corrupt_spool(tmp_path):
    """The sample quote with an unknown item type on page 2, item 3."""
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).resolve().parents[2] / "samples" / "devis-D2026-0042.spv").read_text(encoding="utf-8"))
    data["pages"][1]["items"][2]["type"] = "texte"
    path = tmp_path / "devis-abime.spv"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_corrupt_spool_is_explained_in_french_under_a_french_locale(corrupt_spool, tmp_path):
    proc = _spoolview("convert", str(corrupt_spool), "-o", str(tmp_path / "out.pdf"), lang="fr_FR.UTF-8")
    assert proc.returncode == cli.EXIT_ERROR
    assert proc.stderr == (f"spoolview : erreur : fichier « {corrupt_spool} », page 2, élément 3, champ « type » : "
                           "type d'élément « texte » inconnu (types possibles : text, line, rect, image, table)\n")
    assert not (tmp_path / "out.pdf").exists()
    english = _spoolview("convert", str(corrupt_spool), "-o", str(tmp_path / "out.pdf"), lang="C.UTF-8")
    assert english.stderr == (f"spoolview: error: file '{corrupt_spool}', page 2, item 3, field 'type': "
                              "unknown item type 'texte' (expected one of text, line, rect, image, table)\n")


def test_a_refused_connection_to_the_application_server_is_explained_in_french(tmp_path):
    import socket

    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    assert _spoolview("profiles", "add", "bureau", url, "--user", "alice", lang="fr_FR.UTF-8").returncode == 0
    proc = _spoolview("connect", "bureau", "--password-stdin", lang="fr_FR.UTF-8", stdin="secret\n")
    assert proc.returncode == cli.EXIT_ERROR
    assert proc.stderr == (f"spoolview : erreur : le serveur d'applications {url} est injoignable : "
                           "vérifiez qu'il fonctionne et l'adresse du profil « bureau »\n")
    assert "secret" not in proc.stdout + proc.stderr


def test_inspect_deferred_by_the_command_line_is_the_real_module_on_first_use():
    probe = (
        "import sys\n"
        "from viewer import cli\n"
        "cli._defer_inspect()\n"
        "import dataclasses\n"
        "assert 'ast' not in sys.modules, 'inspect was loaded by importing dataclasses'\n"
        "@dataclasses.dataclass\n"
        "class Undocumented:\n"
        "    size: int = 2\n"
        "assert Undocumented.__doc__ == 'Undocumented(size: int = 2)', Undocumented.__doc__\n"
        "import inspect\n"
        "assert sys.modules['inspect'] is inspect and inspect.isfunction(cli.main)\n"
        "assert str(inspect.signature(cli.main)) == '(argv: \\'Sequence[str] | None\\' = None) -> \\'int\\''\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "ok\n", proc.stderr
