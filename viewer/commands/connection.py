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


def _language() -> str:
    """fr or en, as every command: the interface language setting, else the locale's."""
    from viewer.cli import language

    return language()


def cmd_connect(args: argparse.Namespace) -> int:
    from viewer.connection import Connection, current, get_profile
    from viewer.messages import text

    profile = get_profile(args.profile)
    previous = current()
    if previous is not None and previous.profile.name != profile.name:
        previous.disconnect()
    conn = Connection(profile)
    lang = _language()
    conn.connect(_password(args, text(lang, "connection.password_prompt", user=profile.user, url=conn.url)))
    minutes = max(0, int((conn.expires_at - time.time()) / 60))
    print(text(lang, "connection.connected", url=conn.url, user=profile.user, profile=profile.name, minutes=minutes))
    return 0


def cmd_disconnect(args: argparse.Namespace) -> int:
    from viewer.connection import current
    from viewer.messages import text

    conn = current()
    lang = _language()
    if conn is None:
        print(text(lang, "connection.not_connected"))
        return 0
    conn.disconnect()
    print(text(lang, "connection.disconnected", url=conn.url))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from viewer.connection import current
    from viewer.messages import counted, text

    conn = current()
    lang = _language()
    if conn is None or not conn.is_connected:
        print(text(lang, "connection.local"))
        return 0
    answers = conn.reachable()
    state = text(lang, "connection.state.answers" if answers else "connection.state.silent")
    print(text(lang, "connection.status", url=conn.url, user=conn.profile.user, profile=conn.profile.name, state=state))
    waiting = unknown_sends.of(conn.url, conn.profile.user)
    if waiting and not args.history:
        print(counted(lang, "connection.unknown_waiting", len(waiting)))
    if args.history:
        for send in waiting:
            _report_unknown(conn, send, answers, lang)
        for item in conn.history(args.history):
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item["at"]))
            outcome = text(lang, "connection.history.sent") if item["ok"] else \
                text(lang, "connection.history.not_sent", reason=item["error"] or text(lang, "connection.history.some_refused"))
            to = ", ".join(r["address"] if r["accepted"] else text(lang, "connection.history.refused", address=r["address"],
                                                                     reply=r.get("reply") or "")
                           for r in item["recipients"])
            print(f"{when}\t{item['document'] or '-'}\t{item['subject']}\t{to}\t{outcome}")
    return 0


def _report_unknown(conn: Any, item: Any, answers: bool, lang: str = "en") -> None:
    """Ask the server what became of a send whose answer was lost; print it (forgotten once known)."""
    from viewer.messages import text

    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item.at))
    label = f"{when}\t{item.document or '-'}\t{text(lang, 'connection.unknown.key', key=item.key)}\t{', '.join(item.recipients)}"
    if not answers:
        print(f"{label}\t{text(lang, 'connection.unknown.silent')}")
        return
    found = unknown_sends.resolve(conn, item)
    if found.state == "absent":
        print(f"{label}\t{text(lang, 'connection.unknown.absent')}")
    elif not found.known:
        print(f"{label}\t{text(lang, 'connection.unknown.still', detail=found.detail)}")
    else:
        parts = [text(lang, "connection.unknown.accepted", address=a) if ok else
                 text(lang, "connection.unknown.refused", address=a, reply=reply) for a, ok, reply in found.recipients]
        verdict = text(lang, "connection.unknown.sent" if found.state == "sent" else "connection.unknown.not_all")
        print(f"{label}\t{text(lang, 'connection.unknown.known', verdict=verdict, parts='; '.join(parts))}")


def cmd_profiles_list(args: argparse.Namespace) -> int:
    from viewer.connection import profiles
    from viewer.messages import text

    found = profiles()
    if not found:
        print(text(_language(), "connection.profiles.none"))
    for name, p in sorted(found.items()):
        extra = f" ca_file={p.ca_file}" if p.ca_file else ""
        print(f"{name}\t{p.url}\tuser={p.user}{extra}")
    return 0


def cmd_profiles_add(args: argparse.Namespace) -> int:
    from viewer import settings as S
    from viewer.connection import check_url
    from viewer.messages import text

    if not re.match(r"^[A-Za-z0-9_-]+$", args.name):
        raise SpoolviewError(f"profile name {args.name!r} may only hold letters, digits, '-' and '_'",
                             msgid="settings.error.profile_name", params={"name": args.name})
    url = check_url(args.url)
    if args.ca_file:
        from pathlib import Path

        if not Path(args.ca_file).is_file():
            raise SpoolviewError(f"CA file {args.ca_file} not found", msgid="connection.profiles.no_ca_file",
                                 params={"file": args.ca_file})
    settings = S.load()
    settings.profiles[args.name] = S.ConnectionProfile(name=args.name, url=url, user=args.user, ca_file=args.ca_file)
    S.save(settings)
    print(text(_language(), "connection.profiles.saved", name=args.name, url=url, user=args.user))
    return 0


def cmd_profiles_remove(args: argparse.Namespace) -> int:
    from viewer import settings as S
    from viewer.messages import text

    settings = S.load()
    if args.name not in settings.profiles:
        raise SpoolviewError(f"no connection profile {args.name!r}", msgid="connection.profiles.unknown", params={"name": args.name})
    del settings.profiles[args.name]
    S.save(settings)
    S.delete_secret(S.server_secret_name(args.name))
    print(text(_language(), "connection.profiles.removed", name=args.name))
    return 0
