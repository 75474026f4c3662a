"""What every client of an Openapi API shares (PecClient here, CompanyClient in openapi_company):
the base URL, the transport, the token provider on the OAuth v2 service, the sandbox flag, the
context manager, and one way to send a call (free reads retried, paid calls sent once)."""

from __future__ import annotations

from typing import Any, ClassVar

import requests

from . import errors
from .auth import TokenProvider, TokenStore
from .domains import is_sandbox_url
from .transport import Answer, RetryPolicy, Transport

__all__ = ["PRODUCTION_OAUTH_URL", "SANDBOX_OAUTH_URL", "OpenapiClient"]

PRODUCTION_OAUTH_URL = "https://oauth.openapi.com"
SANDBOX_OAUTH_URL = "https://test.oauth.openapi.com"


class OpenapiClient:
    """Give either ``token`` (ready Bearer token) or ``email`` + ``apikey`` (the client mints and
    renews its own token with exactly the scopes of its API, sharing it through
    ``token_store``).  Secrets never show in a repr."""

    #: The name of the base URL in the subclass's constructor (shown by repr).
    URL_NAME: ClassVar[str] = "url"
    USER_AGENT: ClassVar[str] = "openapi-pec-client/1.0"
    #: Whether a GET is free, hence retried on a transient failure unless told otherwise.
    RETRY_GETS: ClassVar[bool] = True

    def __init__(
        self,
        url: str,
        oauth_url: str = SANDBOX_OAUTH_URL,
        token: str | None = None,
        email: str | None = None,
        apikey: str | None = None,
        token_store: TokenStore | None = None,
        timeout: float = 20.0,
        *,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        token_ttl: int | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self.timeout = float(timeout)
        self.transport = Transport(
            timeout=self.timeout, retry=retry, session=session, user_agent=self.USER_AGENT
        )
        kwargs: dict[str, Any] = {} if token_ttl is None else {"token_ttl": token_ttl}
        self.auth = TokenProvider(
            oauth_url=self.oauth_url,
            transport=self.transport,
            scopes=self.scopes_for(self.url),
            token=token,
            email=email,
            apikey=apikey,
            token_store=token_store,
            **kwargs,
        )

    @staticmethod
    def scopes_for(url: str) -> list[str]:
        """The token scopes this client needs on the API at ``url``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.URL_NAME}={self.url!r}, auth={self.auth.mode!r})"

    @property
    def sandbox(self) -> bool:
        return is_sandbox_url(self.url)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        read: bool | None = None,
        base: str | None = None,
        **send: Any,
    ) -> Answer:
        """``read``: safe to retry (by default a GET when ``RETRY_GETS``); ``base``: another
        host (the wallet's); ``send``: json_body, params, binary, basic, as for
        :meth:`TokenProvider.request` (a 401 leads to one renewal and one retry)."""
        retry = (method == "GET" and self.RETRY_GETS) if read is None else read
        return self.auth.request(method, f"{base or self.url}{path}", retry=retry, **send)

    @staticmethod
    def _object(answer: Answer, what: str = "an object") -> dict[str, Any]:
        """The answer's ``data``, which must be an object."""
        if not isinstance(answer.data, dict):
            raise errors.ProtocolError(answer.status, f"expected {what} in 'data'")
        return answer.data
