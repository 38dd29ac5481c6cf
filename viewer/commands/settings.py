"""`spoolview settings path|show|set|check|password`: read, change and validate the settings."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

import tomli_w

from viewer import paths
from viewer import settings as S
from viewer.errors import SpoolviewError
from viewer.messages import cli_language, counted, text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("settings", help="show, change and check the per-user settings")
    sub = parser.add_subparsers(dest="settings_command", metavar="ACTION", required=True)

    p = sub.add_parser("path", help="print where the settings file is")
    p.set_defaults(func=cmd_path)

    p = sub.add_parser("show", help="print every setting (passwords are never shown)")
    p.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("set", help="change one setting, e.g. `settings set functions.port 587`")
    p.add_argument("key", help="dotted key such as functions.port or environments.prod.smtp_user")
    p.add_argument("value", help="the new value (true/false, a number or a text)")
    p.set_defaults(func=cmd_set)

    p = sub.add_parser("check", help="validate every setting; exit status 1 when there is a problem")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("password", help="store the SMTP password of an environment (prompted, never echoed)")
    p.add_argument("--environment", "-e", help="environment name (default: the active one)")
    p.add_argument("--delete", action="store_true", help="forget the stored password")
    p.set_defaults(func=cmd_password)


def cmd_path(args: argparse.Namespace) -> int:
    print(paths.config_file())
    return 0


def _password_state(settings: S.Settings, name: str) -> str:
    try:
        return "stored" if S.get_password(settings, name) else "not set"
    except SpoolviewError:
        return "unreadable"


def cmd_show(args: argparse.Namespace) -> int:
    settings = S.load()
    data = S.as_dict(settings, redact=True)
    states = {name: _password_state(settings, name) for name in settings.environments}
    if args.json:
        for name, state in states.items():
            data["environments"][name]["smtp_password"] = state
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    lang = _language(settings)  # the comments only: the TOML itself and --json are the same in both languages
    written = settings.path is not None and settings.path.exists()
    print(f"# {settings.path}" if written else text(lang, "settings.show.defaults", path=settings.path))
    print(tomli_w.dumps(data), end="")
    print("\n" + text(lang, "settings.show.passwords", states=", ".join(
        text(lang, f"settings.show.password.{state.replace(' ', '_')}", name=name) for name, state in states.items())))
    if settings.unknown_keys:
        print(text(lang, "settings.show.unknown", keys=", ".join(settings.unknown_keys)))
    return 0


def _current(settings: S.Settings, key: str) -> object:
    parts = key.split(".")
    if parts[0] == "templates":
        return getattr(settings.templates, parts[1]).get(".".join(parts[2:]), "")
    if parts[0] == "environments":
        return getattr(settings.environments[parts[1]], parts[2])
    if parts[0] == "profiles":
        return getattr(settings.profiles[parts[1]], parts[2])
    if parts[0] == "active_environment":
        return settings.active_environment
    return getattr(getattr(settings, parts[0]), parts[1])


def cmd_set(args: argparse.Namespace) -> int:
    settings = S.load()
    S.set_value(settings, args.key, args.value)
    path = S.save(settings)
    print(f"{args.key} = {json.dumps(_current(settings, args.key), ensure_ascii=False)}  ({path})")
    lang = _language(settings)
    for problem in S.check(settings):
        if problem.key == args.key or problem.key.startswith(args.key + "."):
            print(text(lang, "settings.set.warning", key=problem.key, message=problem.text(lang)), file=sys.stderr)
    return 0


def _language(settings: S.Settings) -> str:
    """fr or en: the interface language setting of ``settings``, else the locale's (as every command)."""
    return cli_language(settings.printing.language)


def cmd_check(args: argparse.Namespace) -> int:
    settings = S.load()
    problems = S.check(settings)
    lang = _language(settings)
    if not problems:
        print(text(lang, "settings.check.none", path=settings.path))
        return 0
    for problem in problems:
        print(text(lang, "settings.check.line", key=problem.key, message=problem.text(lang)))
    print(counted(lang, "settings.check.count", len(problems), path=settings.path), file=sys.stderr)
    return 1


def read_new_password(prompt: str, lang: str = "en") -> str:
    """A new password: typed twice without echo on a terminal (asked in ``lang``), else one line of standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if first != getpass.getpass(text(lang, "password.confirm")):
            raise SpoolviewError("the two passwords differ; nothing was changed, run the command again", msgid="password.differ")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def cmd_password(args: argparse.Namespace) -> int:
    settings = S.load()
    lang = _language(settings)
    name = args.environment or settings.active_environment
    if args.delete:
        S.delete_secret(S.smtp_secret_name(name), settings.path)
        print(text(lang, "settings.password.forgotten", name=name))
        return 0
    password = read_new_password(text(lang, "settings.password.prompt", name=name), lang)
    if not password:
        raise SpoolviewError("no password given; nothing was stored (use --delete to forget one)", msgid="settings.password.none")
    is_new = name not in settings.environments
    where = S.set_password(settings, password, name)
    if is_new:
        S.save(settings)  # record the new environment itself
    if where == "keyring":
        print(text(lang, "settings.password.stored.keyring", name=name))
    else:
        print(text(lang, "settings.password.stored.file", name=name, path=settings.path))
    return 0
