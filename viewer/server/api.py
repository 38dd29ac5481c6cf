"""The server's endpoints: health, login/logout, directory, send and history."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from viewer.errors import SpoolviewError
from viewer.mail.routes.base import Envelope
from viewer.server import schemas
from viewer.server.auth import RateLimited, Session, TokenInvalid
from viewer.server.checks import MessageRejected, check_address, check_message, check_text

log = logging.getLogger(__name__)
router = APIRouter()
bearer = HTTPBearer(auto_error=False, description="the token returned by POST /login")
_directory_lock = threading.Lock()

UNAUTHORIZED = {401: {"model": schemas.Problem, "description": "missing, unknown or expired token"}}
CODE = Annotated[str, Path(min_length=1, max_length=100)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def session(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Session:
    """The logged-in user of this request, or 401."""
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
    address = request.client.host if request.client else "unknown"
    try:
        got = request.app.state.auth.login(body.user, body.password, address)
    except RateLimited as exc:
        raise HTTPException(429, f"too many failed logins: wait {exc.retry_after} seconds and try again", headers={"Retry-After": str(exc.retry_after)}) from None
    if got is None:
        log.info("failed login for %r from %s", body.user[:64], address)
        raise _unauthorized("wrong user name or password")
    token, expires = got
    return {"token": token, "user": body.user, "expires_at": expires, "expires_in": max(0.0, expires - time.time())}


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


@router.post(
    "/send",
    response_model=schemas.SendResponse,
    tags=["mail"],
    responses={
        **UNAUTHORIZED,
        413: {"model": schemas.Problem, "description": "message larger than the server's limit"},
        422: {"description": "malformed message, envelope or base64"},
    },
)
def send(current: Current, request: Request, body: schemas.SendRequest) -> dict[str, Any]:
    """Deliver a composed message through the server's route and journal.

    The answer is the real outcome per recipient (accepted, or refused with the reply);
    a whole-message failure of the route is in ``error`` (``kind`` temporary, permanent or
    configuration). Checks happen before anything is sent: nothing is half-sent.
    """
    config = request.app.state.config
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
    delivery = request.app.state.deliverer.deliver(raw, Envelope(sender, recipients), subject=subject, document=body.document)
    outcomes = [
        {"address": r.address, "accepted": r.accepted, "code": r.code, "reply": r.reply, "temporary": r.temporary}
        for r in delivery.recipients
    ]
    error = None
    if delivery.error is not None:
        err = delivery.error
        error = {"kind": getattr(err, "kind", "error"), "message": str(err), "code": getattr(err, "code", None), "reply": getattr(err, "reply", "") or ""}
    request.app.state.db.add_send(
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
    log.info("send by %s: %s to %d recipient(s) via %s", current.user, "ok" if delivery.ok else "failed", len(recipients), delivery.route)
    return {
        "ok": delivery.ok,
        "route": delivery.route,
        "recipients": outcomes,
        "detail": delivery.detail,
        "message_id": delivery.message_id or message_id,
        "error": error,
    }


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
