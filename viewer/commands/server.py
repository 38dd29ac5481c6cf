"""`spoolview server run|migrate|adduser|user|deluser|passwd|users`: run the application server, manage its users."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from viewer.commands.settings import read_new_password
from viewer.errors import SpoolviewError
from viewer.messages import text

if TYPE_CHECKING:
    from viewer.server.config import ServerConfig
    from viewer.server.db import Database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("server", help="run the application server (connected mode) and manage its users")
    sub = parser.add_subparsers(dest="server_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", dest="server_config", metavar="FILE", help="server configuration file (default: server.toml in the config folder)")

    p = sub.add_parser("run", help="serve the HTTP API until interrupted (127.0.0.1 unless --host)")
    common(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.add_argument("--port", type=int, help="TCP port (default 8470)")
    p.add_argument("--certfile", help="TLS certificate chain (PEM); with --keyfile, serve https")
    p.add_argument("--keyfile", help="TLS private key (PEM)")
    p.add_argument("--workers", type=int, help="number of worker processes sharing the database (default 1)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("migrate", help="create or upgrade the server database schema (SQLite or PostgreSQL)")
    common(p)
    p.add_argument("--revision", default="head", help="target schema revision (default: the newest)")
    p.set_defaults(func=cmd_migrate)

    def identities(p: argparse.ArgumentParser) -> None:
        p.add_argument("--identity", action="append", metavar="ADDRESS", help="a From address this user may send as, besides the server's from_identity (repeat for several)")
        p.add_argument("--email", metavar="ADDRESS", help="the user's own address, allowed in Reply-To")

    for name, summary, func in (
        ("adduser", "create a user (password prompted, or read from standard input)", cmd_adduser),
        ("user", "show or change a user's sending identities", cmd_user),
        ("deluser", "delete a user and end its sessions", cmd_deluser),
        ("passwd", "change a user's password and end its sessions", cmd_passwd),
    ):
        p = sub.add_parser(name, help=summary)
        common(p)
        p.add_argument("name", help="user name")
        if name in ("adduser", "user"):
            identities(p)
        if name == "user":
            p.add_argument("--clear-identities", action="store_true", help="remove every identity of the user (only the server's from_identity stays)")
        p.set_defaults(func=func)

    p = sub.add_parser("users", help="list the users")
    common(p)
    p.set_defaults(func=cmd_users)


def _config(args: argparse.Namespace) -> ServerConfig:
    from viewer.server.config import load_config

    return load_config(args.server_config)


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[Any]:
    """The server's database for one command, disposed of afterwards."""
    db = _database_for(_config(args))
    try:
        yield db
    finally:
        db.dispose()


def _language() -> str:
    """fr or en, as every command: the interface language setting, else the locale's."""
    from viewer.cli import language

    return language()


def cmd_run(args: argparse.Namespace) -> int:
    from viewer.server.config import ServerConfigError
    from viewer.server.delivery import server_settings
    from viewer.server.run import serve

    config = _config(args)
    for key in ("host", "port", "certfile", "keyfile", "workers"):
        value = getattr(args, key)
        if value is not None:
            setattr(config, key, value)
    if bool(config.certfile) != bool(config.keyfile):
        raise ServerConfigError("--certfile and --keyfile go together", msgid="server.cli.cert_pair")
    if config.workers < 1:
        raise ServerConfigError("--workers must be at least 1", msgid="server.cli.workers")
    server_settings(config)  # a wrong route table is said now, not after the banner
    _warn_if_readable_secret(config)
    _check_port(config.host, config.port)
    db = _database_for(config)
    lang = _language()
    if not db.user_names():
        print(text(lang, "cli.warning", detail=text(lang, "server.cli.no_user")), file=sys.stderr)
    db.dispose()
    scheme = "https" if config.certfile else "http"
    if config.host not in ("127.0.0.1", "::1", "localhost") and not config.certfile:
        print(text(lang, "cli.warning", detail=text(lang, "server.cli.plain_http")), file=sys.stderr)
    print(text(lang, "server.cli.started", url=f"{scheme}://{config.host}:{config.port}", workers=config.workers), file=sys.stderr)
    serve(config)
    return 0


def _warn_if_readable_secret(config: ServerConfig) -> None:
    """A configuration holding the relay password must be readable by the server account only."""
    import os
    import stat

    path = config.path
    if path is None or not (config.route.get("environment") or {}).get("smtp_password"):
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        lang = _language()
        print(text(lang, "cli.warning", detail=text(lang, "server.cli.readable_secret", path=path)), file=sys.stderr)


def _check_port(host: str, port: int) -> None:
    """Fail with one clear line when the address cannot be listened on (in use, no such address)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SpoolviewError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another --port or --host, or stop the program using it") from None


def _database_for(config: ServerConfig) -> Database:
    from viewer.server.db import Database

    return Database(config.effective_database_url())


def _addresses(values: list[str] | None, option: str) -> list[str]:
    from viewer.server.checks import MessageRejected, check_address

    out = []
    for value in values or []:
        try:
            out.append(check_address(value.strip(), option).lower())
        except MessageRejected as exc:
            raise SpoolviewError(f"{exc}: give it as name@domain") from None
    return out


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the configured database to the schema of this spoolview (one transaction)."""
    from sqlalchemy.exc import SQLAlchemyError

    from viewer.directory import safe_url
    from viewer.server import migrate
    from viewer.server.db import DatabaseError, make_folder

    url = _config(args).effective_database_url()
    make_folder(url)
    try:
        before, after = migrate.upgrade(url, args.revision)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot migrate the server database {safe_url(url)}: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    except Exception as exc:  # noqa: BLE001 - alembic's own errors (unknown revision): one line, no traceback
        raise DatabaseError(f"cannot migrate the server database {safe_url(url)}: {exc}") from None
    lang = _language()
    if before == after:
        print(text(lang, "server.cli.migrate.current", url=safe_url(url), revision=after))
    else:
        print(text(lang, "server.cli.migrate.done", url=safe_url(url), before=before or text(lang, "server.cli.migrate.none"),
                   after=after))
    return 0


def cmd_adduser(args: argparse.Namespace) -> int:
    from viewer.server.auth import check_user_name, hash_password

    name = check_user_name(args.name)
    lang = _language()
    identities = _addresses(args.identity, "--identity")
    email = _addresses([args.email], "--email")[0] if args.email else None
    with _database(args) as db:
        if name in db.user_names():
            raise SpoolviewError(f"user {name!r} already exists: use `spoolview server passwd {name}` to change the password",
                                 msgid="server.user.exists", params={"name": name})
        db.add_user(name, hash_password(read_new_password(text(lang, "server.cli.password_prompt", name=name), lang)))
        db.set_identities(name, identities or None, email)
    print(text(lang, "server.cli.added", name=name))
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    """Change then show a user's identities (what `POST /send` accepts as From for that user)."""
    from viewer.server.db import UnknownUser

    identities = _addresses(args.identity, "--identity")
    email = _addresses([args.email], "--email")[0] if args.email else args.email  # "" clears it, None keeps it
    with _database(args) as db:
        row = db.user(args.name)
        if row is None:
            raise UnknownUser(f"no user {args.name!r} on this server: add it with `spoolview server adduser {args.name}`",
                              msgid="server.user.unknown", params={"name": args.name})
        if args.clear_identities or identities:
            db.set_identities(args.name, ([] if args.clear_identities else row.identities) + identities)
        if email is not None:
            db.set_identities(args.name, email=email)
        row = db.user(args.name) or row
    config = _config(args)
    from viewer.server.delivery import server_settings

    server_identity = server_settings(config).from_identity()
    lang = _language()
    print(text(lang, "server.cli.user", name=row.name))
    print(text(lang, "server.cli.user.server_identity", identity=server_identity or text(lang, "server.cli.user.no_server_identity")))
    print(text(lang, "server.cli.user.identities", identities=", ".join(row.identities) or text(lang, "server.cli.user.none")))
    print(text(lang, "server.cli.user.email", email=row.email or text(lang, "server.cli.user.none")))
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from viewer.server.auth import hash_password
    from viewer.server.db import UnknownUser

    lang = _language()
    with _database(args) as db:
        if args.name not in db.user_names():
            raise UnknownUser(f"no user {args.name!r} on this server: add it with `spoolview server adduser {args.name}`",
                              msgid="server.user.unknown", params={"name": args.name})
        db.set_password(args.name, hash_password(read_new_password(text(lang, "server.cli.password_prompt", name=args.name), lang)))
    print(text(lang, "server.cli.password_changed", name=args.name))
    return 0


def cmd_deluser(args: argparse.Namespace) -> int:
    with _database(args) as db:
        db.delete_user(args.name)
    print(text(_language(), "server.cli.deleted", name=args.name))
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    with _database(args) as db:
        for name in db.user_names():
            print(name)
    return 0
