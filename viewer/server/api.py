"""The server's endpoints: health, login/logout, directory, send and history."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import logging
import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError

from viewer.errors import SpoolviewError
from viewer.mail.routes.base import Envelope
from viewer.server import schemas
from viewer.server.app import SESSION_KEY
from viewer.server.auth import RateLimited, Session, TokenInvalid
from viewer.server.checks import MessageRejected, check_address, check_message, check_text, header_addresses
from viewer.server.db import SendKey
from viewer.server.proxies import client_address

log = logging.getLogger(__name__)
router = APIRouter()
bearer = HTTPBearer(auto_error=False, description="the token returned by POST /login")
_directory_lock = threading.Lock()

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"model": schemas.Problem, "description": "missing, unknown or expired token"}}
CODE = Annotated[str, Path(min_length=1, max_length=100)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def session(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Session:
    """The logged-in user of this request (checked by the Guard middleware before the body), or 401."""
    checked = request.scope.get("state", {}).get(SESSION_KEY)
    if isinstance(checked, Session):
        return checked
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, "missing bearer token: log in first (POST /login)", headers={"WWW-Authenticate": "Bearer"})
    try:
        return request.app.state.auth.check(credentials.credentials)
    except TokenInvalid as exc:
        if exc.reason == "expired":
            raise _unauthorized("token expired: log in again") from None
        raise _unauthorized("invalid token: log in again") from None


Current = Annotated[Session, Depends(session)]


@router.get("/health", response_model=schemas.Health, tags=["server"], responses={503: {"model": schemas.Health}})
def health(request: Request, response: Response) -> dict[str, str]:
    """Liveness for load balancers; says nothing about users, routes or versions."""
    if request.app.state.db.ping():
        return {"status": "ok"}
    response.status_code = 503
    return {"status": "unavailable"}


@router.post(
    "/login",
    response_model=schemas.LoginResponse,
    tags=["session"],
    responses={401: {"model": schemas.Problem}, 429: {"model": schemas.Problem}},
)
def login(body: schemas.LoginRequest, request: Request) -> dict[str, Any]:
    """Exchange a user name and password for an expiring bearer token."""
    peer = request.client.host if request.client else "unknown"
    address = client_address(peer, request.headers.get("x-forwarded-for"), request.app.state.trusted_proxies)
    try:
        got = request.app.state.auth.login(body.user, body.password, address)
    except RateLimited as exc:
        raise HTTPException(429, f"too many failed logins: wait {exc.retry_after} seconds and try again", headers={"Retry-After": str(exc.retry_after)}) from None
    if got is None:
        log.info("failed login for %r from %s", body.user[:64], address)
        raise _unauthorized("wrong user name or password")
    token, expires = got
    return {"token": token, "user": body.user, "expires_at": expires, "expires_in": max(0.0, expires - time.time())}


@router.get("/me", response_model=schemas.Me, tags=["session"], responses=UNAUTHORIZED)
def me(current: Current, request: Request) -> dict[str, Any]:
    """Who the token belongs to and the From addresses this server lets the user send as."""
    allowed, email = _identities(request, current.user)
    return {"user": current.user, "identities": allowed, "email": email}


@router.post("/logout", status_code=204, tags=["session"], responses=UNAUTHORIZED)
def logout(current: Current, request: Request) -> Response:
    """End this token's session."""
    request.app.state.auth.logout(current)
    return Response(status_code=204)


# -- directory -------------------------------------------------------------------------


def _directory(request: Request) -> Any:
    state = request.app.state
    with _directory_lock:
        if state.directory is None:
            try:
                from viewer.directory import Directory
            except ImportError:
                raise HTTPException(503, "this server has no directory module") from None
            try:
                state.directory = Directory(state.config.directory_url or None)
            except SpoolviewError as exc:
                log.error("directory unavailable: %s", exc)
                raise HTTPException(503, "the server's directory is unavailable: see the server log") from None
        return state.directory


def _record(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return value
    return {"value": str(value)}


@router.get("/directory/search", response_model=list[schemas.DirectoryRecord], tags=["directory"], responses=UNAUTHORIZED)
def search(
    current: Current,
    request: Request,
    text: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Customers and contacts whose code, name or address contains ``text``."""
    return [_record(e) for e in _directory(request).search(text, limit)]


@router.get("/directory/customers/{code}", response_model=schemas.DirectoryRecord, tags=["directory"], responses={**UNAUTHORIZED, 404: {"model": schemas.Problem}})
def customer(current: Current, request: Request, code: CODE) -> dict[str, Any]:
    """One customer by code."""
    found = _directory(request).customer(code)
    if found is None:
        raise HTTPException(404, f"no customer {code!r} in the server's directory")
    return _record(found)


@router.get("/directory/customers/{code}/contacts", response_model=list[schemas.DirectoryRecord], tags=["directory"], responses=UNAUTHORIZED)
def contacts_of(current: Current, request: Request, code: CODE) -> list[dict[str, Any]]:
    """The contacts of one customer."""
    return [_record(c) for c in _directory(request).contacts_of(code)]


@router.get("/directory/contacts/{code}", response_model=schemas.DirectoryRecord, tags=["directory"], responses={**UNAUTHORIZED, 404: {"model": schemas.Problem}})
def contact(current: Current, request: Request, code: CODE) -> dict[str, Any]:
    """One contact by code."""
    found = _directory(request).contact(code)
    if found is None:
        raise HTTPException(404, f"no contact {code!r} in the server's directory")
    return _record(found)


@router.post("/directory/lookup", response_model=schemas.LookupResponse, tags=["directory"], responses=UNAUTHORIZED)
def lookup(current: Current, request: Request, body: schemas.LookupRequest) -> dict[str, Any]:
    """The recipient of a document by rule L1 (contact, else the customer's main record)."""
    from formats.document import DocInfo

    info = DocInfo.from_dict(body.info.model_dump())
    found = _directory(request).lookup(info, body.address_type)
    record = _record(found)
    return {name: (bool(record.get(name)) if name == "found" else str(record.get(name) or "")) for name in schemas.LookupResponse.model_fields}


# -- send and history ------------------------------------------------------------------


def _identities(request: Request, user: str) -> tuple[list[str], str]:
    """The From addresses ``user`` may send as (the server's own first) and the user's address."""
    from email.utils import parseaddr

    # The From of the server's route in force ("Sales <sales@example.com>" gives the address).
    server_identity = parseaddr(request.app.state.deliverer.settings.from_identity())[1].strip().lower()
    row = request.app.state.db.user(user)
    allowed = ([server_identity] if server_identity else []) + [a.lower() for a in (row.identities if row else [])]
    return list(dict.fromkeys(allowed)), (row.email.lower() if row else "")


def check_identity(request: Request, user: str, sender: str, raw: bytes) -> None:
    """403 unless the envelope sender, From and Sender are identities the server allows ``user``.

    Reply-To may also carry the user's own address.
    """
    allowed, email = _identities(request, user)
    if not allowed:
        raise HTTPException(403, f"this server has no sending identity for {user}: the administrator sets from_identity or `spoolview server user {user} --identity ADDRESS`")
    shown = ", ".join(allowed)
    asked = [("envelope sender", sender.lower())]
    asked += [("From", a) for a in header_addresses(raw, "From")]
    asked += [("Sender", a) for a in header_addresses(raw, "Sender")]
    for role, address in asked:
        if address not in allowed:
            raise HTTPException(403, f"{role} {address!r} is not an identity you may send as on this server (allowed: {shown}); ask the administrator to allow it")
    for address in header_addresses(raw, "Reply-To"):
        if address not in allowed and address != email:
            raise HTTPException(403, f"Reply-To {address!r} is neither an identity you may send as ({shown}) nor your own address ({email or 'none set'})")


IDEMPOTENCY_KEY = "Idempotency-Key"


def _key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_KEY, "")
    if key and (len(key) > 200 or not all(33 <= ord(ch) < 127 for ch in key)):
        raise HTTPException(422, f"{IDEMPOTENCY_KEY} must be 1 to 200 printable ASCII characters without spaces (e.g. a UUID)")
    return key


def _fingerprint(raw: bytes, sender: str, recipients: tuple[str, ...]) -> str:
    digest = hashlib.sha256(raw)
    digest.update(("\0" + sender + "\0" + "\0".join(recipients)).encode())
    return digest.hexdigest()


def _replay(found: SendKey, fingerprint: str, key: str) -> dict[str, Any]:
    """The stored answer for a repeated key (never a second send)."""
    if found.fingerprint != fingerprint:
        raise HTTPException(422, f"{IDEMPOTENCY_KEY} {key!r} was already used for another message: use a new key per message")
    if found.state != "done" or found.response is None:
        raise HTTPException(
            409,
            f"the send with {IDEMPOTENCY_KEY} {key!r} is in progress or was interrupted: its outcome is unknown; ask again with GET /send/{key}",
        )
    return {**found.response, "replayed": True}


@router.post(
    "/send",
    response_model=schemas.SendResponse,
    tags=["mail"],
    responses={
        **UNAUTHORIZED,
        403: {"model": schemas.Problem, "description": "an identity (From, Sender, envelope sender, Reply-To) this user may not use"},
        409: {"model": schemas.Problem, "description": "the send with this Idempotency-Key is still in progress (outcome unknown)"},
        413: {"model": schemas.Problem, "description": "message larger than the server's limit"},
        422: {"description": "malformed message, envelope, base64 or idempotency key"},
    },
)
def send(current: Current, request: Request, body: schemas.SendRequest) -> dict[str, Any]:
    """Deliver a composed message through the server's route and journal.

    The answer is the real outcome per recipient (accepted, or refused with the reply);
    a whole-message failure of the route is in ``error`` (``kind`` temporary, permanent or
    configuration). Checks happen before anything is sent: nothing is half-sent. Once the
    route has answered, that answer is the response: a failure to write the history or the
    journal afterwards is in ``warnings``, never a 5xx.

    With an ``Idempotency-Key`` header, a repeated key gets the stored answer
    (``replayed``) and nothing is sent again; keys are kept ``idempotency_hours``.
    """
    config = request.app.state.config
    db = request.app.state.db
    if len(body.message) > config.max_message_bytes * 4 // 3 + 4:
        raise HTTPException(413, f"the message is larger than {config.max_message_bytes} bytes, this server's limit")
    try:
        raw = base64.b64decode(body.message, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, "message is not valid base64 (standard alphabet, padded)") from None
    if len(raw) > config.max_message_bytes:
        raise HTTPException(413, f"the message is {len(raw)} bytes, over this server's limit of {config.max_message_bytes}")
    if len(body.recipients) > config.max_recipients:
        raise HTTPException(422, f"{len(body.recipients)} recipients, over this server's limit of {config.max_recipients}")
    try:
        sender = check_address(body.sender, "sender")
        recipients = tuple(dict.fromkeys(check_address(r, "recipient") for r in body.recipients))
        check_text(body.document, "document")
        check_text(body.subject, "subject")
        header_subject, message_id = check_message(raw)
        subject = body.subject or header_subject
    except MessageRejected as exc:
        raise HTTPException(422, str(exc)) from None
    key = _key(request)
    check_identity(request, current.user, sender, raw)
    fingerprint = _fingerprint(raw, sender, recipients)
    if key:
        try:
            found = db.claim_key(current.user, key, fingerprint, keep_seconds=config.idempotency_hours * 3600)
        except SQLAlchemyError as exc:
            log.error("cannot record idempotency key: %s", exc.__class__.__name__)
            raise HTTPException(503, "the server's database is unavailable: nothing was sent; try again later") from None
        if found is not None:
            log.info("send by %s: key already known (%s), answered from the store", current.user, found.state)
            return _replay(found, fingerprint, key)
    delivery = request.app.state.deliverer.deliver(raw, Envelope(sender, recipients), subject=subject, document=body.document)
    # From here on the route has answered: that answer is the response, whatever fails next.
    outcomes = [
        {"address": r.address, "accepted": r.accepted, "code": r.code, "reply": r.reply, "temporary": r.temporary}
        for r in delivery.recipients
    ]
    error = None
    if delivery.error is not None:
        err = delivery.error
        error = {"kind": err.kind, "message": str(err), "code": err.code, "reply": err.reply or ""}
    warnings = list(delivery.notes)
    answer: dict[str, Any] = {
        "ok": delivery.ok,
        "route": delivery.route,
        "recipients": outcomes,
        "detail": delivery.detail,
        "message_id": delivery.message_id or message_id,
        "error": error,
        "idempotency_key": key,
        "replayed": False,
    }
    try:
        db.add_send(
            user=current.user,
            document=body.document,
            subject=subject[:1000],
            sender=sender,
            recipients=outcomes,
            ok=delivery.ok,
            route=delivery.route,
            message_id=delivery.message_id or message_id,
            error=str(delivery.error or ""),
            size=len(raw),
        )
    except Exception as exc:  # noqa: BLE001 - after delivery nothing may turn the outcome into a 5xx
        log.error("send by %s delivered but its history row was not written: %s: %s", current.user, exc.__class__.__name__, _first_line(exc))
        warnings.append("the server could not write this send to its history (see the server log); the outcome above is real")
    if key:
        try:
            db.finish_key(current.user, key, {**answer, "warnings": warnings})
        except Exception as exc:  # noqa: BLE001 - same: the outcome stands
            log.error("send by %s delivered but its idempotency key was not updated: %s: %s", current.user, exc.__class__.__name__, _first_line(exc))
            warnings.append("the server could not store this outcome under its idempotency key; do not send this message again")
    log.info("send by %s: %s to %d recipient(s) via %s", current.user, "ok" if delivery.ok else "failed", len(recipients), delivery.route)
    return {**answer, "warnings": warnings}


@router.get(
    "/send/{key}",
    response_model=schemas.SendStatus,
    tags=["mail"],
    responses={**UNAUTHORIZED, 404: {"model": schemas.Problem, "description": "no send with this key reached the server"}},
)
def send_status(current: Current, request: Request, key: Annotated[str, Path(min_length=1, max_length=200)]) -> dict[str, Any]:
    """What became of the send with this Idempotency-Key: ``done`` with its answer, or ``pending``.

    404 means no request with this key reached the server (within ``idempotency_hours``):
    sending it again is safe.
    """
    found = request.app.state.db.send_key(current.user, key)
    if found is None:
        raise HTTPException(404, f"no send with key {key!r} reached this server: it was not sent")
    return {"key": key, "state": found.state, "response": found.response}


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else ""


@router.get(
    "/history/{user}",
    response_model=list[schemas.HistoryItem],
    tags=["mail"],
    responses={**UNAUTHORIZED, 403: {"model": schemas.Problem}},
)
def history(
    current: Current,
    request: Request,
    user: Annotated[str, Path(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The sends ``user`` made, newest first; only that user may read them."""
    if user != current.user:
        raise HTTPException(403, "you may only read your own send history")
    return request.app.state.db.history(user, limit)
