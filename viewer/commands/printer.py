"""`spoolview printer install | remove | status`: the local CUPS queue "spoolview"."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("printer", help="the local printer queue: install, remove, status")
    sub = parser.add_subparsers(dest="printer_command", metavar="ACTION", required=True)
    p = sub.add_parser("install", help="add the CUPS queue \"spoolview\" and its backend (as root)")
    p.add_argument("--folder", help="where print jobs go (default: [printer] folder, else the data folder's printed/)")
    p.add_argument("--mode", choices=("open", "watch"), help="open: show each job in the running viewer;"
                   " watch: leave it in the folder (default: [printer] mode)")
    p.add_argument("--server", help="CUPS server host[:port] (default: this computer's)")
    p.set_defaults(func=cmd_install)
    p = sub.add_parser("remove", help="remove the queue and its backend (as root)")
    p.add_argument("--server", help="CUPS server host[:port] (default: this computer's)")
    p.set_defaults(func=cmd_remove)
    p = sub.add_parser("status", help="whether the queue is installed and where its jobs go")
    p.add_argument("--server", help="CUPS server host[:port] (default: this computer's)")
    p.set_defaults(func=cmd_status)


def default_folder(configured: str) -> Path:
    """``[printer] folder``, else ``printed/`` in the user's data folder."""
    from viewer import paths

    return Path(configured).expanduser() if configured else paths.data_dir() / "printed"


def cmd_install(args: argparse.Namespace) -> int:
    from viewer import settings as S
    from viewer.printer import queue

    conf = S.load().printer
    folder = Path(args.folder).expanduser() if args.folder else default_folder(conf.folder)
    mode = args.mode or conf.mode
    state = queue.install(folder, mode, host=args.server)
    print(f"installed the printer queue {queue.QUEUE!r} (backend {state.backend})")
    print(f"print jobs go to {folder}" + (", and open in your running viewer" if mode == "open" else
                                          ", for the watched-folder rules"))
    print(f"try it: lp -d {queue.QUEUE} FILE.pdf")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from viewer.printer import queue

    if queue.remove(host=args.server):
        print(f"removed the printer queue {queue.QUEUE!r} and its backend")
    else:
        print(f"no printer queue {queue.QUEUE!r} to remove (backend file removed if it was there)")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from viewer.printer import queue

    state = queue.status(host=args.server)
    if not state.installed:
        print(f"the printer queue {queue.QUEUE!r} is not installed: run `sudo spoolview printer install`")
        return 1
    print(f"queue:   {queue.QUEUE} ({state.state or 'state unknown'})")
    print(f"device:  {state.device_uri}")
    print(f"backend: {state.backend} ({'present' if state.backend_present else 'MISSING: run `sudo spoolview printer install` again'})")
    return 0 if state.backend_present else 1
