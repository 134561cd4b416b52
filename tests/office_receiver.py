"""A district office's webhook receiver for tests: a real HTTP server in a thread that checks the
signature, dedupes by Idempotency-Key (as an office must) and counts every POST."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    posts: int = 0
    bad_signatures: int = 0
    keys: list[str] = field(default_factory=list)
    """The Idempotency-Key of every POST, duplicates included."""
    accepted: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """Idempotency key -> (path, body) of each distinct delivery."""


class OfficeReceiver:
    def __init__(self, secret: str, port: int = 0, status: int = 200) -> None:
        self.secret, self.port, self.status = secret, port, status
        self.received = Received()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OfficeReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.take(self.path, dict(self.headers), body)
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def take(self, path: str, headers: dict[str, str], body: bytes) -> None:
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        with self._lock:
            self.received.posts += 1
            self.received.keys.append(headers.get("Idempotency-Key", ""))
            if not hmac.compare_digest(headers.get("X-Hotline-Signature", ""), expected):
                self.received.bad_signatures += 1
                return
            if self.status < 300:
                key = headers["Idempotency-Key"]
                self.received.accepted.setdefault(key, (path, json.loads(body)))
