"""The listener over several processes: the relay process accepts, enforces every limit, hands connections to workers.

One listening socket, in the relay process. Each connection is counted by the same
``ClientGuard`` as a single-process listener (in total, per client address), refused there
with the same ``421`` when over a cap, else passed (SCM_RIGHTS over a SOCK_SEQPACKET socket
pair) to the worker holding the fewest connections. Workers (``viewer.relay.worker``) run the
SMTP sessions and their own group commit into the shared queue, and report back closed
connections, failed logins (counted per address here, so the AUTH delay is the same whatever
worker a guesser lands on), the wait an AUTH must make (asked here) and each message made
durable (handed to delivery in this process). A worker that dies is replaced; the
connections it held are counted out; the messages it acknowledged are in ``incoming/``
(fsynced before its ``250``) and delivered like any other.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import viewer
from viewer.relay.config import RelayConfig, SmartHostConfig
from viewer.relay.guard import AUTH_DELAY_MAX, ClientGuard
from viewer.relay.listener import ListenerError, bind_error, new_event_loop, tls_context
from viewer.relay.session import TOO_MANY_CONNECTIONS, peer_ip

__all__ = ["ListenerPool"]

log = logging.getLogger("viewer.relay.listener")

START_TIMEOUT = 30.0  # seconds for the workers to come up
RESPAWN_DELAY = 1.0  # a worker that died within QUICK_DEATH of its start is replaced after this
QUICK_DEATH = 5.0
PACKET = 65536
ROOT = Path(viewer.__file__).resolve().parent.parent


class _Worker:
    """The relay process's side of one worker process."""

    def __init__(self, proc: subprocess.Popen[bytes], channel: socket.socket) -> None:
        self.proc = proc
        self.channel = channel
        self.started = time.monotonic()
        self.ready = False
        self.gone = False
        self.conns: set[int] = set()


class ListenerPool:
    """The SMTP listener as ``processes`` worker processes behind one acceptor; same interface as ``Listener``."""

    def __init__(self, config: RelayConfig, processes: int,
                 on_queued: Callable[[str, None], None] | None = None) -> None:
        lc = config.listener
        self.config = lc
        self.processes = processes
        self.on_queued = on_queued
        # The workers never talk to the smart host: they get no secret of it.
        self.worker_config = replace(config, smarthost=SmartHostConfig())
        self.secret_env = [n for n in (config.smarthost.password_env, config.smarthost.oauth_client_secret_env) if n]
        self.guard = ClientGuard(max_connections=lc.max_connections, max_per_client=lc.max_connections_per_client,
                                 auth_delay=min(lc.auth_delay, AUTH_DELAY_MAX))
        self.workers: list[_Worker] = []
        self.conns: dict[int, tuple[str, _Worker]] = {}  # connection id -> client address, worker
        self._ids = itertools.count(1)
        self.loop = new_event_loop()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._ready = threading.Event()
        self._start_failed = False
        self._stopping = False
        self._all_gone = threading.Event()
        self.replaced = 0  # workers started again after dying
        self.groups = 0  # figures the workers report when they exit (for the benchmark)
        self.messages = 0
        self.worker_cpu = 0.0

    # -- life ------------------------------------------------------------------------------
    def start(self) -> None:
        tls_context(self.config)  # a bad certificate stops the start here, with one line
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
            sock.listen(socket.SOMAXCONN)
        except OSError as exc:
            sock.close()
            raise bind_error(self.config, exc) from None
        sock.setblocking(False)
        self._sock = sock
        self._thread = threading.Thread(target=self.loop.run_forever, name="relay-acceptor", daemon=True)
        self._thread.start()
        self.loop.call_soon_threadsafe(self._start_workers)
        if not self._ready.wait(START_TIMEOUT) or self._start_failed or not all(w.ready for w in self.workers):
            self.stop(timeout=5)
            raise ListenerError(f"the SMTP listener's {self.processes} worker processes did not start "
                                f"(see relay.log); set listener.processes = 1 to run the sessions in the relay process")
        self.loop.call_soon_threadsafe(self.loop.add_reader, sock.fileno(), self._accept)
        log.info("listening on %s:%s (%d processes)", self.config.host, self.config.port, self.processes)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop accepting; the workers close idle sessions, finish the messages being received, and exit."""
        if self._thread is None or self._stopping:
            return
        self.loop.call_soon_threadsafe(self._begin_stop)
        if not self._all_gone.wait(timeout):
            for w in self.workers:
                if w.proc.poll() is None:
                    log.warning("listener worker %d did not stop in time; killing it", w.proc.pid)
                    w.proc.kill()
            self._all_gone.wait(5)
        for w in self.workers:
            try:
                w.proc.wait(5)
            except subprocess.TimeoutExpired:
                w.proc.kill()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    @property
    def pids(self) -> list[int]:
        """The live workers' process ids."""
        return [w.proc.pid for w in self.workers if not w.gone]

    # -- workers ---------------------------------------------------------------------------
    def _start_workers(self) -> None:
        try:
            for _ in range(self.processes):
                self._spawn()
        except OSError as exc:
            log.error("cannot start a listener worker process: %s", exc)
            self._start_failed = True
            self._ready.set()

    def _spawn(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        parent.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)  # never blocks this loop on a busy worker
        env = dict(os.environ)
        for name in self.secret_env:
            env.pop(name, None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        try:
            proc = subprocess.Popen([sys.executable, "-m", "viewer.relay.worker", str(child.fileno())],
                                    pass_fds=[child.fileno()], stdin=subprocess.PIPE, env=env)
        except OSError:
            parent.close()
            raise
        finally:
            child.close()
        assert proc.stdin is not None
        proc.stdin.write(pickle.dumps(self.worker_config))
        proc.stdin.close()
        worker = _Worker(proc, parent)
        self.workers.append(worker)
        parent.setblocking(False)
        self.loop.add_reader(parent.fileno(), self._readable, worker)

    def _readable(self, worker: _Worker) -> None:
        while True:
            try:
                data = worker.channel.recv(PACKET)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._worker_gone(worker)
                return
            for message in data.split(b"\n"):
                self._message(worker, message)

    def _message(self, worker: _Worker, message: bytes) -> None:
        kind, _, rest = message.partition(b" ")
        if kind == b"Q":
            if self.on_queued:
                self.on_queued(rest.decode("ascii"), None)
        elif kind == b"X":
            self._closed(worker, int(rest))
        elif kind == b"A":
            cid = int(rest)
            entry = self.conns.get(cid)
            wait = self.guard.auth_delay(entry[0]) if entry else AUTH_DELAY_MAX
            self._send(worker, b"W %d %.3f" % (cid, wait))
        elif kind == b"F":
            cid_text, count, user = rest.split(b" ", 2)
            entry = self.conns.get(int(cid_text))
            if entry:
                self.guard.failed_login(entry[0], bytes.fromhex(user.decode("ascii")).decode("utf-8", "replace"), int(count))
        elif kind == b"R":
            worker.ready = True
            if all(w.ready or w.gone for w in self.workers):
                self._ready.set()
        elif kind == b"T":
            cpu, groups, messages = rest.split()
            self.worker_cpu += float(cpu)
            self.groups += int(groups)
            self.messages += int(messages)

    def _closed(self, worker: _Worker, cid: int) -> None:
        entry = self.conns.pop(cid, None)
        worker.conns.discard(cid)
        if entry is not None:
            self.guard.release(entry[0])

    def _worker_gone(self, worker: _Worker) -> None:
        self.loop.remove_reader(worker.channel.fileno())
        worker.channel.close()
        worker.gone = True
        for cid in list(worker.conns):  # the kernel closed them with the process
            self._closed(worker, cid)
        if self._stopping:
            if all(w.gone for w in self.workers):
                self._all_gone.set()
            return
        code = worker.proc.poll()
        if code is None:
            try:
                code = worker.proc.wait(1)
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                code = worker.proc.wait()
        self.workers.remove(worker)
        if not worker.ready and not self._ready.is_set():  # died while the listener starts: start() says so
            log.error("listener worker %d exited with code %s before it was ready", worker.proc.pid, code)
            self._start_failed = True
            self._ready.set()
            return
        quick = time.monotonic() - worker.started < QUICK_DEATH
        log.error("listener worker %d exited (code %s); its connections were cut, its acknowledged messages are "
                  "queued; starting another%s", worker.proc.pid, code, f" in {RESPAWN_DELAY:.0f} s" if quick else "")
        self.replaced += 1
        self.loop.call_later(RESPAWN_DELAY if quick else 0, self._respawn)

    def _respawn(self) -> None:
        if self._stopping:
            return
        try:
            self._spawn()
        except OSError as exc:
            log.error("cannot start a listener worker process: %s; retrying in %.0f s", exc, RESPAWN_DELAY)
            self.loop.call_later(RESPAWN_DELAY, self._respawn)

    def _send(self, worker: _Worker, packet: bytes, fds: list[int] | None = None) -> bool:
        try:
            if fds:
                socket.send_fds(worker.channel, [packet], fds)
            else:
                worker.channel.send(packet)
        except OSError:
            return False
        return True

    def _begin_stop(self) -> None:
        self._stopping = True
        if self._sock is not None:
            self.loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        for w in self.workers:
            if not w.gone:
                self._send(w, b"S")
        if all(w.gone for w in self.workers):
            self._all_gone.set()

    # -- connections -----------------------------------------------------------------------
    def _accept(self) -> None:
        assert self._sock is not None
        for _ in range(64):  # then let the workers' reports in
            try:
                conn, addr = self._sock.accept()
            except BlockingIOError:
                return
            except OSError as exc:  # EMFILE and the like: pause accepting a moment
                log.error("the listener cannot accept a connection: %s", exc)
                self.loop.remove_reader(self._sock.fileno())
                self.loop.call_later(0.1, self._resume_accept, self._sock)
                return
            self._hand_over(conn, peer_ip(addr))

    def _resume_accept(self, sock: socket.socket) -> None:
        if self._sock is sock:  # not stopped meanwhile
            self.loop.add_reader(sock.fileno(), self._accept)

    def _hand_over(self, conn: socket.socket, client: str) -> None:
        refusal = self.guard.admit(client)
        if refusal is not None:
            log.warning("connection from %s refused: %s", client, refusal)
            conn.setblocking(False)
            try:
                conn.send(TOO_MANY_CONNECTIONS)
            except OSError:
                pass
            conn.close()
            return
        live = [w for w in self.workers if w.ready and not w.gone] or [w for w in self.workers if not w.gone]
        cid = next(self._ids)
        while live:
            worker = min(live, key=lambda w: len(w.conns))
            if self._send(worker, b"C %d" % cid, [conn.fileno()]):
                worker.conns.add(cid)
                self.conns[cid] = (client, worker)
                conn.close()
                return
            live.remove(worker)
        log.error("no listener worker could take the connection from %s", client)
        self.guard.release(client)
        conn.close()
