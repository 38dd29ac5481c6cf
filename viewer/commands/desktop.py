"""`spoolview desktop install | remove | status`: the menu entry, icon and file types of the desktop."""

from __future__ import annotations

import argparse

from viewer import desktop


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("desktop", help="register spoolview with the desktop (menu entry, icon, file types)")
    sub = parser.add_subparsers(dest="desktop_command", metavar="ACTION", required=True)
    p = sub.add_parser("install", help="add the menu entry, the icon and the .spv/.prn/PostScript types for this user")
    p.set_defaults(func=cmd_install)
    p = sub.add_parser("remove", help="remove what `desktop install` added")
    p.set_defaults(func=cmd_remove)
    p = sub.add_parser("status", help="say which of the desktop files are in place")
    p.set_defaults(func=cmd_status)


def _report(outcome: desktop.Outcome) -> int:
    for path in outcome.written:
        print(f"wrote {path}")
    for path in outcome.removed:
        print(f"removed {path}")
    for line in outcome.ran:
        print(f"ran {line}")
    for line in outcome.missing:
        print(f"not run, not installed: {line}")
    for line in outcome.failed:
        print(f"warning: {line}")
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    outcome = desktop.install()
    _report(outcome)
    print("spoolview is registered: double-click a .spv, .prn or PostScript file to open it"
          + (" (after the next login)" if outcome.missing else ""))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    outcome = desktop.remove()
    _report(outcome)
    if not outcome.removed:
        print(f"nothing to remove: spoolview was not registered in {desktop.data_home()}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = desktop.installed()
    for name, path in desktop.paths().items():
        print(f"{name:8} {'present' if state[name] else 'absent '} {path}")
    return 0 if all(state.values()) else 1
