"""The HTTP side: a `ThreadingHTTPServer` speaking HTTP/1.1 (keep-alive, as clients pool
connections) in front of one `Sandbox`.

Bodies are read by `Content-Length` or chunked transfer encoding. A `slow` fault waits here,
outside the lock; a dropped connection is closed with nothing written, so the client sees the
server hang up. One line per request goes to stderr: method, path (no query string), status and
time taken — never a header value.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from connectors.net import is_loopback
from connectors.sandbox.control import MOUNT, Control
from connectors.sandbox.core import Incoming, Outcome, Sandbox
from connectors.sandbox.wire import Request, Response, json_response


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True  # a slow fault must not hold up shutdown
    allow_reuse_address = True

    def __init__(self, sandbox: Sandbox, host: str, port: int) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.sandbox = sandbox
        self.control = Control(sandbox)
        super().__init__((host, port), SandboxRequestHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        if ":" in host_text:
            host_text = f"[{host_text}]"
        return f"http://{host_text}:{port}"


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SwitchboardSandbox/1"
    server: SandboxServer
    timeout = 30  # idle keep-alive connections end after this
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: `_serve` writes its own line, without the query string."""

    def _serve(self) -> None:
        started = time.monotonic()
        split = urlsplit(self.path)
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        if split.path == MOUNT or split.path.startswith(MOUNT + "/"):
            outcome = Outcome(self._control(split.path, split.query, headers, body))
        else:
            incoming = Incoming(
                method=self.command,
                path=split.path,
                query=split.query,
                headers=headers,
                body=body,
                host=headers.get("host") or self.server.base_url.split("://", 1)[1],
            )
            outcome = self.server.sandbox.process(incoming)
        if outcome.delay:
            time.sleep(outcome.delay)
        if outcome.response is None:
            self._drop()
            status = "dropped"
        else:
            self._send(outcome.response)
            status = str(outcome.response.status)
        if self.server.sandbox.options.log:
            elapsed = (time.monotonic() - started) * 1000
            sys.stderr.write(f"{self.command} {split.path} {status} {elapsed:.0f}ms\n")

    def _control(self, path: str, query: str, headers: dict[str, str], body: bytes) -> Response:
        if not is_loopback(self.client_address[0]):
            return json_response({"error": "the control API answers loopback clients only"}, 403)
        request = Request.parse(
            self.command, path[len(MOUNT) :], query, headers, body, self.server.base_url + MOUNT
        )
        return self.server.control.handle(request)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers, up to the blank line
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", f"{response.content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a slow fault)
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def create_server(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8900, *, allow_remote: bool = False
) -> SandboxServer:
    """A bound server (not yet serving). Refuses a non-loopback host unless `allow_remote`."""
    if not allow_remote and not is_loopback(host):
        raise ValueError(
            f"refusing to bind {host}: the sandbox has fixed, public credentials; "
            "pass allow_remote (--allow-remote) to expose it anyway"
        )
    return SandboxServer(sandbox, host, port)
