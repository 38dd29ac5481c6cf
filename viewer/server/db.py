"""The server's database (SQLAlchemy Core): users, tokens, login counters, send history and send keys."""

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
    case,
    create_engine,
    delete,
    event,
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
    Column("identities", Text, nullable=False, default="", server_default=""),  # allowed From addresses, one per line
    Column("email", String(320), nullable=False, default="", server_default=""),  # the user's own address (Reply-To)
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the token; the token is never stored
    Column("user", String(64), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

login_counters = Table(
    "login_counters",
    metadata,
    Column("key", String(300), primary_key=True),  # "user:NAME", "addr:IP" or "pair:NAME IP"
    Column("window_start", Float, nullable=False, index=True),
    Column("count", Integer, nullable=False),
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


send_keys = Table(
    "send_keys",
    metadata,
    Column("user", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),  # the client's Idempotency-Key
    Column("fingerprint", String(64), nullable=False),  # sha256 of the request: a key names one message
    Column("state", String(10), nullable=False),  # "pending" while the route works, then "done"
    Column("created_at", Float, nullable=False, index=True),
    Column("response", Text, nullable=False, default=""),  # the JSON answer given for it
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


@dataclass
class UserRow:
    name: str
    identities: list[str]
    email: str


@dataclass
class SendKey:
    """What the database knows of one idempotency key."""

    state: str  # "pending" or "done"
    fingerprint: str
    created_at: float
    response: dict[str, Any] | None


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
                make_folder(url)
                self.engine: Engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
            self._check_schema()
        except (SQLAlchemyError, ImportError) as exc:
            raise DatabaseError(f"cannot open the server database {safe_url(url)}: {exc.__class__.__name__}: {_first_line(exc)}") from None

    def _check_schema(self) -> None:
        """Create the schema in an empty database; refuse one at another revision (migrate first)."""
        from viewer.server import migrate

        found, wanted = migrate.current(self.engine), migrate.head()
        if found is None:
            migrate.upgrade(self.url)
        elif found != wanted:
            raise DatabaseError(
                f"the server database {safe_url(self.url)} has schema revision {found}, this spoolview needs {wanted}: "
                "run `spoolview server migrate` (back it up first)"
            )

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
            raise UserExists(f"user {name!r} already exists: use `spoolview server passwd {name}` to change the password",
                             msgid="server.user.exists", params={"name": name}) from None

    def set_password(self, name: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(update(users).where(users.c.name == name).values(password_hash=password_hash)).rowcount
            if not done:
                raise UnknownUser(f"no user {name!r} on this server: add it with `spoolview server adduser {name}`",
                                  msgid="server.user.unknown", params={"name": name})
            conn.execute(delete(tokens).where(tokens.c.user == name))  # a new password ends old sessions

    def replace_password_hash(self, name: str, old: str, new: str) -> bool:
        """Store ``new`` for the same password (a rehash), only if the hash is still ``old``; sessions go on."""
        with self.engine.begin() as conn:
            where = (users.c.name == name) & (users.c.password_hash == old)
            return bool(conn.execute(update(users).where(where).values(password_hash=new)).rowcount)

    def delete_user(self, name: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(delete(users).where(users.c.name == name)).rowcount
            if not done:
                raise UnknownUser(f"no user {name!r} on this server", msgid="server.user.unknown_bare", params={"name": name})
            conn.execute(delete(tokens).where(tokens.c.user == name))

    def password_hash(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(users.c.password_hash).where(users.c.name == name)).scalar()

    def user(self, name: str) -> UserRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users.c.name, users.c.identities, users.c.email).where(users.c.name == name)).first()
        return UserRow(row.name, [a for a in row.identities.split("\n") if a], row.email) if row else None

    def set_identities(self, name: str, identities: list[str] | None = None, email: str | None = None) -> None:
        """Set the From addresses ``name`` may send as and/or its own address (Reply-To)."""
        values: dict[str, str] = {}
        if identities is not None:
            values["identities"] = "\n".join(dict.fromkeys(identities))
        if email is not None:
            values["email"] = email
        if not values:
            return
        with self.engine.begin() as conn:
            if not conn.execute(update(users).where(users.c.name == name).values(**values)).rowcount:
                raise UnknownUser(f"no user {name!r} on this server: add it with `spoolview server adduser {name}`",
                                  msgid="server.user.unknown", params={"name": name})

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

    # -- login counters ----------------------------------------------------------------
    def bump(self, key: str, now: float, window: float) -> tuple[int, float]:
        """Add one to ``key``'s counter in one transaction; its new count and window start.

        A counter whose window started more than ``window`` seconds ago starts again at 1.
        The UPDATE locks the row (PostgreSQL) or the file (SQLite), so concurrent logins in
        any process each see a distinct count.
        """
        since = now - window
        fresh = login_counters.c.window_start < since
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    done = conn.execute(
                        update(login_counters)
                        .where(login_counters.c.key == key)
                        .values(
                            count=case((fresh, 1), else_=login_counters.c.count + 1),
                            window_start=case((fresh, now), else_=login_counters.c.window_start),
                        )
                    ).rowcount
                    if not done:
                        conn.execute(insert(login_counters).values(key=key, window_start=now, count=1))
                        return 1, now
                    row = conn.execute(select(login_counters.c.count, login_counters.c.window_start).where(login_counters.c.key == key)).one()
                    return int(row[0]), float(row[1])  # (count, window_start): row.count is Row.count()
            except IntegrityError:  # another process inserted the same key first: update it
                continue
        raise DatabaseError(f"cannot count the login attempt for {key!r}: the database keeps refusing it")

    def counter(self, key: str, now: float, window: float) -> tuple[int, float]:
        """``key``'s count and window start, 0 when its window is over or it has none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(login_counters.c.count, login_counters.c.window_start).where(login_counters.c.key == key)).first()
        if row is None or row[1] < now - window:
            return 0, now
        return int(row[0]), float(row[1])  # (count, window_start): row.count is Row.count()

    def reset(self, keys: list[str], older_than: float | None = None) -> None:
        """Forget ``keys`` (a successful login), and counters idle since ``older_than``."""
        with self.engine.begin() as conn:
            conn.execute(delete(login_counters).where(login_counters.c.key.in_(keys)))
            if older_than is not None:
                conn.execute(delete(login_counters).where(login_counters.c.window_start < older_than))

    # -- idempotency keys ----------------------------------------------------------------
    def claim_key(self, user: str, key: str, fingerprint: str, *, keep_seconds: float) -> SendKey | None:
        """Reserve ``key`` for a send now: None when it is new (the caller sends), else what is stored.

        The primary key makes this atomic across processes: of two requests with one key,
        exactly one gets None.
        """
        now = time.time()
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(send_keys).where(send_keys.c.created_at < now - keep_seconds))  # housekeeping
                conn.execute(insert(send_keys).values(user=user, key=key, fingerprint=fingerprint, state="pending", created_at=now, response=""))
            return None
        except IntegrityError:
            pass
        found = self.send_key(user, key)
        if found is None:  # removed between the two statements (expired): try once more
            return self.claim_key(user, key, fingerprint, keep_seconds=keep_seconds)
        if found.state == "done" and found.fingerprint == fingerprint and not _delivered(found.response):
            # Nothing was delivered the first time: a repeat is a new attempt, never a duplicate.
            # The UPDATE's condition makes one of several concurrent repeats the owner.
            with self.engine.begin() as conn:
                taken = conn.execute(
                    update(send_keys)
                    .where(send_keys.c.user == user, send_keys.c.key == key, send_keys.c.state == "done", send_keys.c.created_at == found.created_at)
                    .values(state="pending", created_at=now, response="")
                ).rowcount
            if taken:
                return None
            return self.send_key(user, key) or found
        return found

    def finish_key(self, user: str, key: str, response: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(send_keys).where(send_keys.c.user == user, send_keys.c.key == key).values(state="done", response=json.dumps(response)))

    def release_key(self, user: str, key: str) -> None:
        """Forget a pending key whose send never started (checks failed after the claim)."""
        with self.engine.begin() as conn:
            conn.execute(delete(send_keys).where(send_keys.c.user == user, send_keys.c.key == key, send_keys.c.state == "pending"))

    def send_key(self, user: str, key: str) -> SendKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(send_keys).where(send_keys.c.user == user, send_keys.c.key == key)).first()
        if row is None:
            return None
        return SendKey(row.state, row.fingerprint, row.created_at, json.loads(row.response) if row.response else None)

    # -- history -----------------------------------------------------------------------
    def add_send(self, **values: Any) -> int:
        values = dict(values)
        values["recipients"] = json.dumps(values.get("recipients", []))
        values.setdefault("at", time.time())
        with self.engine.begin() as conn:
            key = conn.execute(insert(sends).values(**values)).inserted_primary_key
            assert key is not None  # an INSERT of one row always has its key
            return int(key[0])

    def history(self, user: str, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sends).where(sends.c.user == user).order_by(sends.c.id.desc()).limit(limit)).mappings().all()
        out = []
        for row in rows:
            item = dict(row)
            item["recipients"] = json.loads(item["recipients"])
            out.append(item)
        return out


def _delivered(response: dict[str, Any] | None) -> bool:
    """True when a stored send answer has at least one accepted recipient (or cannot be read)."""
    if not isinstance(response, dict):
        return True
    recipients = response.get("recipients")
    if not isinstance(recipients, list):
        return True
    return any(isinstance(r, dict) and r.get("accepted") for r in recipients)


def make_folder(url: str) -> None:
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


