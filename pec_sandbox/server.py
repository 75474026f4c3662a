"""HTTP layer of the sandbox: routing, Bearer/Basic auth, envelope, faults, control endpoints.

PEC paths (pec.openapi.json), the Company API paths used (company.openapi.json) and the OAuth
v2 paths we use (POST /tokens, GET /wallet, GET /wallet/transactions) share one port (the
routing table is routes.py).  ``/_sandbox/*`` is the control API (loopback only, no auth, never
subject to faults).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import random
import re
import socket
import threading
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .callbacks import CallbackSender
from .common import ApiError
from .faults import UNAVAILABLE, Faults
from .routes import ROUTES, Route
from .state import Sandbox, scope_allows

logger = logging.getLogger("pec_sandbox")


def _envelope(data: Any = None, *, message: str = "", error: int | None = None, ok=True):
    return {"data": data, "success": ok, "message": message, "error": error}


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, sandbox: Sandbox):
        self.sandbox = sandbox
        self.faults = Faults()
        self.calls: list[dict[str, Any]] = []
        self.calls_total = 0  # every request ever recorded (the log keeps the last 5,000)
        self.calls_lock = threading.Lock()
        self.random = random.Random()  # noqa: S311 - fault dice, not crypto
        self.callbacks = CallbackSender()
        sandbox.on_change = self.callbacks.enqueue
        self._ticking = True
        threading.Thread(target=self._tick, name="sandbox-tick", daemon=True).start()
        super().__init__(address, Handler)

    def _tick(self) -> None:
        """Time-based transitions happen on time (and their callbacks leave) even when nobody
        calls the API."""
        while self._ticking:
            time.sleep(0.1)
            try:
                self.sandbox.tick()
            except Exception:
                logger.exception("sandbox: tick failed")

    def server_close(self) -> None:
        self._ticking = False
        self.callbacks.stop()
        super().server_close()

    def record(self, entry: dict[str, Any]) -> None:
        with self.calls_lock:
            self.calls.append(entry)
            self.calls_total += 1
            del self.calls[:-5000]

    def roll(self, method: str, path: str) -> str | None:
        """Which fault (if any) hits this request."""
        with self.calls_lock:
            f = self.faults
            if not f.applies(method, path):
                return None
            for kind in ("error", "timeout", "lost"):
                if getattr(f, f"{kind}_next") > 0:
                    setattr(f, f"{kind}_next", getattr(f, f"{kind}_next") - 1)
                    return kind
            for kind in ("error", "timeout", "lost"):
                rate = getattr(f, f"{kind}_rate")
                if rate > 0 and self.random.random() < rate:
                    return kind
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SandboxServer
    server_version = "pec-sandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request is logged by _dispatch, without headers or bodies

    def do_GET(self):
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    # ------------------------------------------------------------------ plumbing

    def _dispatch(self) -> None:
        started = time.monotonic()
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self._query = parts.query
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._status = 0
        self._recorded = path.startswith("/_sandbox/")  # control calls are not API calls
        self._path, self._fault = path, None
        fault = None
        try:
            if path.startswith("/_sandbox/"):
                self._control(path, raw)
            else:
                fault = self._fault = self.server.roll(self.command, path)
                if self.server.faults.latency:
                    time.sleep(self.server.faults.latency)
                if fault == "error":
                    headers = {}
                    if self.server.faults.retry_after is not None:
                        headers["Retry-After"] = f"{self.server.faults.retry_after:g}"
                    self._send_json(503, UNAVAILABLE, headers)
                else:
                    if fault == "timeout":
                        time.sleep(self.server.faults.timeout_seconds)
                    self._api(path, query, raw, lost=fault == "lost")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            logger.exception("sandbox: internal error on %s %s", self.command, path)
            with contextlib.suppress(OSError):
                self._send_json(500, _envelope(None, message="internal error", ok=False))
        finally:
            elapsed = (time.monotonic() - started) * 1000
            self._record()
            logger.info(
                "%s %s -> %s%s (%.0f ms)",
                self.command,
                path,
                self._status or "-",
                f" [fault {fault}]" if fault else "",
                elapsed,
            )

    def _record(self) -> None:
        """The call in the log, once, before the client can see its answer: a test that counts
        calls right after its request returns sees this one."""
        if self._recorded:
            return
        self._recorded = True
        self.server.record(
            {
                "method": self.command,
                "path": self._path,
                "status": self._status,
                "fault": self._fault,
                "time": time.time(),
            }
        )

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self._status = status
        self._record()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(0 if status == 204 else len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if status != 204 and body:
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: dict | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _drop(self) -> None:
        """Performed, but the answer is lost: close without a byte."""
        self._status = -1
        self._record()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _json_body(self, raw: bytes) -> Any:
        if not raw:
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(406, "invalid JSON body", None) from None

    # ------------------------------------------------------------------ auth

    def _basic_ok(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, key = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return bool(user) and key == self.server.sandbox.apikey

    def _bearer_scopes(self) -> list[str] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return self.server.sandbox.token_scopes(header[7:].strip())

    def _authorize(self, route: Route, path: str) -> None:
        if route.auth == "basic-only":
            if not self._basic_ok():
                raise ApiError(401, "Authorization is not valid or empty", None)
            return
        if route.auth == "basic":
            if self._basic_ok() or self._bearer_scopes() is not None:
                return
            raise ApiError(401, "Authorization is not valid or empty", None)
        scopes = self._bearer_scopes()
        if scopes is None:
            raise ApiError(401, "Authorization is not valid or empty", None)
        segment = path.strip("/").split("/", 1)[0]
        if not scope_allows(scopes, self.command, route.host, segment):
            raise ApiError(403, f"scope {self.command}:{route.host}/{segment} required")

    # ------------------------------------------------------------------ API

    def _api(self, path: str, query: dict[str, str], raw: bytes, lost: bool) -> None:
        sandbox = self.server.sandbox
        matched = None
        for route in ROUTES:
            m = route.regex.match(path)
            if m and route.method == self.command:
                matched = (route, m.groupdict())
                break
        if matched is None:
            allowed = any(r.regex.match(path) for r in ROUTES)
            status = 405 if allowed else 404
            self._send_json(
                status,
                _envelope(
                    None, message="Not Found" if status == 404 else "Method Not Allowed", ok=False
                ),
            )
            return
        route, params = matched
        ident = params.get("id", "")
        try:
            self._authorize(route, path)
            body = self._json_body(raw)
            name = route.name
            status, data, message, binary = 200, None, "", None
            if route.takes is not None:
                parts = {"id": ident, "body": body, "anni": query.get("anni")}
                data = getattr(sandbox, name)(*(parts[part] for part in route.takes))
            elif name == "domini_pec":
                status, result = sandbox.domini_pec(params["dominio"])
                if result:
                    data, message = result
            elif name == "domini_pec_empty":
                sandbox.domini_pec("")
            elif name == "verifica_pec":
                data = {"available": sandbox.verifica_pec(params["pec"])}
            elif name == "modulo_attivazione":
                binary = sandbox.modulo(ident, "attivazione")
            elif name == "modulo_conservazione":
                binary = sandbox.modulo(ident, "conservazione")
            elif name == "procura":
                binary = sandbox.procura(ident)
            elif name == "mint_token":
                if lost:
                    sandbox.mint_token(body)
                    self._drop()
                    return
                self._send_json(200, sandbox.mint_token(body))  # TokenDetail, top level
                return
            elif name in ("IT-pec", "IT-closed", "IT-advanced", "IT-stakeholders"):
                data = sandbox.company_lookup(name, params["code"])
                status = 200 if data is not None else 204
            elif name in ("list_monitors", "create_monitor"):
                data = (
                    sandbox.list_monitors()
                    if name == "list_monitors"
                    else sandbox.create_monitor(body)
                )
            elif name == "get_monitor":  # "?callback" (no value): the test-environment check
                simulate = "callback" in parse_qs(self._query, keep_blank_values=True)
                data = sandbox.get_monitor(ident, simulate=simulate)
            elif name == "delete_monitor":
                data, message = [], sandbox.delete_monitor(ident)
            elif name == "wallet_transactions":
                data = sandbox.transactions(
                    int(query.get("skip") or 0), int(query.get("limit") or 100)
                )
        except ApiError as exc:
            if lost:
                self._drop()
                return
            if exc.plain:
                self._send(exc.status, exc.message.encode(), "text/plain; charset=utf-8")
            else:
                self._send_json(
                    exc.status, _envelope(None, message=exc.message, error=exc.error, ok=False)
                )
            return
        if lost:
            self._drop()
            return
        if binary is not None:
            self._send(200, binary, "application/pdf")
        elif status == 204:
            self._send(204, b"", "application/json")
        else:
            self._send_json(status, _envelope(data, message=message))

    # ------------------------------------------------------------------ control

    def _control(self, path: str, raw: bytes) -> None:
        if self.client_address[0] not in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
            self._send_json(403, {"error": "loopback only"})
            return
        sandbox = self.server.sandbox
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self._send_json(400, {"error": "invalid JSON"})
            return
        method = self.command
        m = re.match(r"^/_sandbox/(caselle|comunica)/([^/]+)/stato$", path)
        company = re.match(r"^/_sandbox/companies/([^/]+)$", path)
        if path == "/_sandbox/health":
            self._send_json(200, {"ok": True})
        elif path == "/_sandbox/faults" and method == "GET":
            self._send_json(200, asdict(self.server.faults))
        elif path == "/_sandbox/faults" and method == "POST":
            current = asdict(self.server.faults) if not body.pop("replace", True) else {}
            try:
                self.server.faults = Faults(**{**current, **body})
            except TypeError as exc:
                self._send_json(400, {"error": str(exc)})
                return
            self._send_json(200, asdict(self.server.faults))
        elif path == "/_sandbox/reset" and method == "POST":
            sandbox.reset()
            self.server.faults = Faults()
            with self.server.calls_lock:
                self.server.calls.clear()
            self.server.callbacks.clear()
            self._send_json(200, {"ok": True})
        elif path == "/_sandbox/config" and method == "POST":
            for name in ("evasione_seconds", "comunica_seconds"):
                if isinstance(body.get(name), (int, float)):
                    setattr(sandbox, name, float(body[name]))
            self._send_json(
                200,
                {
                    "evasione_seconds": sandbox.evasione_seconds,
                    "comunica_seconds": sandbox.comunica_seconds,
                },
            )
        elif path == "/_sandbox/callbacks":
            with self.server.callbacks.lock:
                log = list(self.server.callbacks.log)
            self._send_json(200, {"callbacks": log})
        elif path == "/_sandbox/seed" and method == "POST":
            try:
                ids = sandbox.seed(
                    int(body.get("n") or 0),
                    stato=str(body.get("stato") or "evasa"),
                    tipo=str(body.get("tipo") or "STANDARD"),
                    prefix=str(body.get("prefix") or "seed"),
                    callback=body["callback"] if isinstance(body.get("callback"), dict) else None,
                )
            except (ApiError, ValueError, TypeError) as exc:
                self._send_json(400, {"error": str(exc)})
                return
            self._send_json(200, {"ids": ids})
        elif path == "/_sandbox/stati" and method == "POST":
            ids = body.get("ids") if isinstance(body.get("ids"), list) else []
            self._send_json(200, {"changed": sandbox.set_stati(ids, str(body.get("stato") or ""))})
        elif path == "/_sandbox/charges":
            self._send_json(200, {"charges": sandbox.charges(), "credit": str(sandbox.credit)})
        elif path == "/_sandbox/calls":
            with self.server.calls_lock:
                calls = list(self.server.calls)
                total = self.server.calls_total
            self._send_json(200, {"calls": calls, "total": total})
        elif path == "/_sandbox/credit" and method == "POST":
            try:
                credit = sandbox.set_credit(body.get("amount"))
            except (ArithmeticError, ValueError, TypeError):
                self._send_json(400, {"error": "amount required"})
                return
            self._send_json(200, {"credit": str(credit)})
        elif path == "/_sandbox/domains":
            if method == "POST":
                domains = body.get("domains") or ([body["domain"]] if body.get("domain") else [])
                result = sandbox.set_domains(domains, replace=bool(body.get("replace")))
            else:
                result = sandbox.custom_domains()
            self._send_json(200, {"domains": result})
        elif path == "/_sandbox/advance" and method == "POST":
            sandbox.advance_now()
            self._send_json(200, {"ok": True})
        elif path == "/_sandbox/tokens/expire" and method == "POST":
            self._send_json(200, {"expired": sandbox.expire_tokens()})
        elif path == "/_sandbox/state":
            with sandbox.lock:
                self._send_json(200, sandbox.state)
        elif m and method == "POST":
            kind, ident = m.groups()
            try:
                record = sandbox.force_stato(kind, ident, str(body.get("stato") or ""))
            except ApiError:
                self._send_json(404, {"error": "not found"})
                return
            self._send_json(200, record)
        elif company:
            try:
                if method == "POST":
                    self._send_json(200, sandbox.set_company(company.group(1), body))
                else:
                    self._send_json(200, sandbox.company(company.group(1)))
            except (ApiError, TypeError, ValueError) as exc:
                self._send_json(400, {"error": getattr(exc, "message", str(exc))})
        else:
            self._send_json(404, {"error": "unknown control endpoint"})


def serve(host: str, port: int, sandbox: Sandbox) -> SandboxServer:
    return SandboxServer((host, port), sandbox)
