"""The HTTPS client for authorization servers: certificates verified (system store plus ca_file), clock skew seen."""

from __future__ import annotations

import email.utils
import ssl
import time
from typing import Any

import httpx

from viewer.mail.credentials import CONFIGURATION, TEMPORARY, TokenError

__all__ = ["make_client", "post_token", "network_error", "clock_skew", "skew_hint", "SKEW_LIMIT"]

SKEW_LIMIT = 300.0  # seconds: beyond this the provider's tokens look expired or not yet valid here
_last_skew: dict[str, float] = {}


def _context(ca_file: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_file:
        try:
            ctx.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TokenError(f"cannot read the CA file {ca_file}: {exc}; set a PEM certificate file or clear the field", kind=CONFIGURATION) from None
    return ctx


def _note_date(response: httpx.Response) -> None:
    dates = response.headers.get_list("date")  # a server and its framework may each send one: the last is the application's
    if not dates:
        return
    date = dates[-1]
    try:
        then = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return
    _last_skew[_origin(response.url)] = time.time() - then


def _origin(url: httpx.URL) -> str:
    return f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"


def clock_skew(url: str) -> float:
    """This computer's clock minus the provider's, as seen on the last answer of ``url``'s server (0 unknown)."""
    return _last_skew.get(_origin(httpx.URL(url)), 0.0)


def skew_hint(url: str) -> str:
    """A sentence about the clock when it is more than SKEW_LIMIT off the provider's, else ""."""
    host = httpx.URL(url).host
    skew = clock_skew(url)
    if abs(skew) <= SKEW_LIMIT:
        return ""
    return (f"; this computer's clock is {abs(skew) / 60:.0f} minutes {'ahead of' if skew > 0 else 'behind'} {host}'s: "
            "set the date and time right (automatic time) and try again")


def make_client(ca_file: str | None = None, timeout: float = 30.0) -> httpx.Client:
    """An httpx client for authorization servers: verified TLS, no redirects followed, the Date header noted."""
    return httpx.Client(verify=_context(ca_file), timeout=timeout, event_hooks={"response": [_note_date]})


def post_token(client: httpx.Client, url: str, data: dict[str, str], grant: str) -> dict[str, Any]:
    """POST a token request (RFC 6749 4.1.3, 4.4.2, 6; RFC 8628 3.4); the reply, or a TokenError that says what to do."""
    from viewer.oauth.replies import explain

    try:
        response = client.post(url, data=data, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise network_error(exc, url) from None
    try:
        reply = response.json()
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        kind = TEMPORARY if response.status_code >= 500 or response.status_code == 429 else CONFIGURATION
        raise TokenError(f"the token endpoint {url} did not answer with a token (HTTP {response.status_code}, not JSON): "
                         "check the address, or try later", kind=kind)
    if "error" in reply:
        raise explain(str(reply["error"]), str(reply.get("error_description") or ""), url, grant=grant)
    if not reply.get("access_token"):
        raise TokenError(f"the token endpoint {url} answered without an access token (HTTP {response.status_code})", kind=TEMPORARY)
    return reply


def network_error(exc: Exception, url: str) -> TokenError:
    """The TokenError for a failure to reach ``url``: a certificate problem is configuration, the rest temporary."""
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(exc, ssl.SSLCertVerificationError):
        return TokenError(f"the certificate of {httpx.URL(url).host} is not trusted: set the CA file of that server "
                          "(functions.ca_file) or check the address", kind=CONFIGURATION)
    if isinstance(exc, httpx.TimeoutException):
        return TokenError(f"the token endpoint {url} did not answer in time: check the network, or try later", kind=TEMPORARY)
    return TokenError(f"the token endpoint {url} cannot be reached ({text}): check the network and the address, or try later", kind=TEMPORARY)
