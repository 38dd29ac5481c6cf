"""`spoolview oauth login [--device] | status | logout`: sign in to Microsoft 365, Google or another OAuth 2.0 provider."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from viewer.errors import SpoolviewError

if TYPE_CHECKING:
    from viewer.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("oauth", help="sign in to the mail provider (OAuth 2.0) for direct SMTP")
    sub = parser.add_subparsers(dest="oauth_command", metavar="ACTION", required=True)
    p = sub.add_parser("login", help="sign in through the browser (or --device: with a code typed on another device)")
    p.add_argument("--device", action="store_true", help="device code sign-in, for a machine without a browser")
    p.add_argument("--environment", "-e", help="environment name (default: the active one)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the browser (default 300)")
    p.set_defaults(func=cmd_login)
    p = sub.add_parser("status", help="who is signed in and until when (never the token)")
    p.add_argument("--environment", "-e", help="environment name (default: the active one)")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("logout", help="revoke the sign-in where the provider can, and delete the stored tokens")
    p.add_argument("--environment", "-e", help="environment name (default: the active one)")
    p.set_defaults(func=cmd_logout)


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch)) if epoch else "unknown"


def _settings(args: argparse.Namespace) -> Settings:
    from viewer import settings as S

    settings = S.load()
    if args.environment:
        if args.environment not in settings.environments:
            raise SpoolviewError(f"unknown environment {args.environment!r}; known: {', '.join(sorted(settings.environments)) or 'none'}")
        settings.active_environment = args.environment
    if settings.functions.auth != "oauth2":
        print("note: functions.auth is \"password\"; sends use OAuth 2.0 once you run `spoolview settings set functions.auth oauth2`")
    return settings


def _error(exc: Exception) -> SpoolviewError:
    from viewer.mail.credentials import TokenError

    reply = exc.reply if isinstance(exc, TokenError) and exc.reply else ""
    return SpoolviewError(f"{exc}" + (f"\n  provider's reply: {reply}" if reply else ""))


def cmd_login(args: argparse.Namespace) -> int:
    from viewer.mail.credentials import TokenError
    from viewer.oauth.flows import DeviceCode, sign_in_browser, sign_in_device
    from viewer.oauth.providers import provider_label

    settings = _settings(args)
    label = provider_label(settings.functions.oauth_provider)

    def show(code: DeviceCode) -> None:
        print(code.message or f"To sign in to {label}, open {code.verification_uri} and enter the code {code.user_code}", flush=True)

    try:
        if args.device:
            done = sign_in_device(settings, show=show)
        else:
            print(f"Opening the browser to sign in to {label}… (waiting up to {args.timeout:g} s)", flush=True)
            done = sign_in_browser(settings, timeout=args.timeout)
    except TokenError as exc:
        raise _error(exc) from None
    print(f"signed in to {label} as {done.account or '(unknown account)'}; access until {_when(done.expires_at)}, "
          f"renewed automatically; tokens kept in the {'system keyring' if done.stored_in == 'keyring' else 'private settings file'}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from viewer.oauth.providers import provider_label
    from viewer.oauth.store import load_tokens

    settings = _settings(args)
    stored = load_tokens(settings)
    if stored is None:
        print(f"environment {settings.active_environment}: not signed in (run `spoolview oauth login`)")
        return 1
    print(f"environment {settings.active_environment}: signed in to {provider_label(stored.provider)} as {stored.account or '(unknown account)'}")
    print(f"  access token valid until {_when(stored.expires_at)}; {'renewed automatically' if stored.refresh_token else 'no refresh token: sign in again then'}")
    print(f"  signed in on {_when(stored.signed_in_at)}; client ID {stored.client_id}")
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    from viewer.oauth.flows import sign_out

    settings = _settings(args)
    print(f"environment {settings.active_environment}: {sign_out(settings)}")
    return 0
