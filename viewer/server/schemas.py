"""Request and response bodies of the server's HTTP API (pydantic; they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

AddressType = Literal["EMAIL", "EMAIL2", "FAX", "FAX2"]


class Problem(BaseModel):
    """Every 4xx answer: ``detail`` says what is wrong and what to do."""

    detail: str


class Health(BaseModel):
    status: Literal["ok", "unavailable"]


class LoginRequest(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    token: str = Field(description="bearer token: send it as `Authorization: Bearer <token>`")
    user: str
    expires_at: float = Field(description="Unix time after which the token is refused")
    expires_in: float = Field(description="seconds until then")


class SendRequest(BaseModel):
    """A message composed by the viewer, posted as is.

    ``message`` is the RFC 5322 message (headers, blank line, body) in standard base64; the
    server delivers exactly these bytes (its route may add trace headers). ``sender`` and
    ``recipients`` are the SMTP envelope (Bcc recipients appear only here).
    """

    message: str = Field(description="the raw RFC 5322 message, base64 (standard alphabet, padded)")
    sender: str = Field(max_length=320, description="envelope reverse-path (MAIL FROM)")
    recipients: list[str] = Field(min_length=1, description="envelope forward-paths (RCPT TO)")
    document: str = Field("", max_length=500, description="document label for the journal and history")
    subject: str = Field("", max_length=1000, description="subject for the journal (default: the message's Subject)")


class RecipientOutcome(BaseModel):
    address: str
    accepted: bool
    code: int | None = None
    reply: str = ""
    temporary: bool = False


class RouteErrorInfo(BaseModel):
    kind: Literal["temporary", "permanent", "configuration", "error"]
    message: str
    code: int | None = None
    reply: str = ""


class SendResponse(BaseModel):
    """The real outcome: ``ok`` only when every recipient was accepted."""

    ok: bool
    route: str
    recipients: list[RecipientOutcome]
    detail: str = ""
    message_id: str = ""
    error: RouteErrorInfo | None = None
    warnings: list[str] = Field(default_factory=list, description="what failed after delivery (history, journal, copies); the outcome stands")
    idempotency_key: str = Field("", description="the Idempotency-Key header of the request, if any")
    replayed: bool = Field(False, description="true when this answer is the stored one of an earlier request with the same key")


class SendStatus(BaseModel):
    """GET /send/{key}: ``done`` with the answer given, or ``pending`` (the outcome is not known yet)."""

    key: str
    state: Literal["pending", "done"]
    response: SendResponse | None = None


class Me(BaseModel):
    user: str
    identities: list[str] = Field(description="From addresses this user may send as; the first is the server's own")
    email: str = Field("", description="the user's own address, allowed in Reply-To")


class HistoryItem(BaseModel):
    id: int
    at: float
    document: str
    subject: str
    sender: str
    recipients: list[RecipientOutcome]
    ok: bool
    route: str
    message_id: str
    error: str
    size: int


class DocInfoModel(BaseModel):
    kind: str = Field("", max_length=200)
    number: str = Field("", max_length=200)
    date: str = Field("", max_length=200)
    customer: str = Field("", max_length=200)
    contact: str = Field("", max_length=200)
    language: str = Field("", max_length=20)
    title: str = Field("", max_length=500)
    mail_subject: str = Field("", max_length=1000)
    mail_body: str = Field("", max_length=100_000)
    mail_to: str = Field("", max_length=1000)


class LookupRequest(BaseModel):
    info: DocInfoModel
    address_type: AddressType = "EMAIL"


class LookupResponse(BaseModel):
    address: str = ""
    name: str = ""
    source: str = ""
    customer_code: str = ""
    contact_code: str = ""
    message: str = ""
    found: bool = False
    address_type: str = "EMAIL"


DirectoryRecord = dict[str, Any]
