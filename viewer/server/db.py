"""The server's database (SQLAlchemy Core): users, tokens, failed logins and send history."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from viewer.directory import safe_url
from viewer.errors import SpoolviewError

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the token; the token is never stored
    Column("user", String(64), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, index=True),  # "user:NAME" or "addr:IP"
    Column("at", Float, nullable=False, index=True),
)

sends = Table(
    "sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user", String(64), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("document", String(500), nullable=False, default=""),
    Column("subject", String(1000), nullable=False, default=""),
    Column("sender", String(320), nullable=False, default=""),
    Column("recipients", Text, nullable=False),  # JSON list of per-recipient outcomes
    Column("ok", Boolean, nullable=False),
    Column("route", String(40), nullable=False, default=""),
    Column("message_id", String(500), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("size", Integer, nullable=False, default=0),
)


class DatabaseError(SpoolviewError):
    """The server's database cannot be opened or written."""


class UserExists(SpoolviewError):
    """adduser for a name that is already taken."""


class UnknownUser(SpoolviewError):
    """deluser/passwd for a name that does not exist."""


@dataclass
class TokenRow:
    user: str
    expires_at: float


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # several worker processes share the file
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """The tables above on one engine. Every method is a short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            if url.startswith("sqlite"):
                _make_folder(url)
                self.engine: Engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
            metadata.create_all(self.engine)
        except (SQLAlchemyError, ImportError) as exc:
            raise DatabaseError(f"cannot open the server database {safe_url(url)}: {exc.__class__.__name__}: {_first_line(exc)}") from None

    def dispose(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    # -- users -------------------------------------------------------------------------
    def add_user(self, name: str, password_hash: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(users).values(name=name, password_hash=password_hash, created_at=time.time()))
        except IntegrityError:
            raise UserExists(f"user {name!r} already exists: use `spoolview server passwd {name}` to change the password") from None

    def set_password(self, name: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(update(users).where(users.c.name == name).values(password_hash=password_hash)).rowcount
            if not done:
                raise UnknownUser(f"no user {name!r} on this server: add it with `spoolview server adduser {name}`")
            conn.execute(delete(tokens).where(tokens.c.user == name))  # a new password ends old sessions

    def delete_user(self, name: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(delete(users).where(users.c.name == name)).rowcount
            if not done:
                raise UnknownUser(f"no user {name!r} on this server")
            conn.execute(delete(tokens).where(tokens.c.user == name))

    def password_hash(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(users.c.password_hash).where(users.c.name == name)).scalar()

    def user_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(users.c.name).order_by(users.c.name)).scalars())

    # -- tokens ------------------------------------------------------------------------
    def add_token(self, token_hash: str, user: str, expires_at: float) -> None:
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(delete(tokens).where(tokens.c.expires_at < now))  # housekeeping
            conn.execute(insert(tokens).values(token_hash=token_hash, user=user, created_at=now, expires_at=expires_at))

    def token(self, token_hash: str) -> TokenRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens.c.user, tokens.c.expires_at).where(tokens.c.token_hash == token_hash)).first()
        return TokenRow(row.user, row.expires_at) if row else None

    def delete_token(self, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(tokens).where(tokens.c.token_hash == token_hash))

    # -- failed logins -----------------------------------------------------------------
    def failures_since(self, key: str, since: float) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(login_failures).where(login_failures.c.key == key, login_failures.c.at >= since)
            ).scalar_one()

    def add_failures(self, keys: list[str], window_start: float) -> None:
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.at < window_start))
            conn.execute(insert(login_failures), [{"key": key, "at": now} for key in keys])

    def clear_failures(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.key == key))

    # -- history -----------------------------------------------------------------------
    def add_send(self, **values: Any) -> int:
        values = dict(values)
        values["recipients"] = json.dumps(values.get("recipients", []))
        values.setdefault("at", time.time())
        with self.engine.begin() as conn:
            return conn.execute(insert(sends).values(**values)).inserted_primary_key[0]

    def history(self, user: str, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sends).where(sends.c.user == user).order_by(sends.c.id.desc()).limit(limit)).mappings().all()
        out = []
        for row in rows:
            item = dict(row)
            item["recipients"] = json.loads(item["recipients"])
            out.append(item)
        return out


def _make_folder(url: str) -> None:
    """Create the folder of a SQLite file (private), so a fresh install just works."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            pass  # create_all then says the file cannot be opened


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else ""


