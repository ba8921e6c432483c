"""A tiny standard-library HTTP receiver for webhook deliveries, on a free loopback port."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.connectors.sandbox.conftest import VendorSession

SIGNING_KEY = "hc-signing-key-Ω1"
HOOK_USER, HOOK_PASSWORD = "thulium-hooks", "hook-Pa55"
BONY_TOKEN = "sandbox"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def signed_with(self, key: str) -> bool:
        expected = hmac.new(key.encode(), self.body, hashlib.sha1).hexdigest()
        return hmac.compare_digest(self.headers.get("x-helpcrunch-signature", ""), expected)

    def basic(self) -> tuple[str, str] | None:
        scheme, _, encoded = self.headers.get("authorization", "").partition(" ")
        if scheme != "Basic":
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


Answer = Callable[[Received], int]


class Receiver:
    """Records every request; answers each with the next of `statuses`, then with `answer()`
    (200 unless replaced)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: deque[int] = deque()
        self.answer: Answer = lambda _: 200
        self.base_url = ""
        self._cond = threading.Condition()

    def url(self, path: str = "/hook") -> str:
        return f"{self.base_url}{path}"

    def record(self, received: Received) -> int:
        with self._cond:
            self.requests.append(received)
            self._cond.notify_all()
            scripted = self.statuses.popleft() if self.statuses else None
        return scripted if scripted is not None else self.answer(received)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} deliveries, expected {count}")
                self._cond.wait(left)
            return list(self.requests)

    def bodies(self) -> list[Any]:
        return [r.json() for r in self.requests]


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.record(Received(self.command, self.path, headers, body))
            answer = b'{"ok": true}' if 200 <= status < 300 else b'{"ok": false}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- subscribing through the sandbox ---------------------------------------------------------


def subscribe_helpcrunch(control: VendorSession, receiver: Receiver, *events: str) -> None:
    urls = {event: receiver.url(f"/hooks/helpcrunch/{event}") for event in events}
    response = control.put("/webhooks/helpcrunch", json={"signing_key": SIGNING_KEY, "urls": urls})
    assert response.status_code == 200, response.text


def subscribe_bony(
    control: VendorSession, receiver: Receiver, *events: str, token: str = BONY_TOKEN
) -> None:
    payload = {"url": receiver.url(f"/hooks/bony/{token}"), "events": list(events)}
    response = control.put(f"/webhooks/bony/{token}", json=payload)
    assert response.status_code == 200, response.text


def subscribe_thulium(
    thulium: VendorSession,
    receiver: Receiver,
    *actions: str,
    user: str = HOOK_USER,
    password: str = HOOK_PASSWORD,
) -> dict[str, object]:
    payload: dict[str, object] = {
        "actions": list(actions),
        "subscription_url": receiver.url("/hooks/thulium"),
    }
    if user:
        payload["http_auth_user"] = user
    if password:
        payload["http_auth_password"] = password
    response = thulium.post("/webhooks", json=payload)
    assert response.status_code == 200, response.text
    created: dict[str, object] = response.json()
    return created
