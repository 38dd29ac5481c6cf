"""`spoolview printer install | remove | status | serve | password`: the local CUPS queue and the network printer."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from viewer.printer import serve


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("printer", help="the local printer queue (install, remove, status) and the network printer (serve)")
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
    p = sub.add_parser("serve", help="run an IPP Everywhere printer the office prints to (jobs go to the watched folder)")
    p.add_argument("--port", type=int, metavar="N", help="TCP port (default: [printer] port, 8631; 0: any free port)")
    p.add_argument("--listen", metavar="ADDR", help="address to listen on (default: [printer] listen, 127.0.0.1; 0.0.0.0: every network)")
    p.add_argument("--folder", help="where jobs go (default: [printer] folder, else the data folder's printed/)")
    p.add_argument("--unit", action="store_true", help="print the systemd unit shipped with spoolview for this command "
                   "(ExecStart set to this spoolview), and exit")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("password", help="store the password of a network printer user ([printer] users)")
    p.add_argument("user", help="the user name, as listed in [printer] users")
    p.add_argument("--delete", action="store_true", help="forget the stored password")
    p.set_defaults(func=cmd_password)


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


def printer_secret_name(user: str) -> str:
    """Name under which a network printer user's password is stored."""
    return f"printer-user:{user}"


def serve_config(args: argparse.Namespace) -> serve.ServeConfig:
    """The network printer's settings: ``[printer]``, the stored passwords, the command line."""
    from viewer import settings as S
    from viewer.printer import serve

    settings = S.load()
    conf = settings.printer
    folder = Path(args.folder).expanduser() if args.folder else default_folder(conf.folder)
    users = {user: S.get_secret(printer_secret_name(user), settings.path) for user in conf.users}
    return serve.ServeConfig(folder=folder, port=conf.port if args.port is None else args.port,
                             listen=args.listen or conf.listen, name=conf.name, users=users,
                             tls_cert=conf.tls_cert, tls_key=conf.tls_key, max_job_mb=conf.max_job_mb)


UNIT_NAME = "spoolview-printer.service"  # shipped in viewer/data/
UNIT_EXEC = "/opt/spoolview/.venv/bin/spoolview"  # the ExecStart program of the shipped unit


def unit_text() -> str:
    """The shipped systemd unit of `printer serve`, its ExecStart naming this spoolview."""
    import sys
    from importlib.resources import files

    text = (files("viewer") / "data" / UNIT_NAME).read_text(encoding="utf-8")
    here = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "spoolview" else None
    if here is not None and here.is_file():
        text = text.replace(UNIT_EXEC, str(here))
    return text


def cmd_serve(args: argparse.Namespace) -> int:
    from viewer.printer import serve

    if args.unit:
        print(unit_text(), end="")
        return 0
    return serve.run(serve_config(args))


def cmd_password(args: argparse.Namespace) -> int:
    from viewer import settings as S
    from viewer.commands.settings import read_new_password
    from viewer.errors import SpoolviewError

    settings = S.load()
    name = printer_secret_name(args.user)
    if args.delete:
        S.delete_secret(name, settings.path)
        print(f"forgot the password of printer user {args.user!r}")
        return 0
    password = read_new_password(f"password of printer user {args.user}: ")
    if not password:
        raise SpoolviewError("no password given; nothing was stored (use --delete to forget one)")
    from viewer.saslprep import saslprep

    saslprep(password, stored=True)  # SaslprepError (which character, where) before anything is stored
    where = S.set_secret(name, password, settings.path)
    listed = args.user in settings.printer.users
    print(f"stored the password of printer user {args.user!r} (in the {'keyring' if where == 'keyring' else 'settings file'})"
          + ("" if listed else "; add the user to [printer] users to let them print"))
    return 0
