"""A TCP proxy on loopback that forwards requests to a server and can lose its answers.

The next ``lose`` answers of the server are lost (the requests themselves are delivered),
the way ``how`` says: ``"drop"`` cuts the client's connection, ``"502"`` answers it
``502 Bad Gateway`` (a reverse proxy whose upstream timed out). Other answers pass. The
answers here are small: each arrives in one piece. Several upstreams are used in turn,
one per connection (a load balancer).
"""

from __future__ import annotations

import socket
import threading

BAD_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Gateway"


class DropProxy:
    def __init__(self, *upstreams: tuple[str, int], lose: int = 0, how: str = "drop") -> None:
        self.upstreams = list(upstreams)
        self.lose = lose
        self.how = how
        self.lost = 0  # answers the server gave that the client never got
        self._turn = 0
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(50)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> DropProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                upstream = self.upstreams[self._turn % len(self.upstreams)]
                self._turn += 1
            threading.Thread(target=self._serve, args=(client, upstream), daemon=True).start()

    def _serve(self, client: socket.socket, upstream: tuple[str, int]) -> None:
        try:
            server = socket.create_connection(upstream, timeout=60)
        except OSError:
            client.close()
            return
        threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                with self._lock:
                    losing = self.lose > 0
                    if losing:
                        self.lose -= 1
                        self.lost += 1
                if not losing:
                    client.sendall(data)
                    continue
                if self.how == "502":
                    client.sendall(BAD_GATEWAY)
                break  # "drop": the answer is thrown away and the connection cut
        except OSError:
            pass
        finally:
            for s in (client, server):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
