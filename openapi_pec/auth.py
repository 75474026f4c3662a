"""Tokens: either a ready Bearer token, or one minted from the account e-mail + API key through
OAuth v2 ``POST /tokens`` (Basic auth) with exactly the scopes the client needs (the PEC scopes
by default; another Openapi API's client passes its own), cached in a token store shared between
processes and renewed before it expires.

Secrets (token, API key) are never logged, never in exception messages, never in a repr.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from . import errors
from .domains import pec_host_for_url
from .transport import Answer, Transport
from .types import parse_iso

logger = logging.getLogger("openapi_pec.auth")

__all__ = [
    "PEC_SCOPE_METHODS",
    "FileTokenStore",
    "MemoryStore",
    "MemoryTokenStore",
    "TokenProvider",
    "TokenStore",
    "pec_scopes",
]

#: The scopes the client needs: METHOD -> first path segments (openapi-notes section 7).
PEC_SCOPE_METHODS: tuple[tuple[str, str], ...] = (
    ("GET", "domini_pec"),
    ("GET", "verifica_pec"),
    ("GET", "pec"),
    ("POST", "pec"),
    ("PATCH", "pec"),
    ("DELETE", "pec"),
    ("GET", "comunica_pec"),
    ("POST", "comunica_pec"),
    ("PATCH", "comunica_pec"),
)

DEFAULT_TOKEN_TTL = 30 * 24 * 3600  # requested lifetime of a minted token (max 1 year)


def pec_scopes(pec_url: str) -> list[str]:
    """``METHOD:host/segment`` scopes for the PEC host in use (loopback -> the sandbox host)."""
    host = pec_host_for_url(pec_url)
    return [f"{method}:{host}/{segment}" for method, segment in PEC_SCOPE_METHODS]


@runtime_checkable
class TokenStore(Protocol):
    """Where minted tokens are shared (Django's cache in the portal, Redis in production)."""

    def get(self, key: str) -> dict | None: ...

    def set(self, key: str, value: dict, ttl_seconds: int) -> None: ...


class MemoryStore:
    """A per-process store whose entries expire: the default token store, and the Company
    client's default result cache.  ``_copy`` is applied to a value going in and coming out."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @staticmethod
    def _copy(value: Any) -> Any:
        return value

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if item[0] <= time.time():
                self._data.pop(key, None)
                return None
            return self._copy(item[1])

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        with self._lock:
            now = time.time()
            self._data = {k: v for k, v in self._data.items() if v[0] > now}
            self._data[key] = (now + max(1, int(ttl_seconds)), self._copy(value))


class MemoryTokenStore(MemoryStore):
    """Per-process token store (the default); hands out copies of the token records."""

    _copy = staticmethod(dict)


class FileTokenStore:
    """A JSON file shared by processes on one machine (written atomically, mode 0600)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    def _load(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def get(self, key: str) -> dict | None:
        item = self._load().get(key)
        if not isinstance(item, dict) or item.get("_expires", 0) <= time.time():
            return None
        value = dict(item)
        value.pop("_expires", None)
        return value

    def set(self, key: str, value: dict, ttl_seconds: int) -> None:
        with self._lock:
            data = {
                k: v
                for k, v in self._load().items()
                if isinstance(v, dict) and v.get("_expires", 0) > time.time()
            }
            data[key] = {**value, "_expires": time.time() + max(1, int(ttl_seconds))}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh)
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise


def _needs_renewal(expires_at: float, ttl: float, now: float) -> bool:
    """Renew when less than 10% of the lifetime, capped at one day, is left."""
    margin = min(0.1 * max(ttl, 0.0), 86400.0)
    return expires_at - now <= margin


class TokenProvider:
    """Hands out a Bearer token for the PEC API, or for the API whose ``scopes`` are given."""

    def __init__(
        self,
        *,
        oauth_url: str,
        transport: Transport,
        pec_url: str | None = None,
        scopes: list[str] | None = None,
        token: str | None = None,
        email: str | None = None,
        apikey: str | None = None,
        token_store: TokenStore | None = None,
        token_ttl: int = DEFAULT_TOKEN_TTL,
    ) -> None:
        self.oauth_url = oauth_url.rstrip("/")
        if scopes is None and pec_url is None:
            raise ValueError("TokenProvider needs the PEC URL or the scopes to ask for")
        self.scopes = list(scopes) if scopes is not None else pec_scopes(str(pec_url))
        self._transport = transport
        self._static = token or None
        self._email = email or None
        self._apikey = apikey or None
        self.store: TokenStore = token_store if token_store is not None else MemoryTokenStore()
        self.token_ttl = int(token_ttl)
        self._lock = threading.Lock()
        digest = hashlib.sha256(
            "|".join([self.oauth_url, self._email or "", *self.scopes]).encode()
        ).hexdigest()[:20]
        self.store_key = f"openapi_pec:token:{digest}"  # no secret in the key

    def __repr__(self) -> str:
        return f"TokenProvider(mode={self.mode!r}, oauth_url={self.oauth_url!r})"

    @property
    def mode(self) -> str:
        if self.can_mint:
            return "apikey"
        return "token" if self._static else "none"

    @property
    def can_mint(self) -> bool:
        return bool(self._email and self._apikey)

    def basic_authorization(self) -> str | None:
        if not self.can_mint:
            return None
        raw = f"{self._email}:{self._apikey}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def token(self) -> str:
        """The current token, minting or renewing one when needed."""
        if self._static and not self.can_mint:
            return self._static
        if not self.can_mint:
            raise errors.AuthError(None, "no Openapi token nor e-mail + API key configured")
        cached = self.store.get(self.store_key)
        now = time.time()
        if cached and not _needs_renewal(cached.get("expires_at", 0), cached.get("ttl", 0), now):
            return str(cached["token"])
        if self._static and not cached:
            return self._static
        with self._lock:
            cached = self.store.get(self.store_key)
            if cached and not _needs_renewal(
                cached.get("expires_at", 0), cached.get("ttl", 0), time.time()
            ):
                return str(cached["token"])
            try:
                return self._mint()
            except errors.TransientError:
                # early renewal failed: the old token is still good until it expires
                if cached and cached.get("expires_at", 0) > time.time() + 60:
                    logger.warning("openapi_pec: token renewal failed, using the current one")
                    return str(cached["token"])
                raise

    def renew(self, rejected: str | None = None) -> str:
        """After a 401: mint a new token (unless another thread/process already did)."""
        if not self.can_mint:
            raise errors.AuthError(401, "token rejected and no API key to mint a new one")
        with self._lock:
            cached = self.store.get(self.store_key)
            if (
                cached
                and rejected is not None
                and cached.get("token") != rejected
                and not _needs_renewal(
                    cached.get("expires_at", 0), cached.get("ttl", 0), time.time()
                )
            ):
                return str(cached["token"])  # someone else already renewed it
            self._static = None
            return self._mint()

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        retry: bool = False,
        binary: bool = False,
        basic: bool = False,
    ) -> Answer:
        """Send with the Bearer token; a 401 leads to one renewal and one more try.  ``basic``:
        with the e-mail + API key instead, when they are configured (the wallet, the tokens)."""

        def send(authorization: str | None) -> Answer:
            return self._transport.request(
                method,
                url,
                authorization=authorization,
                json_body=json_body,
                params=params,
                retry=retry,
                binary=binary,
            )

        if basic and self.can_mint:
            return send(self.basic_authorization())
        token = self.token()
        try:
            return send(f"Bearer {token}")
        except errors.AuthError as exc:
            if exc.status != 401 or not self.can_mint:
                raise
            logger.info("openapi_pec: 401 on %s %s, renewing the token once", method, exc.path)
            return send(f"Bearer {self.renew(rejected=token)}")

    def items(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        retry: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """A list answer's items as they arrive (:meth:`Transport.items`), with the Bearer
        token; a 401 (always before any item) leads to one renewal and one more try."""
        token = self.token()
        try:
            yield from self._transport.items(
                method, url, authorization=f"Bearer {token}", params=params, retry=retry
            )
            return
        except errors.AuthError as exc:
            if exc.status != 401 or not self.can_mint:
                raise
            logger.info("openapi_pec: 401 on %s %s, renewing the token once", method, exc.path)
        yield from self._transport.items(
            method,
            url,
            authorization=f"Bearer {self.renew(rejected=token)}",
            params=params,
            retry=retry,
        )

    def _mint(self) -> str:
        body = {"scopes": self.scopes, "ttl": self.token_ttl, "name": "pec-portal"}
        try:
            answer = self.request("POST", f"{self.oauth_url}/tokens", json_body=body, basic=True)
        except errors.TransientError:
            raise
        except errors.OpenapiError as exc:
            raise errors.AuthError(
                exc.status, f"could not mint a token: {exc.message}", exc.error_code
            ) from None
        envelope = answer.envelope or {}
        detail = envelope if envelope.get("token") else envelope.get("data")
        if not isinstance(detail, dict) or not detail.get("token"):
            raise errors.AuthError(answer.status, "token answer without a token")
        token = str(detail["token"])
        now = time.time()
        expires_at = None
        if detail.get("expireAt"):
            parsed = parse_iso(detail["expireAt"])
            expires_at = parsed.timestamp() if parsed else None
        elif detail.get("expire"):  # OAuth v1 style, unix seconds
            with contextlib.suppress(TypeError, ValueError):
                expires_at = float(detail["expire"])
        if expires_at is None:
            expires_at = now + self.token_ttl
        ttl = max(1.0, expires_at - now)
        granted = detail.get("scopes")
        if isinstance(granted, list) and not set(self.scopes) <= set(map(str, granted)):
            logger.warning(
                "openapi_pec: minted token lacks %d requested scope(s)",
                len(set(self.scopes) - set(map(str, granted))),
            )
        self.store.set(
            self.store_key,
            {"token": token, "expires_at": expires_at, "ttl": ttl, "minted_at": now},
            int(ttl),
        )
        logger.info(
            "openapi_pec: minted a token for %d scope(s) valid until %s",
            len(self.scopes),
            dt.datetime.fromtimestamp(expires_at, tz=dt.UTC).isoformat(timespec="seconds"),
        )
        return token
