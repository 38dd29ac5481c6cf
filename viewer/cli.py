"""The ``spoolview`` command: a static table of sub-commands, each imported only when chosen.

Adding a command is ONE line in ``COMMANDS`` below, ``"name": ("module", "help")``, and a
``register(subparsers)`` in that module adding the sub-parser ``name`` (a module may own
several names: one line each; a module in viewer/commands/ without its line fails
tests/viewer/test_cli.py). ``spoolview --help`` lists the table without importing any
command module; ``spoolview NAME ...`` imports only NAME's module, so a command pays for
the libraries it uses and no other (sqlalchemy, httpx, keyring, Tk, PyMuPDF...). Inside a
command module, import heavy libraries in the handler, not at the top.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from viewer import __version__

# Not `from typing import TYPE_CHECKING`: a `spoolview FILE` handed to the running viewer would
# import typing for nothing (mypy reads a name TYPE_CHECKING as true all the same).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

# name -> (module whose ``register(subparsers)`` adds it, one-line help for `spoolview --help`).
# A handler is set with ``parser.set_defaults(func=handler)`` and returns the exit status.
COMMANDS: dict[str, tuple[str, str]] = {
    "open": ("viewer.commands.gui", "open documents in the viewer window (also `spoolview FILE...`)"),
    "view-demo": ("viewer.commands.gui", "open the viewer on the sample quote"),
    "info": ("viewer.commands.documents", "show a document's kind, pages and DocInfo"),
    "convert": ("viewer.commands.documents", "convert a document to PDF, optionally protected"),
    "render": ("viewer.commands.documents", "draw one page to a PNG image"),
    "demo": ("viewer.commands.documents", "convert the sample quote to a protected PDF and say where it went"),
    "send": ("viewer.commands.mail", "send a document by e-mail through the configured route"),
    "test-mail": ("viewer.commands.mail", "send a test mail through the configured route (Tools > test mail)"),
    "trace": ("viewer.commands.mail", "debug trace: on, off, show, files"),
    "watch": ("viewer.commands.watch", "send each document dropped into a folder, then move it to done/ or failed/"),
    "report": ("viewer.commands.report", "list the sends of the history: document, recipient, route, outcome, time"),
    "settings": ("viewer.commands.settings", "show, change and check the per-user settings"),
    "directory": ("viewer.commands.directory", "import, list and show customers and contacts"),
    "connect": ("viewer.commands.connection", "log in to an application server (connected mode)"),
    "disconnect": ("viewer.commands.connection", "log out from the application server"),
    "connection": ("viewer.commands.connection", "show whether this computer is connected, and to what"),
    "profiles": ("viewer.commands.connection", "list, add or remove connection profiles"),
    "relay": ("viewer.commands.relay", "the SMTP relay service (pickup folder, listener, smart host)"),
    "server": ("viewer.commands.server", "run the application server (connected mode) and manage its users"),
    "desktop": ("viewer.commands.desktop", "register spoolview with the desktop: install, remove, status"),
    "printer": ("viewer.commands.printer", "the local printer queue \"spoolview\": install, remove, status"),
    "oauth": ("viewer.commands.oauth", "sign in to the mail provider (OAuth 2.0): login, status, logout"),
}

DEFAULT_COMMAND = "open"  # `spoolview` alone and `spoolview FILE...`

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

# Command modules whose commands log nothing unless --verbose (a rare keyring warning aside, then
# printed bare by logging's last resort): they do not pay for importing and configuring logging.
_NO_LOGGING_SETUP = ("viewer.commands.mail", "viewer.commands.documents")

_GLOBAL_WITH_VALUE = ("--config",)  # global options that take the next word as their value
_GLOBAL_FLAGS = ("-v", "--verbose")
_GLOBAL_EXITING = ("-h", "--help", "--version")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with ``command``'s module registered; the other commands are listed only."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="spoolview",
        description="View print spools, convert them to PDF and send them by e-mail.",
    )
    parser.add_argument("--version", action="version", version=f"spoolview {__version__}")
    parser.add_argument("--config", help="settings file to use instead of the per-user one")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command not in COMMANDS:  # `spoolview --help`, a mistyped command: every command listed, none parsed
        for name, (_, help_text) in COMMANDS.items():
            sub.add_parser(name, help=help_text, add_help=False)
        return parser
    # The command word picked the module: only its commands are registered (an ArgumentParser
    # per listed command cost a send about 0.3x `python -c pass`).
    importlib.import_module(COMMANDS[command][0]).register(sub)
    return parser


def split_command(argv: list[str]) -> tuple[str | None, list[str]]:
    """The sub-command named by ``argv`` and the arguments to parse.

    The first word that is not a global option names the command; a word that is no
    command is a file to open (``spoolview FILE`` = ``spoolview open FILE``), and no word
    at all opens an empty viewer, unless ``--help``/``--version`` asks for something else.
    """
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            break
        if not word.startswith("-") or word == "-":
            if word in COMMANDS:
                return word, argv
            if _mistyped(word):  # argparse then names the commands: `spoolview desktp` opens no window
                return None, argv
            break
        if word in _GLOBAL_EXITING:
            return None, argv
        if word in _GLOBAL_WITH_VALUE:
            i += 2
        elif word in _GLOBAL_FLAGS or word.startswith(tuple(f"{o}=" for o in _GLOBAL_WITH_VALUE)):
            i += 1
        else:  # an option of the default command: `spoolview --new-window FILE`
            break
    return DEFAULT_COMMAND, [*argv[:i], DEFAULT_COMMAND, *argv[i:]]


def _forwarded_at_once(words: list[str]) -> bool:
    """``spoolview [open] FILE...`` while this user's viewer runs: the files handed over before
    argparse and logging are even imported, so a warm start costs the interpreter's start and
    one round trip on the socket. Anything else (an option, a missing file, no display, no
    viewer) goes the ordinary way, which says what is wrong or starts a viewer."""
    import os

    files = words[1:]
    if words[:1] != [DEFAULT_COMMAND] or not files or any(f.startswith("-") or not os.path.isfile(f) for f in files):
        return False
    from viewer import instance  # only os, sys and _socket: not viewer.commands.gui (pathlib, re)

    return instance.has_display() and instance.forward(files)


def _mistyped(word: str) -> bool:
    """True for a bare word that is neither a command nor a file: a mistyped command, not a spool."""
    import os

    return word.isidentifier() and not os.path.exists(word)


def _user_error_types() -> tuple[type[BaseException], ...]:
    from formats.document import DocumentError
    from viewer.errors import SpoolviewError

    return (DocumentError, SpoolviewError)


def language() -> str:
    """fr or en for what the command line tells a person: the interface language setting, else the locale's."""
    from viewer.messages import cli_language

    try:
        from viewer.settings import load

        setting = load().printing.language
    except Exception:  # noqa: BLE001 - a broken settings file must not hide the error being reported
        setting = "auto"
    return cli_language(setting)


def _defer_inspect() -> None:
    """Load ``inspect`` on its first use, not when ``dataclasses`` imports it.

    dataclasses reads inspect only to write the docstring of a class that has none; importing
    it (with ast, dis, tokenize and linecache) cost a send about 1x `python -c pass`. A stand-in
    module named inspect waits in sys.modules: the first attribute read from it imports the
    real module (which takes its place) and answers from it, so whatever uses inspect gets the
    real thing, and a command whose classes all have docstrings never loads it.
    (importlib.util.LazyLoader cannot do this on Python 3.11: ``import`` reads ``__spec__``.)
    """
    if "inspect" not in sys.modules:
        sys.modules["inspect"] = _Deferred("inspect")


class _Deferred(ModuleType):
    """A module imported for real when one of its attributes is first read (see _defer_inspect)."""

    def __getattr__(self, attribute: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


def main(argv: Sequence[str] | None = None) -> int:
    command, words = split_command(list(sys.argv[1:] if argv is None else argv))
    if (COMMANDS.get(command or "", ("", ""))[0] in _NO_LOGGING_SETUP or command == DEFAULT_COMMAND) and not any(
            w == "--jobs" or w.startswith("--jobs=") for w in words):
        # Not with worker processes: a `send --jobs 2` interrupted by Ctrl+C then hung
        # (tests/viewer/test_commands_batch.py), a cause not yet understood; nor elsewhere, untried.
        # The viewer window too: inspect (with dis, ast, tokenize) was 2% of a cold start's instructions.
        _defer_inspect()
    if command == DEFAULT_COMMAND and _forwarded_at_once(words):
        return EXIT_OK
    args: Any = None
    if command == DEFAULT_COMMAND:  # a cold `spoolview FILE`: page 1 is drawn meanwhile (viewer/firstpage.py)
        from viewer import firstpage
        from viewer.commands import gui

        firstpage.start_for_command(words)
        args = gui.plain_open(words)  # `spoolview [open] [--new-window] FILE...`: no argparse on the cold road
    if args is None:
        parser = build_parser(command)
        args = parser.parse_args(words)
    if args.config:
        import os

        os.environ["SPOOLVIEW_CONFIG"] = args.config
    if args.verbose or COMMANDS.get(command or "", ("", ""))[0] not in _NO_LOGGING_SETUP:
        from viewer import logsetup

        if vars(args).get("log_later"):  # the cold road: set up with the first record, or the first page
            logsetup.later(args.verbose)
        else:
            logsetup.configure(args.verbose)
    func = vars(args).get("func")
    if func is None:  # a command whose module did not set a handler
        build_parser(command).print_help()
        return EXIT_USAGE
    try:
        return int(func(args) or 0)
    except _user_error_types() as exc:
        from viewer.messages import describe, text

        lang = language()
        print(text(lang, "cli.error", detail=describe(exc, lang)), file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (e.g. `spoolview settings show | head`): not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("spoolview: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        # A file-system or network failure the specific code did not catch: one line.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"spoolview: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
