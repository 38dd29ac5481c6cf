"""`spoolview connect|disconnect|connection|profiles`: connected mode from the command line."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import time
from typing import Any

from viewer import unknown_sends
from viewer.errors import SpoolviewError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("connect", help="log in to an application server (connected mode)")
    p.add_argument("profile", help="connection profile name (see `spoolview profiles list`)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input even on a terminal")
    p.set_defaults(func=cmd_connect)

    p = subparsers.add_parser("disconnect", help="log out from the application server")
    p.set_defaults(func=cmd_disconnect)

    p = subparsers.add_parser("connection", help="show whether this computer is connected, and to what")
    p.add_argument("--history", type=int, nargs="?", const=20, metavar="N", help="also list your last N sends made through the server")
    p.set_defaults(func=cmd_status)

    p = subparsers.add_parser("profiles", help="list, add or remove connection profiles")
    sub = p.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)
    q = sub.add_parser("list", help="list the profiles")
    q.set_defaults(func=cmd_profiles_list)
    q = sub.add_parser("add", help="add or replace a profile")
    q.add_argument("name")
    q.add_argument("url", help="the server's URL, e.g. https://apps.example.com:8470")
    q.add_argument("--user", required=True, help="user name on that server")
    q.add_argument("--ca-file", default="", help="CA certificate (PEM) to verify the server with")
    q.set_defaults(func=cmd_profiles_add)
    q = sub.add_parser("remove", help="remove a profile")
    q.add_argument("name")
    q.set_defaults(func=cmd_profiles_remove)


def _password(args: argparse.Namespace, prompt: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty() and not args.password_stdin:
        return getpass.getpass(prompt)
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def cmd_connect(args: argparse.Namespace) -> int:
    from viewer.connection import Connection, current, get_profile

    profile = get_profile(args.profile)
    previous = current()
    if previous is not None and previous.profile.name != profile.name:
        previous.disconnect()
    conn = Connection(profile)
    conn.connect(_password(args, f"password for {profile.user} on {conn.url}: "))
    minutes = max(0, int((conn.expires_at - time.time()) / 60))
    print(f"connected to {conn.url} as {profile.user} (profile {profile.name}); the session lasts {minutes} min")
    return 0


def cmd_disconnect(args: argparse.Namespace) -> int:
    from viewer.connection import current

    conn = current()
    if conn is None:
        print("not connected")
        return 0
    conn.disconnect()
    print(f"disconnected from {conn.url}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from viewer.connection import current

    conn = current()
    if conn is None or not conn.is_connected:
        print("local (not connected)")
        return 0
    answers = conn.reachable()
    state = "server answers" if answers else "server does NOT answer: sends will be made locally"
    print(f"connected to {conn.url} as {conn.profile.user} (profile {conn.profile.name}); {state}")
    waiting = unknown_sends.of(conn.url, conn.profile.user)
    if waiting and not args.history:
        print(f"{len(waiting)} send(s) with an unknown outcome: `spoolview connection --history` asks the server")
    if args.history:
        for send in waiting:
            _report_unknown(conn, send, answers)
        for item in conn.history(args.history):
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item["at"]))
            outcome = "sent" if item["ok"] else "NOT sent: " + (item["error"] or "some recipients refused")
            to = ", ".join(f"{r['address']}{'' if r['accepted'] else ' (refused: ' + (r.get('reply') or '') + ')'}" for r in item["recipients"])
            print(f"{when}\t{item['document'] or '-'}\t{item['subject']}\t{to}\t{outcome}")
    return 0


def _report_unknown(conn: Any, item: Any, answers: bool) -> None:
    """Ask the server what became of a send whose answer was lost; print it (forgotten once known)."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item.at))
    label = f"{when}\t{item.document or '-'}\tkey {item.key}\t{', '.join(item.recipients)}"
    if not answers:
        print(f"{label}\toutcome still UNKNOWN: the server does not answer; do not send it again")
        return
    found = unknown_sends.resolve(conn, item)
    if found.state == "absent":
        print(f"{label}\tNOT sent: the server never received it; you may send it again")
    elif not found.known:
        print(f"{label}\toutcome still UNKNOWN ({found.detail}); do not send it again")
    else:
        parts = [f"{a}: {'accepted' if ok else 'refused (' + reply + ')'}" for a, ok, reply in found.recipients]
        verdict = "sent" if found.state == "sent" else "NOT sent to every recipient"
        print(f"{label}\tnow known: {verdict} ({'; '.join(parts)})")


def cmd_profiles_list(args: argparse.Namespace) -> int:
    from viewer.connection import profiles

    found = profiles()
    if not found:
        print("no connection profile: add one with `spoolview profiles add NAME URL --user USER`")
    for name, p in sorted(found.items()):
        extra = f" ca_file={p.ca_file}" if p.ca_file else ""
        print(f"{name}\t{p.url}\tuser={p.user}{extra}")
    return 0


def cmd_profiles_add(args: argparse.Namespace) -> int:
    from viewer import settings as S
    from viewer.connection import check_url

    if not re.match(r"^[A-Za-z0-9_-]+$", args.name):
        raise SpoolviewError(f"profile name {args.name!r} may only hold letters, digits, '-' and '_'")
    url = check_url(args.url)
    if args.ca_file:
        from pathlib import Path

        if not Path(args.ca_file).is_file():
            raise SpoolviewError(f"CA file {args.ca_file} not found")
    settings = S.load()
    settings.profiles[args.name] = S.ConnectionProfile(name=args.name, url=url, user=args.user, ca_file=args.ca_file)
    S.save(settings)
    print(f"profile {args.name} saved: {url} as {args.user}")
    return 0


def cmd_profiles_remove(args: argparse.Namespace) -> int:
    from viewer import settings as S

    settings = S.load()
    if args.name not in settings.profiles:
        raise SpoolviewError(f"no connection profile {args.name!r}")
    del settings.profiles[args.name]
    S.save(settings)
    S.delete_secret(S.server_secret_name(args.name))
    print(f"profile {args.name} removed")
    return 0
