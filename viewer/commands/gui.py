"""``spoolview open FILE...`` (also the bare ``spoolview FILE`` and ``spoolview``): the viewer window."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser is built by viewer/cli.py; `spoolview FILE` into a running viewer never imports argparse
    import argparse

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


def _new_window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--new-window", "--no-reuse", dest="new_window", action="store_true",
        help="start a new viewer process even when one is running (default: the running viewer opens the files)",
    )


def display_problem() -> str | None:
    """Why no window can open here (as far as the environment tells), or None."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "no graphical display (DISPLAY is not set)"
    return None


def _fallback(args: argparse.Namespace, problem: str) -> int:
    """No window possible: say so, then do what the documents demo does (convert to PDF)."""
    from viewer.commands import documents

    print(f"spoolview: {problem}; the viewer window cannot open. Converting instead.", file=sys.stderr)
    return int(documents.cmd_demo(args) or 0)


def cmd_open(args: argparse.Namespace) -> int:
    missing = [f for f in args.files if not Path(f).exists()]
    for name in missing:  # the window would say it too; on the command line say it at once
        print(f"spoolview: {name}: no such file", file=sys.stderr)
    problem = display_problem()
    if problem is not None:
        return _fallback(args, problem)
    if not args.new_window:
        from viewer import instance

        if instance.forward(list(args.files)):  # a viewer of this user runs: it opens them
            return 0
    try:  # tkinter is imported under viewer/gui only
        from viewer.gui.app import DisplayUnavailable, run
    except ModuleNotFoundError as exc:
        if exc.name not in ("tkinter", "_tkinter"):
            raise
        return _fallback(args, "Tk is not installed with this Python")
    try:
        return run(list(args.files))
    except DisplayUnavailable as exc:
        return _fallback(args, str(exc))


def cmd_view_demo(args: argparse.Namespace) -> int:
    return cmd_open(args)
