"""The CLI dispatcher: one-line errors, exit codes, the bare-file shortcut, closed pipes."""

import subprocess
import sys

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
    def boom(args):
        raise FileNotFoundError(2, "No such file or directory", "/no/such/file.spv")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser.set_defaults(func=boom)
    assert cli.main([]) == cli.EXIT_ERROR
    assert capsys.readouterr().err == "spoolview: error: /no/such/file.spv: No such file or directory\n"
