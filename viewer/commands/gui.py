"""``spoolview open FILE...`` (also the bare ``spoolview FILE`` and ``spoolview``): the viewer window."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

TYPE_CHECKING = False  # not typing's: the hand-over to a running viewer never imports typing
if TYPE_CHECKING:  # the parser is built by viewer/cli.py; `spoolview FILE` into a running viewer never imports argparse
    import argparse

    from viewer import firstpage

    Arguments = argparse.Namespace | SimpleNamespace  # argparse's, or plain_open's

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_QUOTE = ROOT / "samples" / "devis-D2026-0042.spv"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("open", help="open documents in the viewer window")
    parser.add_argument("files", nargs="*", metavar="FILE", help="spool, PDF, XPS, image or .eml to show")
    _new_window(parser)
    parser.set_defaults(func=cmd_open)
    demo = subparsers.add_parser("view-demo", help="open the viewer on the sample quote")
    _new_window(demo)
    demo.set_defaults(func=cmd_view_demo, files=[str(SAMPLE_QUOTE)])


def plain_open(words: list[str]) -> SimpleNamespace | None:
    """The arguments of a plain ``open [--new-window] FILE...`` (the words viewer.cli made of
    ``spoolview FILE...``), read without argparse: building the parser cost a cold start about 10%
    of its time. None for anything else (-v, --config, another option, no file): argparse reads it."""
    if words[:1] != ["open"]:
        return None
    files = [w for w in words[1:] if w not in NEW_WINDOW_OPTIONS]
    if not files or any(w.startswith("-") for w in files):
        return None
    return SimpleNamespace(files=files, new_window=len(files) < len(words) - 1, config=None, verbose=False,
                           func=cmd_open, log_later=True)


NEW_WINDOW_OPTIONS = ("--new-window", "--no-reuse")  # register()'s, and plain_open's


def _new_window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        *NEW_WINDOW_OPTIONS, dest="new_window", action="store_true",
        help="start a new viewer process even when one is running (default: the running viewer opens the files)",
    )


EXIT_NO_DISPLAY = 2  # the command cannot do what it was asked here (as a usage error: nothing was done)


def display_problem() -> str | None:
    """Why no window can open here (as far as the environment tells), in English, or None."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "no graphical display (DISPLAY is not set)"
    return None


def _no_window(args: Arguments, reason: str | BaseException, *, demo: bool) -> int:
    """No window possible (``reason``: a catalogue key, or the error that says why). ``open`` says so and
    what to do instead, and does nothing (exit 2): it never acts on another file. ``view-demo`` (the
    sample quote: what ``make run`` shows) converts that same sample instead, so ``make run`` does its
    main job on a machine without a display too."""
    import shlex  # here, not at the top: a `spoolview FILE` handed to the running viewer never needs it

    from viewer.cli import language
    from viewer.messages import describe, text

    lang = language()
    why = describe(reason, lang) if isinstance(reason, BaseException) else text(lang, reason)
    if demo:
        from viewer.commands import documents

        print(text(lang, "cli.no_display.demo", reason=why), file=sys.stderr)
        return int(documents.cmd_demo(args) or 0)  # type: ignore[arg-type]  # view-demo's come from argparse
    first = Path(args.files[0]) if args.files else None
    example = f"{shlex.quote(str(first))} -o {shlex.quote(first.with_suffix('.pdf').name)}" if first else "FILE -o FILE.pdf"
    print(text(lang, "cli.no_display.open", reason=why, example=example), file=sys.stderr)
    return EXIT_NO_DISPLAY


def cmd_open(args: Arguments) -> int:
    return _open(args, demo=False)


def cmd_view_demo(args: argparse.Namespace) -> int:
    return _open(args, demo=True)


def _open(args: Arguments, *, demo: bool) -> int:
    # A cold start draws page 1 of the first file in a forked child while Tk starts here
    # (viewer/firstpage.py; viewer.cli forks it before argparse when it can).
    from viewer import firstpage

    early = firstpage.take(args.files[0]) if args.files else None
    try:
        return _open_window(args, early, demo=demo)
    finally:
        if early is not None:
            early.stop()


def _open_window(args: Arguments, early: firstpage.Child | None, *, demo: bool) -> int:
    missing = [f for f in args.files if not Path(f).exists()]
    if missing:  # the window would say it too; on the command line say it at once
        from viewer.cli import language
        from viewer.messages import text

        for name in missing:
            print(text(language(), "cli.no_such_file", name=name), file=sys.stderr)
    if display_problem() is not None:
        return _no_window(args, "cli.no_display.unset", demo=demo)
    if not args.new_window:
        from viewer import instance

        if instance.forward(list(args.files)):  # a viewer of this user runs: it opens them
            return 0
    from viewer import firstpage
    if early is None and args.files:

        early = firstpage.start(args.files[0])
    # The cyclic GC waits until the window is up (gui/app.py: then frozen and turned on again).
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        try:  # tkinter is imported under viewer/gui only
            from viewer.gui.app import DisplayUnavailable, run
        except ModuleNotFoundError as exc:
            if exc.name not in ("tkinter", "_tkinter"):
                raise
            return _no_window(args, "cli.no_display.no_tk", demo=demo)
        try:
            return run(list(args.files), early=early, freeze_start_up=collecting)
        except DisplayUnavailable as exc:
            return _no_window(args, exc, demo=demo)
    finally:
        if early is not None:
            early.stop()
        if collecting and not gc.isenabled():
            gc.enable()
