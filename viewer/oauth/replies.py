"""An authorization server's error reply (RFC 6749 5.2, RFC 8628 3.5) as a TokenError that says what to do."""

from __future__ import annotations

from viewer.mail.credentials import CONFIGURATION, SIGN_IN, TEMPORARY, TokenError
from viewer.oauth.http import skew_hint

__all__ = ["explain", "CONSENT_REFUSED", "TIMED_OUT"]

CONSENT_REFUSED = "consent-refused"
TIMED_OUT = "timed-out"

# Microsoft Entra ID codes seen in error descriptions, with what the user should do.
_AADSTS = {
    "AADSTS90002": "the tenant does not exist: check functions.oauth_tenant (the tenant ID or domain, or organizations)",
    "AADSTS50020": "the account belongs to another tenant: sign in with an account of the configured tenant, or fix functions.oauth_tenant",
    "AADSTS500200": "the account belongs to another tenant: sign in with an account of the configured tenant, or fix functions.oauth_tenant",
    "AADSTS700016": "the application is not known in this tenant (wrong tenant or client ID): check functions.oauth_client_id and functions.oauth_tenant",
    "AADSTS7000215": "the client secret is wrong or expired: create a new one in Entra ID and update the configuration",
    "AADSTS65001": "nobody consented to the permission SMTP.Send for this application: sign in again and accept, or ask an administrator to grant it",
}


def explain(error: str, description: str, url: str, *, grant: str) -> TokenError:
    """A TokenError for an ``error`` reply of ``url`` to a ``grant`` request (refresh, client_credentials, …)."""
    reply = f"{error}: {description}".rstrip(": ") if description else error
    hint = next((text for code, text in _AADSTS.items() if code in description), "")
    skew = skew_hint(url)
    if error in ("access_denied", "authorization_declined", "consent_required"):
        return TokenError(f"the sign-in was refused (consent not given){skew}; sign in again and accept the permission", kind=CONSENT_REFUSED, reply=reply)
    if error == "expired_token":
        return TokenError("the sign-in code expired before anyone used it: sign in again", kind=TIMED_OUT, reply=reply)
    if hint:
        kind = SIGN_IN if grant in ("refresh_token", "authorization_code") and "AADSTS65001" in description else CONFIGURATION
        return TokenError(f"{hint}{skew}", kind=kind, reply=reply)
    if error == "invalid_grant":
        if grant == "refresh_token":
            return TokenError(f"the saved sign-in has expired or was revoked{skew}: sign in again", kind=SIGN_IN, reply=reply)
        return TokenError(f"the provider refused the sign-in{skew}: sign in again", kind=SIGN_IN, reply=reply)
    if error in ("invalid_client", "unauthorized_client"):
        what = "oauth_client_id and the client secret" if grant == "client_credentials" else "oauth_client_id"
        return TokenError(f"the provider does not accept this application: check {what} and the app registration (see docs/oauth.md)", kind=CONFIGURATION, reply=reply)
    if error in ("invalid_scope", "unsupported_grant_type", "invalid_request"):
        return TokenError(f"the provider refused the request ({error}): check the scope and the app registration (see docs/oauth.md){skew}", kind=CONFIGURATION, reply=reply)
    if error in ("temporarily_unavailable", "server_error", "slow_down", "authorization_pending"):
        return TokenError(f"the provider cannot issue a token now ({error}): try again later", kind=TEMPORARY, reply=reply)
    return TokenError(f"the provider refused to issue a token ({error}){skew}", kind=CONFIGURATION, reply=reply)
