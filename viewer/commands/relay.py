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


def _status(args: argparse.Namespace) -> int:
    from viewer.relay.service import open_queue

    config = _config(args)
    st = open_queue(config, create=False).status()
    now = time.time()
    print(f"queue      {config.queue_dir}")
    print(f"incoming   {st.incoming}")
    print(f"active     {st.active}")
    print(f"deferred   {st.deferred}")
    print(f"badmail    {st.badmail}  ({config.badmail_dir})")
    age = f" ({int(now - st.oldest)} s ago)" if st.oldest else ""
    print(f"oldest     {_when(st.oldest)}{age}")
    print(f"next retry {_when(st.next_retry)}")
    print(f"processes  {st.owners} running")
    if st.active and not st.owners:
        print(f"note: the {st.active} active message(s) belong to a relay that stopped without finishing; "
              "the next `spoolview relay run` takes them back (nothing is lost)")
    return 0


def _flush(args: argparse.Namespace) -> int:
    from viewer.relay.service import open_queue

    n = open_queue(_config(args), create=False).flush()
    print(f"{n} deferred message(s) will be retried now")
    return 0


def _check(args: argparse.Namespace) -> int:
    from viewer.mail.routes.base import RouteError
    from viewer.relay.config import check_password_env
    from viewer.relay.delivery import smarthost_route
    from viewer.relay.listener import tls_context
    from viewer.relay.service import open_queue

    config = _config(args)
    check_password_env(config)
    print(f"configuration {config.path}: OK")
    if config.path and (config.smarthost.password or config.listener.users):
        mode = config.path.stat().st_mode & 0o777
        if mode & 0o077:
            print(f"warning: {config.path} holds passwords and other users may read it (mode {mode:o}): chmod 600 {config.path}")
    try:
        open_queue(config)
        probe = config.queue_dir / "tmp" / ".check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise SpoolviewError(f"queue folder {config.queue_dir}: not writable ({exc.strerror or exc}); fix its permissions") from None
    print(f"queue folder {config.queue_dir}: writable")
    if config.pickup.folder:
        folder = Path(config.pickup.folder)
        if not folder.is_dir():
            raise SpoolviewError(f"pickup folder {folder} does not exist: create it or fix pickup.folder")
        print(f"pickup folder {folder}: OK")
    if config.listener.enabled:
        tls_context(config.listener)
        print(f"listener {config.listener.host}:{config.listener.port}: relay for {', '.join(config.listener.relay_networks) or 'nobody'}"
              f"{' and authenticated users' if config.listener.users else ''}")
    sh = config.smarthost
    route = smarthost_route(config)
    try:
        route.open()
    except RouteError as exc:
        raise SpoolviewError(f"smart host {sh.host}:{sh.effective_port}: {exc}") from None
    finally:
        route.close()
    print(f"smart host {sh.host}:{sh.effective_port} ({sh.security}{', user ' + sh.user if sh.user else ''}): connected OK")
    return 0
