"""`spoolview relay run|status|flush|check`: the SMTP relay service and its administration."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from viewer.errors import SpoolviewError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("relay", help="the SMTP relay service (pickup folder, listener, smart host)")
    sub = parser.add_subparsers(dest="relay_command", metavar="ACTION")
    commands = (
        ("run", "run the relay in the foreground until SIGTERM/SIGINT", _run),
        ("status", "messages per queue state, oldest message, next retry", _status),
        ("flush", "retry every deferred message now", _flush),
        ("check", "validate the configuration and try the smart host without sending", _check),
    )
    for name, text, func in commands:
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--config", dest="relay_config", metavar="RELAY_TOML",
                       help="relay configuration (default: relay.toml in the spoolview configuration folder)")
        p.set_defaults(func=func)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _config(args: argparse.Namespace):
    from viewer.relay.config import load_config

    return load_config(Path(args.relay_config) if args.relay_config else None)


def _run(args: argparse.Namespace) -> int:
    from viewer.relay.config import check_password_env
    from viewer.relay.service import RelayService, setup_logging

    config = _config(args)
    check_password_env(config)
    setup_logging(config)
    return RelayService(config).run()


def _when(t: float | None) -> str:
    if t is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _language() -> str:
    """fr or en, as every command: the interface language setting, else the locale's."""
    from viewer.cli import language

    return language()


def _status(args: argparse.Namespace) -> int:
    from viewer.messages import counted, text
    from viewer.relay.service import open_queue

    config = _config(args)
    st = open_queue(config, create=False).status()
    now = time.time()
    lang = _language()
    age = text(lang, "relay.status.age", seconds=int(now - st.oldest)) if st.oldest else ""
    rows = [
        ("queue", str(config.queue_dir)), ("incoming", str(st.incoming)), ("active", str(st.active)),
        ("deferred", str(st.deferred)), ("badmail", f"{st.badmail}  ({config.badmail_dir})"),
        ("oldest", f"{_when(st.oldest)}{age}"), ("next_retry", _when(st.next_retry)),
        ("processes", text(lang, "relay.status.running", n=st.owners)),
    ]
    labels = {key: text(lang, f"relay.status.{key}") for key, _value in rows}
    width = max(len(label) for label in labels.values())
    for key, value in rows:
        print(f"{labels[key]:<{width}} {value}")
    if st.active and not st.owners:
        print(counted(lang, "relay.status.orphans", st.active))
    return 0


def _flush(args: argparse.Namespace) -> int:
    from viewer.messages import counted
    from viewer.relay.service import open_queue

    n = open_queue(_config(args), create=False).flush()
    print(counted(_language(), "relay.flush", n))
    return 0


def _check(args: argparse.Namespace) -> int:
    from viewer.mail.routes.base import RouteError
    from viewer.messages import text
    from viewer.relay.config import check_password_env
    from viewer.relay.delivery import smarthost_route
    from viewer.relay.listener import tls_context
    from viewer.relay.service import open_queue

    config = _config(args)
    check_password_env(config)
    lang = _language()
    print(text(lang, "relay.check.config", path=config.path))
    if config.path and (config.smarthost.password or config.listener.users):
        mode = config.path.stat().st_mode & 0o777
        if mode & 0o077:
            print(text(lang, "relay.check.readable", path=config.path, mode=f"{mode:o}"))
    try:
        open_queue(config)
        probe = config.queue_dir / "tmp" / ".check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise SpoolviewError(f"queue folder {config.queue_dir}: not writable ({exc.strerror or exc}); fix its permissions",
                             msgid="relay.check.queue_not_writable",
                             params={"folder": config.queue_dir, "reason": exc.strerror or exc}) from None
    print(text(lang, "relay.check.queue", folder=config.queue_dir))
    if config.pickup.folder:
        folder = Path(config.pickup.folder)
        if not folder.is_dir():
            raise SpoolviewError(f"pickup folder {folder} does not exist: create it or fix pickup.folder",
                                 msgid="relay.check.no_pickup", params={"folder": folder})
        print(text(lang, "relay.check.pickup", folder=folder))
    if config.listener.enabled:
        tls_context(config.listener)
        networks = ", ".join(config.listener.relay_networks)
        who = ("relay.check.for_networks_users" if config.listener.users else "relay.check.for_networks") if networks \
            else ("relay.check.for_users" if config.listener.users else "relay.check.for_nobody")
        print(text(lang, "relay.check.listener", where=f"{config.listener.host}:{config.listener.port}",
                   who=text(lang, who, networks=networks)))
    sh = config.smarthost
    route = smarthost_route(config)
    try:
        route.open()
    except RouteError as exc:
        raise SpoolviewError(f"smart host {sh.host}:{sh.effective_port}: {exc}", msgid="relay.check.smarthost_failed",
                             params={"where": f"{sh.host}:{sh.effective_port}", "reason": exc}) from None
    finally:
        route.close()
    how = text(lang, "relay.check.smarthost_user", security=sh.security, user=sh.user) if sh.user else sh.security
    print(text(lang, "relay.check.smarthost", where=f"{sh.host}:{sh.effective_port}", how=how))
    return 0
