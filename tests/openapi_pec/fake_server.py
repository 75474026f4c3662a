"""A tiny scripted HTTP server for client tests: no sandbox logic, just the answers a test
scripts, and a record of what the client sent."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str sent as is
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    truncate: int | None = None  # send only these first bytes of the body, then close
    sleep: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    raw_path: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


def ok(data: Any, message: str = "") -> Reply:
    return Reply(200, {"data": data, "success": True, "message": message, "error": None})


def fail(status: int, message: str, error: int | None = None) -> Reply:
    return Reply(status, {"success": False, "message": message, "error": error, "data": None})


class FakeServer:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    unquote(parts.path),
                    parts.query,
                    dict(self.headers),
                    body,
                    parts.path,
                )
                with outer._lock:
                    outer.requests.append(seen)
                    script = outer.routes.get((self.command, seen.path))
                    if not script:
                        reply = fail(404, "no route scripted")
                    else:
                        reply = script.pop(0) if len(script) > 1 else script[0]
                if reply.sleep:
                    time.sleep(reply.sleep)
                if reply.drop:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if isinstance(reply.body, (dict, list)):
                    payload = json.dumps(reply.body).encode()
                    ctype = reply.content_type or "application/json"
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                    ctype = reply.content_type or "text/plain; charset=utf-8"
                else:
                    payload = reply.body or b""
                    ctype = reply.content_type or "application/octet-stream"
                self.send_response(reply.status)
                if payload or reply.status != 204:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if payload and reply.status != 204:
                    self.wfile.write(payload[: reply.truncate])
                if reply.truncate is not None:
                    self.wfile.flush()
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def script(self, method: str, path: str, *replies: Reply) -> None:
        with self._lock:
            self.routes[(method, path)] = list(replies)

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
