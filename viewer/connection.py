"""The client side of connected mode: profiles, an httpx client to the server, saved state."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from viewer import paths
from viewer.errors import SpoolviewError
from viewer.records import record
from viewer.settings import ConnectionProfile, Settings

if TYPE_CHECKING:
    from formats.document import DocInfo
    from viewer.directory_rules import Contact, Customer, Entry, Lookup

if TYPE_CHECKING:  # imported where a request is made: httpx costs a command ~100 ms to import
    import httpx

__all__ = [
    "CertificateProblem",
    "Connection",
    "ConnectionProblem",
    "LoginRefused",
    "NotConnected",
    "SendOutcomeUnknown",
    "SendStatus",
    "ServerAnswer",
    "ServerRecipient",
    "ServerRefused",
    "ServerUnavailable",
    "ServerUnreachable",
    "SessionExpired",
    "current",
    "get_profile",
    "live",
    "profiles",
]

STATE_FILE = "connection.json"
DEFAULT_TIMEOUT = 10.0
SEND_TIMEOUT = 120.0  # the server talks to its smart host before it answers


class ConnectionProblem(SpoolviewError):
    """Connected mode failed; ``str()`` says what to do."""


class ServerUnavailable(ConnectionProblem):
    """The server does not answer (down, wrong URL, network, timeout)."""


class ServerUnreachable(ServerUnavailable):
    """No connection could be made: the request surely never reached the server."""


class CertificateProblem(ConnectionProblem):
    """The server's TLS certificate cannot be verified."""


class LoginRefused(ConnectionProblem):
    """Wrong user name or password, or too many failed attempts."""


class SessionExpired(ConnectionProblem):
    """The token expired or was ended on the server: connect again."""


class NotConnected(ConnectionProblem):
    """No connection is open."""


class SendOutcomeUnknown(ConnectionProblem):
    """A send may have reached the server but no answer came (connection lost, 5xx, still running)."""


class ServerRefused(ConnectionProblem):
    """The server refused a request (4xx other than 401); ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int, *, msgid: str = "", params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, msgid=msgid, params=params)
        self.status = status


# -- profiles and saved state ----------------------------------------------------------


def _settings(settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    from viewer.settings import load

    return load()


def profiles(settings: Settings | None = None) -> dict[str, ConnectionProfile]:
    """The connection profiles of the user settings, by name."""
    return dict(_settings(settings).profiles)


def get_profile(name: str, settings: Settings | None = None) -> ConnectionProfile:
    """The profile ``name``; a ConnectionProblem naming the known ones otherwise."""
    known = profiles(settings)
    if name not in known:
        names = ", ".join(sorted(known)) or "none"
        raise ConnectionProblem(f"no connection profile {name!r} (known: {names}): add it with `spoolview profiles add {name} URL --user USER`",
                                msgid="appserver.no_profile", params={"name": name, "known": ", ".join(sorted(known)) or "—"})
    profile = known[name]
    if not profile.name:
        profile = dataclasses.replace(profile, name=name)
    return profile


def _secret_name(profile: str) -> str:
    from viewer.settings import server_secret_name

    return server_secret_name(profile)


def _state_path() -> Path:
    return paths.data_dir() / STATE_FILE


def check_url(url: str) -> str:
    """``url`` without a trailing slash when it is https, or http on a loopback host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectionProblem(f"server URL {url!r} is not valid: expected https://host[:port]", msgid="appserver.url_invalid", params={"url": url})
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConnectionProblem(f"server URL {url!r} is not encrypted: use https:// (plain http is allowed on this computer only)",
                                msgid="appserver.url_plain", params={"url": url})
    return url.strip().rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def current(settings: Settings | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Connection | None:
    """The connection saved by ``spoolview connect`` (any process), or None.

    ``settings`` is accepted for symmetry with the other helpers; the state does not
    depend on it (the token is a secret under ``server:<profile>``).
    """
    try:
        state = json.loads(_state_path().read_text(encoding="utf-8"))
        profile = ConnectionProfile(**{k: str(state.get(k, "")) for k in ("name", "url", "user", "ca_file")})
        expires_at = float(state.get("expires_at", 0))
    except (OSError, ValueError, TypeError):
        return None
    from viewer.settings import get_secret

    token = get_secret(_secret_name(profile.name))
    if not token or not profile.url:
        return None
    conn = Connection(profile, timeout=timeout)
    conn._token, conn.expires_at = token, expires_at
    return conn


def live(settings: Settings | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Connection | None:
    """The saved connection when it is open and the server answers now, else None."""
    conn = current(settings, timeout=timeout)
    if conn is None or not conn.is_connected or not conn.reachable():
        return None
    return conn


# -- the client ------------------------------------------------------------------------


@record(frozen=True)
class ServerRecipient:
    """The server's outcome for one recipient."""

    address: str
    accepted: bool
    code: int | None = None
    reply: str = ""
    temporary: bool = False


@record(frozen=True)
class ServerAnswer:
    """What the server answered to a send: per recipient, and its route's error when it had one."""

    recipients: list[ServerRecipient]
    route: str = ""  # the server's own route (e.g. "smtp")
    detail: str = ""
    error_kind: str = ""  # "" | temporary | permanent | configuration | error
    error_message: str = ""
    error_code: int | None = None
    error_reply: str = ""
    warnings: list[str] = dataclasses.field(default_factory=list)  # what failed on the server after delivery
    replayed: bool = False  # the stored answer of an earlier request with the same key


@record(frozen=True)
class SendStatus:
    """What the server says of a send key: ``done`` (with its answer), ``pending``, or ``absent`` (never received)."""

    state: str
    answer: ServerAnswer | None = None


IDEMPOTENCY_HEADER = "Idempotency-Key"


class Connection:
    """One application server, through one profile. ``connect`` logs in and saves the state."""

    def __init__(
        self,
        profile: ConnectionProfile,
        *,
        ca_file: str | Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.profile = profile
        self.url = check_url(profile.url)
        self.ca_file = str(ca_file or profile.ca_file or "")
        self.timeout = timeout
        self.expires_at = 0.0
        self._token = ""
        self._transport = transport
        self._client: httpx.Client | None = None

    # -- life ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.profile.name or self.url

    @property
    def is_connected(self) -> bool:
        """True while a token is held and not known to be expired."""
        return bool(self._token) and time.time() < self.expires_at

    def _http(self) -> httpx.Client:
        if self._client is None:
            import ssl

            import httpx

            verify: Any = True
            if self.ca_file:
                try:
                    verify = ssl.create_default_context(cafile=self.ca_file)
                except (OSError, ssl.SSLError) as exc:
                    raise CertificateProblem(f"CA file {self.ca_file} cannot be read ({exc}): fix ca_file in profile {self.name!r}",
                                             msgid="appserver.ca_file", params={"file": self.ca_file, "reason": str(exc), "profile": self.name}) from None
            self._client = httpx.Client(base_url=self.url, verify=verify, timeout=self.timeout, transport=self._transport)
        return self._client

    def close(self) -> None:
        """Close the HTTP client (the session stays open on the server)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def connect(self, password: str) -> None:
        """Log in as the profile's user and save the state for other processes."""
        if not self.profile.user:
            raise ConnectionProblem(f"profile {self.name!r} has no user: set one with `spoolview profiles add {self.name} URL --user USER`",
                                    msgid="appserver.no_user", params={"profile": self.name})
        response = self._request("POST", "/login", json={"user": self.profile.user, "password": password}, auth=False)
        if response.status_code == 401:
            raise LoginRefused(f"wrong user name or password for {self.profile.user!r} on {self.url}",
                               msgid="appserver.login_refused", params={"user": self.profile.user, "url": self.url})
        if response.status_code == 429:
            raise LoginRefused(f"{self.url} refuses logins for now after too many failures: {_detail(response)}",
                               msgid="appserver.login_throttled", params={"url": self.url, "reply": _detail(response)})
        if response.status_code == 422:
            raise LoginRefused(f"{self.url} refused the login: {_detail(response)}", msgid="appserver.login_invalid",
                               params={"url": self.url, "reply": _detail(response)})
        data = self._json(response)
        self._token = str(data["token"])
        self.expires_at = time.time() + float(data.get("expires_in", 0))
        self._save_state()

    def disconnect(self) -> None:
        """Log out (if the server answers) and forget the saved state."""
        if self._token:
            try:
                self._request("POST", "/logout")
            except ConnectionProblem:
                pass  # the state is forgotten anyway
        self._token, self.expires_at = "", 0.0
        self._forget_state()
        self.close()

    def reachable(self) -> bool:
        """True when the server answers its health endpoint with ``ok``."""
        return not self.problem()

    def problem(self) -> str:
        """'' when the server answers its health endpoint, else why not (in English: see ``health``)."""
        error = self.health()
        return str(error) if error is not None else ""

    def health(self) -> ConnectionProblem | None:
        """None when the server answers its health endpoint, else the problem (viewer.messages words it)."""
        try:
            response = self._request("GET", "/health", auth=False)
        except ConnectionProblem as exc:
            return exc
        if response.status_code != 200:
            return ServerUnavailable(f"the application server at {self.url} is not healthy (HTTP {response.status_code})",
                                     msgid="appserver.unhealthy", params={"url": self.url, "status": response.status_code})
        return None

    def _save_state(self) -> None:
        from viewer.settings import set_secret

        set_secret(_secret_name(self.profile.name or "default"), self._token)
        state = {**dataclasses.asdict(self.profile), "url": self.url, "ca_file": self.ca_file, "expires_at": self.expires_at}
        state["name"] = self.profile.name or "default"
        path = _state_path()
        paths.ensure_private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(state, out)
        os.replace(tmp, path)

    def _forget_state(self) -> None:
        from viewer.settings import delete_secret

        delete_secret(_secret_name(self.profile.name or "default"))
        try:
            state = json.loads(_state_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if state.get("name") == (self.profile.name or "default"):
            _state_path().unlink(missing_ok=True)

    # -- HTTP ----------------------------------------------------------------------------
    def _request(
        self, method: str, path: str, *, auth: bool = True, timeout: float | None = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(headers or {})
        if auth:
            if not self._token:
                raise NotConnected(f"not connected to {self.url}: run `spoolview connect {self.name}`", msgid="appserver.not_connected",
                                   params={"url": self.url, "profile": self.name})
            headers["Authorization"] = f"Bearer {self._token}"
        import ssl

        import httpx

        try:
            response = self._http().request(method, path, headers=headers, timeout=timeout or self.timeout, **kwargs)
        except httpx.ConnectError as exc:
            if "CERTIFICATE" in str(exc).upper() or isinstance(exc.__cause__, ssl.SSLError):
                raise CertificateProblem(
                    f"the certificate of {self.url} cannot be verified: give the server's CA file in profile {self.name!r} (ca_file)",
                    msgid="appserver.certificate", params={"url": self.url, "profile": self.name},
                ) from None
            raise ServerUnreachable(f"cannot reach the application server at {self.url}: check that it runs and the URL of profile {self.name!r}",
                                    msgid="appserver.unreachable", params={"url": self.url, "profile": self.name}) from None
        except httpx.ConnectTimeout:
            seconds = f"{timeout or self.timeout:g}"
            raise ServerUnreachable(f"the application server at {self.url} did not accept a connection within {seconds} s",
                                    msgid="appserver.connect_timeout", params={"url": self.url, "seconds": seconds}) from None
        except httpx.TimeoutException:
            seconds = f"{timeout or self.timeout:g}"
            raise ServerUnavailable(f"the application server at {self.url} did not answer within {seconds} s",
                                    msgid="appserver.timeout", params={"url": self.url, "seconds": seconds}) from None
        except httpx.TransportError as exc:
            raise ServerUnavailable(f"the connection to {self.url} was lost ({exc.__class__.__name__})", msgid="appserver.lost",
                                    params={"url": self.url, "reason": exc.__class__.__name__}) from None
        if response.status_code == 401 and auth:
            self._token, self.expires_at = "", 0.0
            raise SessionExpired(f"the session on {self.url} has ended ({_detail(response)}): connect again with `spoolview connect {self.name}`",
                                 msgid="appserver.session_ended", params={"url": self.url, "reply": _detail(response), "profile": self.name})
        return response

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code >= 500:
            raise ServerUnavailable(f"the application server at {self.url} failed (HTTP {response.status_code}): {_detail(response)}",
                                    msgid="appserver.server_failed", params={"url": self.url, "status": response.status_code, "reply": _detail(response)})
        if response.status_code >= 400:
            raise ServerRefused(f"the application server refused the request (HTTP {response.status_code}): {_detail(response)}", response.status_code,
                                msgid="appserver.refused", params={"status": response.status_code, "reply": _detail(response)})
        try:
            return response.json()
        except ValueError:
            raise ServerUnavailable(f"{self.url} did not answer like a spoolview server: check the URL of profile {self.name!r}",
                                    msgid="appserver.not_spoolview", params={"url": self.url, "profile": self.name}) from None

    def _get(self, path: str, **params: Any) -> Any:
        return self._json(self._request("GET", path, params=params or None))

    # -- directory -----------------------------------------------------------------------
    def search(self, text: str = "", limit: int = 50) -> list[Entry]:
        """Directory entries matching ``text`` on the server (viewer.directory_rules.Entry)."""
        return [_build("Entry", item) for item in self._get("/directory/search", text=text, limit=limit)]

    def customer(self, code: str) -> Customer | None:
        return self._one(f"/directory/customers/{_segment(code)}", "Customer")

    def contact(self, code: str) -> Contact | None:
        return self._one(f"/directory/contacts/{_segment(code)}", "Contact")

    def contacts_of(self, code: str) -> list[Contact]:
        return [_build("Contact", item) for item in self._get(f"/directory/customers/{_segment(code)}/contacts")]

    def _one(self, path: str, kind: str) -> Any | None:
        response = self._request("GET", path)
        if response.status_code == 404:
            return None
        return _build(kind, self._json(response))

    def lookup(self, info: DocInfo, address_type: str = "EMAIL") -> Lookup:
        """The recipient of a DocInfo by rule L1, decided by the server (viewer.directory_rules.Lookup)."""
        data = info.to_dict()
        body = {"info": data, "address_type": address_type}
        return _build("Lookup", self._json(self._request("POST", "/directory/lookup", json=body)))

    # -- mail ----------------------------------------------------------------------------
    def send(self, raw: bytes, sender: str, recipients: tuple[str, ...], *, document: str = "", subject: str = "", key: str = "") -> ServerAnswer:
        """Post a composed message; the server's answer per recipient, as plain data.

        Every recipient of ``recipients`` has one ServerRecipient (one the server gave no
        outcome for is refused, temporarily). ``key`` goes in the Idempotency-Key header:
        the server sends a message once per key and answers a repeat from its store.
        ServerUnreachable means the request surely never left; SendOutcomeUnknown that it
        may have reached the server (connection lost after sending, a 5xx, or the send
        with this key still running). The mail layer (ServerRoute) turns these into its
        own types.
        """
        import base64

        body = {
            "message": base64.b64encode(raw).decode("ascii"),
            "sender": sender,
            "recipients": list(recipients),
            "document": document,
            "subject": subject,
        }
        headers = {IDEMPOTENCY_HEADER: key} if key else {}
        try:
            response = self._request("POST", "/send", json=body, headers=headers, timeout=max(self.timeout, SEND_TIMEOUT))
        except ServerUnreachable:
            raise
        except ServerUnavailable as exc:  # the request left: the server may have sent it
            raise SendOutcomeUnknown(f"{exc}; the request may have reached the server", msgid="appserver.may_have_reached", params={"reason": exc}) from None
        if response.status_code >= 500 or response.status_code == 409:
            raise SendOutcomeUnknown(f"the application server at {self.url} answered HTTP {response.status_code} after receiving the message: {_detail(response)}",
                                     msgid="appserver.failed_after_receiving", params={"url": self.url, "status": response.status_code, "reply": _detail(response)})
        return _answer(self._json(response), recipients)

    def send_status(self, key: str) -> SendStatus:
        """What the server knows of the send with ``key`` (see SendStatus)."""
        response = self._request("GET", f"/send/{_segment(key)}")
        if response.status_code == 404:
            return SendStatus("absent")
        data = self._json(response)
        if data.get("state") == "done" and data.get("response"):
            return SendStatus("done", _answer(data["response"], tuple(r["address"] for r in data["response"].get("recipients", []))))
        return SendStatus("pending")

    def identities(self) -> dict[str, Any]:
        """``{"user", "identities", "email"}``: the From addresses the server lets this user send as."""
        return dict(self._get("/me"))

    def history(self, limit: int = 100) -> list[dict[str, Any]]:
        """The sends this user made through the server, newest first."""
        return list(self._get(f"/history/{_segment(self.profile.user)}", limit=limit))


def _answer(data: dict[str, Any], recipients: tuple[str, ...]) -> ServerAnswer:
    """A ServerAnswer from the JSON of a send answer; a recipient without outcome is refused."""
    results = [
        ServerRecipient(str(r["address"]), bool(r["accepted"]), r.get("code"), str(r.get("reply") or ""), bool(r.get("temporary")))
        for r in data["recipients"]
    ]
    reported = {r.address.lower() for r in results}
    for address in dict.fromkeys(recipients):  # never count a recipient the server did not answer for
        if address.lower() not in reported:
            results.append(ServerRecipient(address, False, None, "the application server gave no outcome for this recipient: check its history", True))
    error = data.get("error") or None
    return ServerAnswer(
        recipients=results,
        route=str(data.get("route") or ""),
        detail=str(data.get("detail") or ""),
        error_kind=str(error.get("kind") or "error") if error else "",
        error_message=str(error.get("message") or "") if error else "",
        error_code=error.get("code") if error else None,
        error_reply=str(error.get("reply") or "") if error else "",
        warnings=[str(w) for w in data.get("warnings") or []],
        replayed=bool(data.get("replayed")),
    )


def _segment(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        return response.reason_phrase or f"HTTP {response.status_code}"
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg', '')}" for d in detail if isinstance(d, dict))
    return str(detail)


def _build(kind: str, data: dict[str, Any]) -> Any:
    """An instance of viewer.directory_rules.<kind> from ``data`` (unknown keys dropped), else the dict."""
    from viewer import directory_rules

    cls = {"Customer": directory_rules.Customer, "Contact": directory_rules.Contact, "Entry": directory_rules.Entry,
           "Lookup": directory_rules.Lookup}.get(kind)
    if cls is None:
        return data
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError:
        return data
