"""`spoolview printer serve`: an IPP Everywhere printer (ippeveprinter) behind our listener: address, TLS, users, job size.

ippeveprinter (Debian cups-ipp-utils) answers IPP on a private loopback port and runs
``viewer.printer.ippcommand`` for each job, which writes it into the watched folder. In
front of it, this module's listener takes the clients: on the configured address and port,
with TLS when a certificate is set, HTTP Basic for ``[printer] users`` (over TLS only),
and a limit on the size of a job. It rewrites the printer's URIs to the address the
client used, and sets the job's user to the authenticated one.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import errno
import hmac
import http.client
import ipaddress
import itertools
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, BinaryIO, cast

from viewer.fsutil import private_dir
from viewer.printer import ipp
from viewer.printer.ippcommand import FOLDER_ENV
from viewer.printer.queue import PrinterError

RESOURCE = "/ipp/print"
FORMATS = "application/pdf,application/postscript"
_SBIN = Path("/usr/sbin")  # ippeveprinter lives here, off most users' PATH
_HEAD = 1 << 16  # the IPP attributes of a request must fit in its first 64 KiB
_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")
_ENGINE_START_SECONDS = 30.0
MAX_CONNECTIONS = 64  # clients at once; more are closed at once (a desktop keeps one or two)
AUTH_DELAY = 1.0  # seconds before answering a wrong password: guessing is slow


@dataclass
class ServeConfig:
    """What `printer serve` runs with (from ``[printer]`` and the command line)."""

    folder: Path
    port: int = 8631
    listen: str = "127.0.0.1"
    name: str = "spoolview"
    users: dict[str, str] = field(default_factory=dict)  # user -> password; never printed
    tls_cert: str = ""
    tls_key: str = ""
    max_job_mb: float = 50.0

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert)

    @property
    def max_job_bytes(self) -> int:
        return int(self.max_job_mb * 1024 * 1024)


def check_config(config: ServeConfig) -> None:
    """PrinterError for a setting that cannot work: users without TLS, half a certificate, a bad port or address."""
    if bool(config.tls_cert) != bool(config.tls_key):
        raise PrinterError("[printer] tls_cert and tls_key go together: set both (PEM certificate and its private key)")
    for path in (config.tls_cert, config.tls_key):
        if path and not Path(path).expanduser().is_file():
            raise PrinterError(f"[printer] TLS file {path} does not exist")
    if config.users and not config.tls:
        raise PrinterError("[printer] users needs tls_cert and tls_key: a password never crosses the network "
                           "unencrypted (set both, or empty users to let anyone on the network print)")
    missing = sorted(user for user, password in config.users.items() if not password)
    if missing:
        raise PrinterError(f"no password for printer user(s) {', '.join(missing)}: "
                           f"run `spoolview printer password {missing[0]}`")
    if not 0 <= config.port <= 65535:
        raise PrinterError(f"[printer] port {config.port} is not a port number (0-65535; 0: any free port)")
    if config.max_job_mb <= 0:
        raise PrinterError(f"[printer] max_job_mb must be more than 0, not {config.max_job_mb}")
    if not config.name.strip() or len(config.name) > 63:
        raise PrinterError("[printer] name must be 1 to 63 characters (it is the printer's name on the network)")


def _tool(name: str, package: str) -> str:
    found = shutil.which(name) or (str(_SBIN / name) if (_SBIN / name).is_file() else None)
    if found is None:
        raise PrinterError(f"{name} not found: install it (sudo apt-get install {package})")
    return found


def _die_with_parent() -> None:
    """In the child before exec: be stopped (SIGTERM) when spoolview dies, even by SIGKILL (Linux prctl)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + _ENGINE_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
            raise PrinterError(f"{what} stopped at once: {tail[-1] if tail else f'exit status {proc.returncode}'}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise PrinterError(f"{what} did not answer on 127.0.0.1:{port} within {_ENGINE_START_SECONDS:.0f} s")


class Engine:
    """ippeveprinter on a private loopback port, with a private D-Bus bus (its DNS-SD is off: we advertise)."""

    def __init__(self, config: ServeConfig, runtime: Path) -> None:
        self.config = config
        self.runtime = runtime
        self.port = 0
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log = runtime / "ippeveprinter.log"

    def start(self) -> None:
        ippeveprinter = _tool("ippeveprinter", "cups-ipp-utils")
        dbus = _tool("dbus-daemon", "dbus-daemon")
        spool = private_dir(self.runtime / "spool")
        command = self.runtime / "job-command"
        package_root = Path(__file__).resolve().parents[2]
        command.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(package_root)!r})\n"
                           "from viewer.printer.ippcommand import main\nsys.exit(main(sys.argv))\n", encoding="utf-8")
        command.chmod(0o700)
        # ippeveprinter always opens an Avahi client on the system D-Bus (even with -r off) and
        # exits when there is no bus: give it a private one, so it runs on a server without D-Bus too.
        bus = self.runtime / "bus"
        bus_log = self.runtime / "dbus.log"
        with open(bus_log, "wb") as out:
            bus_proc = subprocess.Popen([dbus, "--session", "--nofork", "--nopidfile", f"--address=unix:path={bus}"],
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=out, preexec_fn=_die_with_parent)
        self.procs.append(bus_proc)
        deadline = time.monotonic() + _ENGINE_START_SECONDS
        while not bus.exists():
            if bus_proc.poll() is not None or time.monotonic() > deadline:
                said = [ln for ln in bus_log.read_text(errors="replace").splitlines() if ln.strip()]
                raise PrinterError(f"dbus-daemon (the private bus of ippeveprinter) did not start: "
                                   f"{said[-1] if said else f'exit status {bus_proc.poll()}'}")
            time.sleep(0.02)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={bus}", **{FOLDER_ENV: str(self.config.folder)})
        self.port = _free_loopback_port()
        args = [ippeveprinter, "-n", "localhost", "-p", str(self.port), "-r", "off", "-c", str(command),
                "-d", str(spool), "-f", FORMATS, "-M", "spoolview", "-m", "Document printer", "-s", "60,60",
                "--no-web-forms", "-v", self.config.name]
        with open(self.log, "wb") as log:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, preexec_fn=_die_with_parent)
        self.procs.append(proc)
        _wait_port(self.port, proc, "ippeveprinter", self.log)

    def running(self) -> bool:
        return all(proc.poll() is None for proc in self.procs)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()


def _read_body(handler: BaseHTTPRequestHandler, limit: int, out: IO[bytes]) -> bool:
    """Copy the request body into ``out``; False (and stop reading) once it passes ``limit`` bytes."""
    rfile, total = cast(BinaryIO, handler.rfile), 0
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        while True:
            line = rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise ValueError("bad chunk size") from None
            if size == 0:
                while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return True
            total += size
            if total > limit:
                return False
            _copy(rfile, out, size)
            rfile.readline(16)
    length = int(handler.headers.get("Content-Length", "0") or 0)
    if length > limit:
        return False
    _copy(rfile, out, length)
    return True


def _copy(rfile: BinaryIO, out: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = rfile.read(min(size, 1 << 16))
        if not chunk:
            raise ValueError("connection closed in the middle of the request")
        out.write(chunk)
        size -= len(chunk)


class Front(ThreadingHTTPServer):
    """The listener the clients reach: TLS, Basic authentication, size limit, URI rewriting."""

    daemon_threads = True

    def __init__(self, config: ServeConfig, engine: Engine, runtime: Path) -> None:
        self.config = config
        self.engine = engine
        self.runtime = runtime
        host = config.listen.strip("[]")
        try:
            self.address_family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        except ValueError:
            self.address_family = socket.AF_INET
        try:
            super().__init__((host, config.port), Handler)
        except OSError as exc:
            where = f"{config.listen} port {config.port}"
            if exc.errno == errno.EADDRINUSE:
                raise PrinterError(f"port {config.port} on {config.listen} is already in use (another printer server?): "
                                   "choose another with --port or [printer] port") from None
            if exc.errno == errno.EACCES:
                raise PrinterError(f"not allowed to listen on {where}: ports below 1024 need root; use 8631 "
                                   "(--port or [printer] port)") from None
            if exc.errno in (errno.EADDRNOTAVAIL, socket.EAI_NONAME) or isinstance(exc, socket.gaierror):
                raise PrinterError(f"cannot listen on {config.listen}: not an address of this computer "
                                   "([printer] listen, --listen)") from None
            raise PrinterError(f"cannot listen on {where}: {exc.strerror or exc}") from None
        self.port = int(self.server_address[1])
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        if config.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            try:
                context.load_cert_chain(Path(config.tls_cert).expanduser(), Path(config.tls_key).expanduser())
            except (OSError, ssl.SSLError) as exc:
                self.server_close()
                raise PrinterError(f"cannot load the TLS certificate {config.tls_cert} / key {config.tls_key}: {exc}") from None
            self.context: ssl.SSLContext | None = context
        else:
            self.context = None

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: object) -> None:
        if not self.slots.acquire(blocking=False):
            sys.stderr.write(f"{client_address[0] if isinstance(client_address, tuple) else client_address} refused: "
                             f"already {MAX_CONNECTIONS} connections\n")
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: socket.socket | tuple[bytes, socket.socket], client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: object, client_address: object) -> None:
        """One line in the log for a client that broke off (TLS refused, connection reset): never a traceback."""
        error = sys.exc_info()[1]
        host = client_address[0] if isinstance(client_address, tuple) else client_address
        sys.stderr.write(f"{host} connection dropped: {error.__class__.__name__}: {error}\n")

    def get_request(self) -> tuple[socket.socket, object]:
        conn, addr = self.socket.accept()
        if self.context is not None:
            conn.settimeout(30)
            conn = self.context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    def uri_base(self, host_header: str) -> tuple[str, str]:
        """The (scheme family, authority) clients see: the Host they used when it is a plain host[:port]."""
        authority = host_header if _HOST_RE.match(host_header or "") else ""
        if not authority:
            host = self.config.listen
            if host in ("0.0.0.0", "::", ""):  # every network: the name the others know this computer by
                host = socket.gethostname()
            authority = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        elif ":" not in authority.rsplit("]", 1)[-1]:
            authority = f"{authority}:{self.port}"
        return ("s" if self.context is not None else ""), authority


class Handler(BaseHTTPRequestHandler):
    """One client connection: requests checked here, answered by the engine."""

    server: Front
    protocol_version = "HTTP/1.1"
    server_version = "spoolview-ipp"
    timeout = 60

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.request.close()
                raise ConnectionAbortedError("TLS handshake failed") from None
        super().setup()

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _user(self) -> str | None:
        """The authenticated user, "" without users configured, None when the credentials are missing or wrong."""
        users = self.server.config.users
        if not users:
            return ""
        value = self.headers.get("Authorization", "")
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        expected = users.get(user)
        if expected is None or not _same_password(password, expected):
            self.log_message("authentication failed for user %r", user)
            time.sleep(AUTH_DELAY)
            return None
        return user

    def _send(self, status: int, body: bytes, content_type: str = "application/ipp", extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _unauthorized(self) -> None:
        realm = self.server.config.name.replace('"', "")
        self._send(401, b"", "text/plain", {"WWW-Authenticate": f'Basic realm="{realm}"'})

    def do_GET(self) -> None:
        if self.path.split("?")[0] not in ("/icon.png", "/icon-sm.png", "/icon-lg.png") and self._user() is None:
            self._unauthorized()
            return
        self._forward("GET", None, self.headers.get("Host", ""))

    def do_POST(self) -> None:
        config = self.server.config
        if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/ipp":
            self.close_connection = True
            self._send(400, b"IPP requests only (Content-Type: application/ipp)\n", "text/plain")
            return
        with tempfile.SpooledTemporaryFile(max_size=1 << 20, dir=str(self.server.runtime)) as body:
            try:
                complete = _read_body(self, config.max_job_bytes + _HEAD, body)
            except (ValueError, OSError):
                self.close_connection = True
                return
            body.seek(0)
            head = body.read(_HEAD)
            try:
                request, data_at = ipp.decode(head)
            except ipp.IppError as exc:
                self.close_connection = True
                self._send(400, f"not an IPP request: {exc}\n".encode(), "text/plain")
                return
            body.seek(0, os.SEEK_END)
            if not complete or body.tell() - data_at > config.max_job_bytes:
                self.close_connection = True
                self.log_message("job refused: larger than %s MB", f"{config.max_job_mb:g}")
                self._send(200, ipp.answer(request, ipp.STATUS_TOO_LARGE,
                                           f"the document is larger than this printer's limit of {config.max_job_mb:g} MB"))
                return
            user = self._user()
            if user is None and request.code != ipp.OP_GET_PRINTER_ATTRIBUTES:
                self._unauthorized()
                return
            if user:  # the job belongs to who signed in, whatever name the client put in the request
                ipp.set_value(request, ipp.OPERATION_TAG, ipp.TAG_NAME, "requesting-user-name", user)
            size = body.tell() - data_at
            body.seek(data_at)
            head = ipp.encode(request)
            document = iter(lambda: body.read(1 << 16), b"")  # streamed from the spool file, never whole in memory
            self._forward("POST", itertools.chain([head], document), self.headers.get("Host", ""), len(head) + size)

    def _forward(self, method: str, payload: Iterable[bytes] | None, host_header: str, length: int = 0) -> None:
        engine = self.server.engine
        conn = http.client.HTTPConnection("127.0.0.1", engine.port, timeout=120)
        try:
            headers = {"Host": f"localhost:{engine.port}"}
            if method == "POST":
                headers["Content-Type"] = "application/ipp"
                headers["Content-Length"] = str(length)
            conn.request(method, self.path, body=payload, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            status, content_type = reply.status, reply.getheader("Content-Type", "application/octet-stream")
        except (OSError, http.client.HTTPException) as exc:
            self.log_message("the IPP engine did not answer: %s", exc)
            self.close_connection = True
            self._send(503, b"the printer is not available\n", "text/plain")
            return
        finally:
            conn.close()
        if content_type.startswith("application/ipp"):
            try:
                message, _ = ipp.decode(data)
                self._rewrite(message, host_header)
                data = ipp.encode(message)
            except ipp.IppError:
                pass
        self._send(status, data, content_type)

    def _rewrite(self, message: ipp.Message, host_header: str) -> None:
        """The engine's URIs (localhost:PRIVATE) become the ones the client reaches; security and authentication as we offer them."""
        secure, authority = self.server.uri_base(host_header)
        private = f"localhost:{self.server.engine.port}"
        config = self.server.config
        pattern = re.compile(r"^(ipps?|https?)://" + re.escape(private))
        kept: list[ipp.Attribute] = []
        previous = ""
        for attr in message.attributes:
            name = attr.name or previous
            previous = name
            if name in ("printer-uri-supported", "uri-security-supported", "uri-authentication-supported") and not attr.name:
                continue  # one URI: ours
            if name == "uri-security-supported":
                attr.value = b"tls" if secure else b"none"
            elif name == "uri-authentication-supported":
                attr.value = b"basic" if config.users else b"requesting-user-name"
            elif attr.tag == ipp.TAG_URI:
                text = attr.value.decode("utf-8", "replace")
                match = pattern.match(text)
                if match:
                    scheme = ("ipp" if match.group(1).startswith("ipp") else "http") + secure
                    attr.value = f"{scheme}://{authority}{text[match.end():]}".encode()
            kept.append(attr)
        message.attributes = kept


class PrinterServer:
    """The whole printer: the engine, the listener and the DNS-SD advertisement; ``start()``, ``serve_forever()``, ``stop()``."""

    def __init__(self, config: ServeConfig) -> None:
        check_config(config)
        self.config = config
        self.runtime = Path(tempfile.mkdtemp(prefix="spoolview-ipp-"))  # 0700
        self.engine = Engine(config, self.runtime)
        self.front: Front | None = None
        self.advert: subprocess.Popen[bytes] | None = None
        self.dnssd = ""

    @property
    def uri(self) -> str:
        assert self.front is not None
        _, authority = self.front.uri_base("")
        return f"ipp{'s' if self.config.tls else ''}://{authority}{RESOURCE}"

    def start(self) -> None:
        try:
            private_dir(self.config.folder)
            self.front = Front(self.config, self.engine, self.runtime)  # the port first: its error is the useful one
            self.engine.start()
            self.dnssd = self._advertise()
        except BaseException:
            self.stop()
            raise

    def _advertise(self) -> str:
        """Publish the printer with avahi-publish when Avahi runs; a sentence saying what was done."""
        assert self.front is not None
        tool = shutil.which("avahi-publish")
        if tool is None:
            return "not advertised by DNS-SD (avahi-publish not found: sudo apt-get install avahi-utils avahi-daemon)"
        if self.config.listen in ("127.0.0.1", "::1", "localhost"):
            return "not advertised by DNS-SD (it listens on loopback only)"
        service = "_ipps._tcp" if self.config.tls else "_ipp._tcp"
        txt = ["txtvers=1", "qtotal=1", f"rp={RESOURCE.lstrip('/')}", f"ty={self.config.name}", f"pdl={FORMATS}",
               "Color=T", "Duplex=F", "kind=document", "product=(spoolview)", "note=spoolview"]
        if self.config.tls:
            txt.append("TLS=1.2")
        if self.config.users:
            txt.append("air=username,password")
        args = [tool, "-s", "--subtype", f"_print._sub.{service}", self.config.name, service, str(self.front.port), *txt]
        self.advert = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        if self.advert.poll() is not None:
            out = (self.advert.stdout.read() if self.advert.stdout else b"").decode(errors="replace").strip()
            self.advert = None
            return f"not advertised by DNS-SD (Avahi: {out.splitlines()[-1] if out else 'failed'}; is avahi-daemon running?)"
        return f"advertised by DNS-SD as {self.config.name!r} ({service})"

    def serve_forever(self) -> None:
        assert self.front is not None
        watcher = threading.Thread(target=self._watch_engine, daemon=True)
        watcher.start()
        self.front.serve_forever(poll_interval=0.2)

    def _watch_engine(self) -> None:
        while self.front is not None:
            if not self.engine.running():
                lines = [ln for ln in self.engine.log.read_text(errors="replace").splitlines() if ln.strip()]
                codes = ", ".join(str(proc.returncode) for proc in self.engine.procs if proc.returncode is not None)
                sys.stderr.write(f"the IPP engine (ippeveprinter) stopped (exit status {codes}); its last words: "
                                 f"{lines[-1] if lines else '(none)'}\n")
                self.front.shutdown()
                return
            time.sleep(0.5)

    def stop(self) -> None:
        if self.advert is not None and self.advert.poll() is None:
            self.advert.terminate()
            self.advert.wait(timeout=10)
        self.engine.stop()
        front, self.front = self.front, None
        if front is not None:
            front.server_close()
        shutil.rmtree(self.runtime, ignore_errors=True)


def run(config: ServeConfig) -> int:
    """Run the printer until SIGTERM/SIGINT; the exit status."""
    server = PrinterServer(config)
    server.start()
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()
        front = server.front
        if front is not None:
            threading.Thread(target=front.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"printer {config.name!r} ready at {server.uri}", flush=True)
    print(f"jobs go to {config.folder} (watch it: spoolview watch {config.folder})", flush=True)
    who = f"users {', '.join(sorted(config.users))} (HTTP Basic over TLS)" if config.users else "anyone who reaches the port"
    print(f"who may print: {who}; largest job {config.max_job_mb:g} MB; {server.dnssd}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.stop()
    return 0 if stop.is_set() else 1


def _same_password(given: str, expected: str) -> bool:
    """Constant-time: the SASLprep forms (RFC 4013: "é" precomposed or decomposed, a no-break space, are one
    password) are equal, or the texts as they are (a password SASLprep refuses, stored before it was checked)."""
    from viewer.saslprep import SaslprepError, saslprep

    try:
        same = hmac.compare_digest(saslprep(given).encode(), saslprep(expected).encode())
    except SaslprepError:
        same = False
    return hmac.compare_digest(given.encode(), expected.encode()) or same
