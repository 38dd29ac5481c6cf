"""A listener worker process: SMTP sessions on the connections the relay process accepted and handed over.

Started by ``viewer.relay.acceptor`` as ``python -m viewer.relay.worker FD`` with the relay's
configuration (pickled, without the smart host's secrets) on its standard input. FD is its
end of a SOCK_SEQPACKET socket pair with the relay process. The relay process sends one
message a packet (a connection's fd travels with its ``C``); a worker sends the messages of
one turn of its event loop together, one a line:

    relay process -> worker            worker -> relay process
    C <id>   + a connection's fd       R                      ready
    W <id> <seconds>  AUTH wait        X <id>                 connection <id> closed
    S        drain and exit            F <id> <n> <user>      wrong login, n-th on the connection
                                       A <id>                 how long must AUTH on <id> wait?
                                       Q <queue id>           durable in incoming/ (answered 250)
                                       T <cpu s> <groups> <messages>   figures, just before exiting

The worker runs the same sessions (``RelaySMTP``) and group commit (``GroupCommit``) as a
single-process listener; the limits live in the relay process, which counted the connection
before handing it over. The worker stops on ``S``, on SIGTERM/SIGINT and when the socket
pair closes (the relay process died): it closes the sessions waiting for a command (421),
lets the ones inside DATA finish their message, flushes its group commit, and exits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import socket
import sys
import time

from viewer.errors import SpoolviewError
from viewer.relay.config import RelayConfig
from viewer.relay.guard import AUTH_DELAY_MAX
from viewer.relay.listener import RelayHandler, new_event_loop, smtp_kwargs
from viewer.relay.message import Parsed
from viewer.relay.queue import Queue
from viewer.relay.session import STOPPING, RelaySMTP, Tables

__all__ = ["Worker", "main"]

log = logging.getLogger("viewer.relay.listener")

PACKET = 4096
OUT_MAX = 16384  # bytes of messages in one packet to the relay process
DRAIN_MAX = 30.0  # seconds a stopping worker waits for the messages being received


class _Link:
    """One connection's view of the limits: the relay process counted it; failures and waits are asked there."""

    def __init__(self, worker: Worker, cid: int) -> None:
        self.worker = worker
        self.cid = cid

    def admit(self, address: str) -> str | None:
        return None  # counted by the relay process before it was handed over

    def release(self, address: str) -> None:
        self.worker.closed(self.cid)

    def failed_login(self, address: str, user: str, on_connection: int) -> None:
        self.worker.send(b"F %d %d %s" % (self.cid, on_connection, user.encode("utf-8", "replace")[:256].hex().encode()))
        self.worker.flush()  # before the client reads its 535: counted before it can try elsewhere

    async def auth_wait(self, address: str) -> float:
        return await self.worker.ask_wait(self.cid)


class Worker:
    """The worker's event loop: takes connections from the relay process and serves them."""

    def __init__(self, config: RelayConfig, channel: socket.socket) -> None:
        self.config = config
        self.channel = channel
        self.queue = Queue(config.queue_dir, badmail=config.badmail_dir, lease=config.queue.lease_seconds)
        self.handler = RelayHandler(self.queue, config.listener, on_queued=self._queued)
        self.kwargs = smtp_kwargs(config)
        self.tables = Tables(RelaySMTP, self.handler)
        self.sessions: dict[int, RelaySMTP] = {}
        self.waits: dict[int, asyncio.Future[float]] = {}
        self.loop = new_event_loop()
        self.stopping: asyncio.Event | None = None
        self.parent_gone = False
        self._out: list[bytes] = []
        self.family = socket.AF_INET6 if ":" in config.listener.host else socket.AF_INET  # the acceptor's

    # -- to the relay process -------------------------------------------------------------
    def send(self, message: bytes) -> None:
        """Send ``message`` to the relay process with the others of this turn of the loop, in one packet
        (a system call costs more than the Python around it: a session's close and its queued id go together)."""
        if self.parent_gone:
            return
        self._out.append(message)
        if len(self._out) == 1:
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        """Send what waits for the end of this turn of the loop now."""
        out, self._out = self._out, []
        while out and not self.parent_gone:
            packet: list[bytes] = []
            size = 0
            while out and (not packet or size + len(out[0]) < OUT_MAX):
                size += len(out[0]) + 1
                packet.append(out.pop(0))
            try:
                self.channel.send(b"\n".join(packet))
            except BlockingIOError:  # the relay process is busy: wait for it (it always reads)
                self.channel.setblocking(True)
                try:
                    self.channel.send(b"\n".join(packet))
                except OSError:
                    self.parent_gone = True
                finally:
                    self.channel.setblocking(False)
            except OSError:  # the relay process is gone: the drain follows from the reader
                self.parent_gone = True

    def _queued(self, qid: str, parsed: Parsed) -> None:
        self.send(b"Q " + qid.encode("ascii"))

    def closed(self, cid: int) -> None:
        self.sessions.pop(cid, None)
        self.send(b"X %d" % cid)
        if self.stopping is not None and self.stopping.is_set() and not self.sessions:
            self._idle.set()

    async def ask_wait(self, cid: int) -> float:
        if self.parent_gone:
            return AUTH_DELAY_MAX
        future: asyncio.Future[float] = self.loop.create_future()
        self.waits[cid] = future
        self.send(b"A %d" % cid)
        return await future

    # -- from the relay process -----------------------------------------------------------
    def _readable(self) -> None:
        while True:
            try:
                data, fds, _flags, _addr = socket.recv_fds(self.channel, PACKET, 4)
            except BlockingIOError:
                return
            except OSError:
                data, fds = b"", []
            if not data:
                self.parent_gone = True
                self.loop.remove_reader(self.channel.fileno())
                self._stop()
                return
            kind, _, rest = data.partition(b" ")
            if kind == b"C" and fds:
                self._serve(int(rest), fds[0])
                for extra in fds[1:]:
                    os.close(extra)
                continue
            for fd in fds:  # never expected: do not leak
                os.close(fd)
            if kind == b"W":
                cid, seconds = rest.split()
                future = self.waits.pop(int(cid), None)
                if future is not None and not future.done():
                    future.set_result(float(seconds))
            elif kind == b"S":
                self._stop()

    def _serve(self, cid: int, fd: int) -> None:
        # Family and type given: socket() would ask the kernel three times. The event loop makes it non-blocking.
        sock = socket.socket(self.family, socket.SOCK_STREAM, 0, fileno=fd)
        if self.stopping is not None and self.stopping.is_set():  # handed over while stopping: the client retries later
            try:
                sock.send(STOPPING)
            except OSError:
                pass
            sock.close()
            self.send(b"X %d" % cid)
            return

        def factory() -> RelaySMTP:
            session = RelaySMTP(self.handler, guard=_Link(self, cid), auth_max_failures=self.config.listener.auth_max_failures,
                                tables=self.tables, **self.kwargs)
            self.sessions[cid] = session
            return session

        async def connect() -> None:
            try:
                await self.loop.connect_accepted_socket(factory, sock)
            except OSError:
                sock.close()
                if cid not in self.sessions:
                    self.send(b"X %d" % cid)

        self.loop.create_task(connect())

    def _stop(self) -> None:
        assert self.stopping is not None
        if self.stopping.is_set():
            return
        self.stopping.set()
        for future in self.waits.values():  # no answer will come: the longest wait, never none
            if not future.done():
                future.set_result(AUTH_DELAY_MAX)
        for session in list(self.sessions.values()):
            session.drain()
        if not self.sessions:
            self._idle.set()

    # -- life ------------------------------------------------------------------------------
    async def _main(self) -> None:
        self.stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self.channel.setblocking(False)
        self.loop.add_reader(self.channel.fileno(), self._readable)
        for signum in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(signum, self._stop)
        self.send(b"R")
        await self.stopping.wait()
        try:
            await asyncio.wait_for(self._idle.wait(), DRAIN_MAX)
        except TimeoutError:
            log.warning("listener worker %d: %d session(s) still open after %.0f s; closing them",
                        os.getpid(), len(self.sessions), DRAIN_MAX)
            for session in list(self.sessions.values()):
                if session.transport is not None:
                    session.transport.close()
            await asyncio.sleep(0)

    def run(self) -> int:
        self.handler.commit.start()
        try:
            self.loop.run_until_complete(self._main())
        finally:
            self.handler.commit.stop()  # every message handed over is durable (or failed) before exiting
        commit = self.handler.commit
        self.send(b"T %.6f %d %d" % (time.process_time(), commit.groups, commit.messages))
        self.flush()
        self.loop.close()
        return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    channel = socket.socket(fileno=int(args[0]))
    config: RelayConfig = pickle.load(sys.stdin.buffer)
    sys.stdin.close()
    os.umask(0o077)
    from viewer.relay.service import setup_logging

    try:
        setup_logging(config)
        worker = Worker(config, channel)
    except SpoolviewError as exc:  # e.g. the log folder cannot be written: one line, the relay reports the rest
        print(f"spoolview relay: listener worker {os.getpid()}: {exc}", file=sys.stderr)
        return 2
    return worker.run()


if __name__ == "__main__":
    sys.exit(main())
