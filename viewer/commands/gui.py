"""``spoolview open FILE...`` (also the bare ``spoolview FILE`` and ``spoolview``): the viewer window."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_QUOTE = ROOT / "samples" / "devis-D2026-0042.spv"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("open", help="open documents in the viewer window")
    parser.add_argument("files", nargs="*", metavar="FILE", help="spool, PDF, XPS, image or .eml to show")
    parser.set_defaults(func=cmd_open)
    demo = subparsers.add_parser("view-demo", help="open the viewer on the sample quote")
    demo.set_defaults(func=cmd_view_demo, files=[str(SAMPLE_QUOTE)])


def display_problem() -> str | None:
    """Why no window can open here (as far as the environment tells), or None."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "no graphical display (DISPLAY is not set)"
    try:
        import tkinter  # noqa: F401
    except ImportError:
        return "Tk is not installed with this Python"
    return None


def _fallback(args: argparse.Namespace, problem: str) -> int:
    """No window possible: say so, then do what the documents demo does (convert to PDF)."""
    print(f"spoolview: {problem}; the viewer window cannot open. Converting instead.", file=sys.stderr)
    try:
        from viewer.commands import documents
    except ImportError:
        print("spoolview: error: the conversion commands are not available", file=sys.stderr)
        return 1
    demo = getattr(documents, "cmd_demo", None)
    if demo is None:
        print("spoolview: error: the conversion demo is not available", file=sys.stderr)
        return 1
    return int(demo(args) or 0)


def cmd_open(args: argparse.Namespace) -> int:
    missing = [f for f in args.files if not Path(f).exists()]
    for name in missing:  # the window would say it too; on the command line say it at once
        print(f"spoolview: {name}: no such file", file=sys.stderr)
    problem = display_problem()
    if problem is not None:
        return _fallback(args, problem)
    import tkinter

    from viewer.gui.app import run

    try:
        return run(list(args.files))
    except tkinter.TclError as exc:  # the display refused the connection
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _fallback(args, f"the display cannot be opened ({first})")


def cmd_view_demo(args: argparse.Namespace) -> int:
    return cmd_open(args)
