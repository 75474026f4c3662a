"""HTTP transport: one pooled ``requests.Session``, a timeout on every call, the envelope
parsed on every answer, and retries with capped exponential backoff + jitter (honouring
Retry-After) **only** for calls the caller marks as safe to repeat (reads).  A call that charges
the wallet or changes state is sent exactly once.

Nothing here logs or str()s headers or bodies: the Authorization header never leaves the
session's request.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from . import errors
from .listing import BrokenAnswer, ListParser

logger = logging.getLogger("openapi_pec.transport")

__all__ = ["Answer", "RetryPolicy", "Transport"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Bytes read at a time from a streamed list answer.
STREAM_CHUNK = 65_536


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for reads.  ``max_attempts`` counts the first try too."""

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): capped
        exponential backoff with "equal jitter", or Retry-After when the server asks more."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        wait = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.retry_after_cap))
        return wait


NO_RETRY = RetryPolicy(max_attempts=1)


@dataclass
class Answer:
    """A successful answer: the envelope's parts for JSON, the bytes for a PDF."""

    status: int
    data: Any = None
    message: str = ""
    error: int | None = None
    envelope: dict[str, Any] = field(default_factory=dict)
    content: bytes = b""
    content_type: str = ""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _not_performed(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection could not even be opened (refused, DNS): nothing was sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (NewConnectionError, NameResolutionError, ConnectionRefusedError)):
            return True
        if isinstance(cause, MaxRetryError):
            cause = cause.reason
            continue
        nxt = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
        cause = nxt or cause.__cause__ or cause.__context__
    return False


class Transport:
    """Sends requests and turns answers into :class:`Answer` or :mod:`errors` exceptions."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        pool_maxsize: int = 10,
        user_agent: str = "openapi-pec-client/1.0",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = float(timeout)
        self.connect_timeout = min(self.timeout, 10.0)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.user_agent = user_agent

    def __repr__(self) -> str:
        return f"Transport(timeout={self.timeout!r}, retry={self.retry!r})"

    def close(self) -> None:
        self.session.close()

    # ------------------------------------------------------------------ public

    def request(
        self,
        method: str,
        url: str,
        *,
        authorization: str | None = None,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        retry: bool = False,
        binary: bool = False,
    ) -> Answer:
        """Send once, or (``retry=True``, reads only) retry transient failures."""
        policy = self.retry if retry else NO_RETRY
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(method, url, authorization, json_body, params, binary)
            except errors.TransientError as exc:
                if attempt >= policy.max_attempts:
                    raise
                self._wait_to_retry(method, exc, attempt, policy)

    def items(
        self,
        method: str,
        url: str,
        *,
        authorization: str | None = None,
        params: dict[str, Any] | None = None,
        retry: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """The items of a list answer (``data``) one by one as they arrive, never the whole
        answer in memory. Errors as :meth:`request`'s; retried (``retry=True``) only until the
        first item is handed out: a failure after that raises (a dropped connection
        :class:`errors.OutcomeUnknown`, a broken body :class:`errors.ProtocolError`)."""
        policy = self.retry if retry else NO_RETRY
        attempt = 0
        while True:
            attempt += 1
            handed = False
            try:
                for item in self._items_once(method, url, authorization, params):
                    handed = True
                    yield item
                return
            except errors.TransientError as exc:
                if handed or attempt >= policy.max_attempts:
                    raise
                self._wait_to_retry(method, exc, attempt, policy)

    # ------------------------------------------------------------------ internals

    def _wait_to_retry(
        self, method: str, exc: errors.TransientError, attempt: int, policy: RetryPolicy
    ) -> None:
        """Log the failed attempt and wait the policy's delay (or the server's Retry-After)."""
        wait = policy.delay(attempt, getattr(exc, "retry_after", None))
        logger.info(
            "openapi_pec: %s %s failed (%s), retry %d/%d in %.2fs",
            method,
            exc.path,
            type(exc).__name__,
            attempt,
            policy.max_attempts - 1,
            wait,
        )
        self._sleep(wait)

    def _send(
        self,
        method: str,
        url: str,
        authorization: str | None,
        accept: str,
        *,
        params: dict[str, Any] | None,
        json_body: Any = None,
        stream: bool = False,
    ) -> requests.Response:
        """The one request the session sends (our headers, no redirects, both timeouts);
        ``stream=True`` leaves the body unread. Call it inside :meth:`_mapped`."""
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        if authorization:
            headers["Authorization"] = authorization
        return self.session.request(
            method,
            url,
            headers=headers,
            json=json_body,
            params=params,
            timeout=(self.connect_timeout, self.timeout),
            allow_redirects=False,
            stream=stream,
        )

    @staticmethod
    def _answered(
        method: str, path: str, response: requests.Response, started: float, upto: str = ""
    ) -> str:
        """Log the answer's status and the time it took (``upto`` says until what); its
        content type, in lower case and without parameters."""
        logger.info(
            "openapi_pec: %s %s -> %s (%.0f ms%s)",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
            upto,
        )
        return response.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def _once(
        self,
        method: str,
        url: str,
        authorization: str | None,
        json_body: Any,
        params: dict[str, Any] | None,
        binary: bool,
    ) -> Answer:
        path = urlsplit(url).path
        started = time.monotonic()
        accept = "application/pdf, text/plain, */*" if binary else "application/json"
        with self._mapped(method, path):
            response = self._send(
                method, url, authorization, accept, params=params, json_body=json_body
            )
            content = response.content  # read fully here: a drop mid-body is caught below

        status = response.status_code
        ctype = self._answered(method, path, response, started)
        envelope = self._parse_json(content, ctype)

        if 200 <= status < 300:
            if binary:
                if isinstance(envelope, dict) and envelope.get("success") is False:
                    self._raise(status, envelope, content, method, path, response)
                return Answer(status=status, content=content, content_type=ctype)
            if status == 204 or not content.strip():
                return Answer(status=status, content_type=ctype)
            if not isinstance(envelope, dict):
                raise errors.ProtocolError(
                    status, "answer is not a JSON object", method=method, path=path
                )
            if envelope.get("success") is False:
                self._raise(status, envelope, content, method, path, response)
            return Answer(
                status=status,
                data=envelope.get("data"),
                message=str(envelope.get("message") or ""),
                error=_int_or_none(envelope.get("error")),
                envelope=envelope,
                content=content,
                content_type=ctype,
            )
        self._raise(status, envelope, content, method, path, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _items_once(
        self, method: str, url: str, authorization: str | None, params: dict[str, Any] | None
    ) -> Iterator[dict[str, Any]]:
        path = urlsplit(url).path
        started = time.monotonic()
        with self._mapped(method, path):
            response = self._send(
                method, url, authorization, "application/json", params=params, stream=True
            )
        with contextlib.closing(response):
            status = response.status_code
            ctype = self._answered(method, path, response, started, " to the headers")
            if not 200 <= status < 300:
                with self._mapped(method, path):
                    content = response.content
                self._raise(
                    status, self._parse_json(content, ctype), content, method, path, response
                )
            if status == 204:
                return
            binary = ctype in ("application/pdf", "application/octet-stream")
            parser = ListParser()
            chunks = response.iter_content(STREAM_CHUNK)
            try:
                while True:
                    with self._mapped(method, path):
                        chunk = next(chunks, None)
                    if chunk is None:
                        break
                    if binary and chunk.strip():
                        raise BrokenAnswer("answer is not a JSON object")
                    yield from parser.feed(chunk)
                items, envelope = parser.close()
            except BrokenAnswer as exc:
                raise errors.ProtocolError(status, str(exc), method=method, path=path) from None
            yield from items
            if envelope is None:
                return
            if envelope.get("success") is False:
                self._raise(status, envelope, b"", method, path, response)
            if envelope["data"] == "other":
                raise errors.ProtocolError(
                    status, "expected a list in 'data'", method=method, path=path
                )

    @contextlib.contextmanager
    def _mapped(self, method: str, path: str) -> Iterator[None]:
        """requests' exceptions as :mod:`errors` (sending, or reading the answer)."""
        try:
            yield
        except requests.exceptions.ConnectionError as exc:
            if _not_performed(exc):
                raise errors.TransientError(
                    None, "connection failed (not sent)", method=method, path=path
                ) from None
            if isinstance(exc, requests.exceptions.ReadTimeout):
                raise errors.OutcomeUnknown(
                    None, f"no answer within {self.timeout:g}s", method=method, path=path
                ) from None
            raise errors.OutcomeUnknown(
                None, "connection dropped before the answer", method=method, path=path
            ) from None
        except requests.exceptions.Timeout:
            raise errors.OutcomeUnknown(
                None, f"no answer within {self.timeout:g}s", method=method, path=path
            ) from None
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ):
            raise errors.OutcomeUnknown(
                None, "answer interrupted", method=method, path=path
            ) from None
        except requests.exceptions.RequestException as exc:
            raise errors.OpenapiError(
                None, f"request failed: {type(exc).__name__}", method=method, path=path
            ) from None

    @staticmethod
    def _parse_json(content: bytes, ctype: str) -> Any:
        if not content or ctype in ("application/pdf", "application/octet-stream"):
            return None
        try:
            return json.loads(content)
        except (ValueError, UnicodeDecodeError):
            return None

    @staticmethod
    def _raise(
        status: int,
        envelope: Any,
        content: bytes,
        method: str,
        path: str,
        response: requests.Response,
    ) -> None:
        if isinstance(envelope, dict):
            message = str(envelope.get("message") or envelope.get("error_description") or "")
            code = _int_or_none(envelope.get("error"))
            data = envelope.get("data")
        else:
            message = content[:500].decode("utf-8", "replace").strip()
            code, data = None, None
        if not message:
            message = response.reason or f"HTTP {status}"
        cls = errors.error_for_status(status) if status >= 300 else errors.OpenapiError
        exc = cls(status, message, code, method=method, path=path, data=data)
        if status in RETRY_STATUSES:
            exc.retry_after = _retry_after(response)  # type: ignore[attr-defined]
        raise exc
