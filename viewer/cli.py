"""The ``spoolview`` command: one sub-command module per feature under viewer/commands/."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from viewer import __version__

# Each module exposes ``register(subparsers)`` adding its sub-commands; a sub-command's
# handler is set with ``parser.set_defaults(func=handler)`` and returns the exit status.
COMMAND_MODULES = (
    "viewer.commands.documents",  # info, convert, render, demo
    "viewer.commands.settings",  # settings path|show|set|check
    "viewer.commands.directory",  # directory import|list|show
    "viewer.commands.mail",  # send, test-mail, trace
    "viewer.commands.relay",  # relay run|status|flush|check
    "viewer.commands.server",  # server run|adduser|deluser|passwd
    "viewer.commands.connection",  # connect, disconnect
    "viewer.commands.gui",  # open (and the bare `spoolview FILE`)
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spoolview",
        description="View print spools, convert them to PDF and send them by e-mail.",
    )
    parser.add_argument("--version", action="version", version=f"spoolview {__version__}")
    parser.add_argument("--config", help="settings file to use instead of the per-user one")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that feature is not built yet
                continue
            raise
        module.register(sub)
    return parser


def _user_error_types() -> tuple[type[BaseException], ...]:
    from formats.document import DocumentError
    from viewer.errors import SpoolviewError

    return (DocumentError, SpoolviewError)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `spoolview FILE` is a shortcut for `spoolview open FILE`.
    known = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()  # type: ignore[union-attr]
    if argv and not argv[0].startswith("-") and argv[0] not in known and "open" in known:
        argv.insert(0, "open")
    args = parser.parse_args(argv)
    if args.config:
        import os

        os.environ["SPOOLVIEW_CONFIG"] = args.config
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        if "open" in known:
            return main(["open"])
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except _user_error_types() as exc:
        print(f"spoolview: error: {exc}", file=sys.stderr)
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
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"spoolview: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
