"""Exceptions raised by the Openapi PEC client.

Every error carries the HTTP status, the API's own ``message`` and ``error`` number (an internal
code, not the HTTP status) and says whether it is ``permanent`` (retrying the same call cannot
help) or transient.  Messages never contain credentials: they are built only from the answer's
envelope and the request's method and path.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "InsufficientCredit",
    "InvalidValue",
    "NotFound",
    "OpenapiError",
    "OutcomeUnknown",
    "PreconditionFailed",
    "ProtocolError",
    "TransientError",
    "WrongId",
    "error_for_status",
]


class OpenapiError(Exception):
    """Base class: an answer (or the lack of one) that is not a success."""

    default_permanent = True

    def __init__(
        self,
        status: int | None,
        message: str = "",
        error_code: int | None = None,
        permanent: bool | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        data: Any = None,
    ) -> None:
        self.status = status
        self.message = message or ""
        self.error_code = error_code
        self.permanent = self.default_permanent if permanent is None else permanent
        self.method = method
        self.path = path
        self.data = data
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.error_code is not None:
            parts.append(f"error {self.error_code}")
        head = ", ".join(parts)
        text = self.message or "(no message)"
        where = f" [{self.method} {self.path}]" if self.method and self.path else ""
        return f"{head}: {text}{where}" if head else f"{text}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, message={self.message!r}, "
            f"error_code={self.error_code!r}, permanent={self.permanent!r})"
        )

    def __reduce__(self):  # picklable (Celery results, multiprocessing)
        return (
            _rebuild,
            (
                type(self),
                self.status,
                self.message,
                self.error_code,
                self.permanent,
                self.method,
                self.path,
            ),
        )


def _rebuild(cls, status, message, error_code, permanent, method, path):
    return cls(status, message, error_code, permanent, method=method, path=path)


class WrongId(OpenapiError):
    """HTTP 400: the id is malformed ("Wrong id")."""


class AuthError(OpenapiError):
    """HTTP 401/403, or a token that could not be minted."""


class InsufficientCredit(OpenapiError):
    """HTTP 402: the wallet does not cover the call; nothing was performed."""


class NotFound(OpenapiError):
    """HTTP 404 on a single resource (list endpoints return [] instead)."""


class InvalidValue(OpenapiError):
    """HTTP 406 (or 422): a value is invalid or the action is not allowed."""


class PreconditionFailed(OpenapiError):
    """HTTP 428: a required field is missing, or the resource is in the wrong state."""


class ProtocolError(OpenapiError):
    """A success status with a body the client cannot understand (e.g. not JSON)."""


class TransientError(OpenapiError):
    """5xx, 429, timeouts and connection errors: retrying later may succeed."""

    default_permanent = False


class OutcomeUnknown(TransientError):
    """The request may have reached the server and been performed (read timeout after sending,
    connection dropped mid-answer, 502/504).  For a paid or state-changing call, reconcile
    against the account (e.g. ``list_caselle()``) before trying again."""


_BY_STATUS: dict[int, type[OpenapiError]] = {
    400: WrongId,
    401: AuthError,
    402: InsufficientCredit,
    403: AuthError,
    404: NotFound,
    406: InvalidValue,
    422: InvalidValue,
    428: PreconditionFailed,
    429: TransientError,
    502: OutcomeUnknown,
    504: OutcomeUnknown,
}


def error_for_status(status: int) -> type[OpenapiError]:
    """The exception class for an HTTP status that is not a success."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return TransientError
    return OpenapiError
