"""The HTTP server under `backbrain serve`: uvicorn with the limits a server on a network needs.

uvicorn bounds a request's header block (h11's 16 KB incomplete-event limit) and idle keep-alive
connections, but it waits for headers forever: a client that sends one header byte every few
seconds holds a connection open indefinitely (slowloris). `HeaderTimeoutH11` closes a connection
whose request line and headers are not complete within HEADER_TIMEOUT_S of its first byte (or of the
connection). The socket is bound before the site is built, so a busy port is reported at once,
before anything says "Serving", as a usage error.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from backbrain.errors import UsageError

HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5
MAX_HEADER_BYTES = 16 * 1024
MAX_CONNECTIONS = 200  # beyond this, new requests get 503 instead of queueing without bound


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for each request's headers."""

    header_timeout = HEADER_TIMEOUT_S
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            self._arm_header_timer()  # a new request has begun arriving: its headers get the deadline
        else:
            self._cancel_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; a busy or unusable address is a UsageError (exit 2)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(
            f"--host {host}: {exc.strerror}.", hint="Use an address of this machine, e.g. 127.0.0.1."
        ) from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"Port {port} on {host} is already in use (another server is running there).",
                hint=f"Stop that server, or pick another port: backbrain serve --port {port + 1}",
            ) from exc
        raise UsageError(
            f"Cannot listen on {host}:{port}: {exc.strerror}.", hint="Pick another --host or --port."
        ) from exc
    sock.set_inheritable(True)
    return sock


def make_server(app: Any) -> Any:
    """The uvicorn.Server for `app` with backbrain's limits (run it with `.run(sockets=[sock])`)."""
    import uvicorn

    config = uvicorn.Config(
        app, log_level="warning", access_log=False, http=HeaderTimeoutH11, timeout_keep_alive=KEEP_ALIVE_S,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES, limit_concurrency=MAX_CONNECTIONS,
    )  # fmt: skip
    return uvicorn.Server(config)


def run(app: Any, sock: socket.socket) -> None:
    """Serve `app` on the already bound socket until interrupted."""
    make_server(app).run(sockets=[sock])
