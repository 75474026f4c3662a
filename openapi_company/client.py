"""The Company API client (company.openapi.com): the registered PEC, the stakeholders and the
ceased flag of an Italian company, and monitors that call back when a company's data changes.

It stands on openapi_pec's transport, token provider and errors: the same OAuth v2 service and
wallet, the same error classes, the same retry rule (only free reads are retried; a paid call is
sent once, and an unclear outcome raises :class:`errors.OutcomeUnknown`).  Every lookup is paid,
so its answer is kept in a :class:`ResultCache` and not asked for again within ``cache_ttl``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

from openapi_pec import errors
from openapi_pec.base import OpenapiClient
from openapi_pec.transport import Answer

from . import types
from .cache import MemoryResultCache, ResultCache
from .hosts import company_host_for_url, company_scopes

logger = logging.getLogger("openapi_company")

__all__ = [
    "DEFAULT_CACHE_TTL",
    "PRODUCTION_COMPANY_URL",
    "SANDBOX_COMPANY_URL",
    "CompanyClient",
    "normalize_code",
]

PRODUCTION_COMPANY_URL = "https://company.openapi.com"
SANDBOX_COMPANY_URL = "https://test.company.openapi.com"
DEFAULT_CACHE_TTL = 7 * 24 * 3600
#: Waits (seconds) between polls of GET /IT-check_id while a stakeholders answer is prepared.
DEFAULT_PENDING_WAITS = (2.0, 4.0, 8.0, 15.0)

_VAT_WITH_COUNTRY = re.compile(r"^IT(\d{11})$")


def normalize_code(code: str) -> str:
    """A tax code, VAT number or company id as the cache and the API want it: no blanks,
    upper case, an ``IT`` VAT prefix dropped.  An empty code is a ValueError."""
    text = re.sub(r"\s+", "", str(code or "")).upper()
    if not text:
        raise ValueError("a tax code, VAT number or company id is required")
    match = _VAT_WITH_COUNTRY.match(text)
    return match.group(1) if match else text


def _seg(value: str) -> str:
    return quote(str(value), safe="")


class CompanyClient(OpenapiClient):
    """Client of the Openapi Company API.

    Credentials as for :class:`openapi_pec.PecClient` (a ready ``token``, or ``email`` +
    ``apikey`` to mint one with the Company scopes, shared through ``token_store``).  ``cache``
    keeps the lookups (a per-process :class:`MemoryResultCache` by default) for ``cache_ttl``
    seconds; ``refresh=True`` on a lookup asks again regardless (e.g. after a filing).  A GET is
    retried only when said to be free (``read=True``): the lookups are paid.
    """

    URL_NAME = "company_url"
    USER_AGENT = "openapi-company-client/1.0"
    RETRY_GETS = False

    def __init__(
        self,
        company_url: str = SANDBOX_COMPANY_URL,
        *args: Any,
        cache: ResultCache | None = None,
        cache_ttl: int = DEFAULT_CACHE_TTL,
        pending_waits: Iterable[float] = DEFAULT_PENDING_WAITS,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(company_url, *args, **kwargs)
        self.cache: ResultCache = cache if cache is not None else MemoryResultCache()
        if int(cache_ttl) < 1:
            raise ValueError("cache_ttl must be at least one second")
        self.cache_ttl = int(cache_ttl)
        self.pending_waits = tuple(float(w) for w in pending_waits)
        self._sleep = sleep
        self._host = company_host_for_url(self.url)
        self._flights: dict[str, threading.Lock] = {}
        self._flights_lock = threading.Lock()

    scopes_for = staticmethod(company_scopes)

    @property
    def company_url(self) -> str:
        return self.url

    # ------------------------------------------------------------------ plumbing

    @contextlib.contextmanager
    def _one_at_a_time(self, key: str) -> Iterator[None]:
        """Two threads asking for the same company wait for one answer instead of paying twice."""
        with self._flights_lock:
            lock = self._flights.setdefault(key, threading.Lock())
        with lock:
            yield

    def _key(self, dataset: str, code: str, *extra: str) -> str:
        return ":".join(("openapi_company", self._host, dataset, code, *extra))

    def _lookup(
        self,
        dataset: str,
        code: str,
        result: Any,
        *,
        refresh: bool = False,
        fetch: Callable[[str], Any] | None = None,
    ) -> Any:
        """A paid lookup of ``code`` in ``dataset``, parsed by ``result.from_raw``: from the
        cache when it is there (a kept "no company matches" is raised again as NotFound), else
        asked once, by GET /{dataset}/{code} or by ``fetch(code)``."""
        code = normalize_code(code)
        key = self._key(dataset, code)
        with self._one_at_a_time(key):
            entry = None if refresh else self.cache.get(key)
            if not isinstance(entry, dict) or "fetched_at" not in entry:
                try:
                    data = (
                        fetch(code) if fetch else self._call("GET", f"/{dataset}/{_seg(code)}").data
                    )
                    entry = {"data": data, "fetched_at": time.time()}
                except errors.NotFound as exc:
                    entry = {
                        "not_found": {"message": exc.message, "error": exc.error_code},
                        "fetched_at": time.time(),
                    }
                self.cache.set(key, entry, self.cache_ttl)
            if "not_found" in entry:
                missing = entry["not_found"]
                raise errors.NotFound(
                    404,
                    str(missing.get("message") or "no company matches this code"),
                    missing.get("error"),
                    method="GET",
                    path=f"/{dataset}/{code}",
                )
            return result.from_raw(code, entry.get("data"), float(entry["fetched_at"]))

    # ------------------------------------------------------------------ lookups (paid)

    def pec(self, code: str, *, refresh: bool = False) -> types.RegisteredPec:
        """GET /IT-pec/{code}: the PEC registered at the Registro Imprese and its history."""
        return self._lookup("IT-pec", code, types.RegisteredPec, refresh=refresh)

    def closed(self, code: str, *, refresh: bool = False) -> types.Closure:
        """GET /IT-closed/{code}: whether the Tax Office has the code as ceased."""
        return self._lookup("IT-closed", code, types.Closure, refresh=refresh)

    def advanced(self, code: str, *, refresh: bool = False) -> types.CompanyProfile:
        """GET /IT-advanced/{code}: the company's legal form, activity status and PEC."""
        return self._lookup("IT-advanced", code, types.CompanyProfile, refresh=refresh)

    def stakeholders(self, code: str, *, refresh: bool = False) -> types.Stakeholders:
        """GET /IT-stakeholders/{code}: directors and their roles.  When the API is slow it
        answers 302 with a request id; the client then polls GET /IT-check_id/{id} (free) and
        remembers the id, so a caller trying again later does not pay for a second request."""

        def fetch(code: str) -> Any:
            pending_key = self._key("IT-stakeholders", code, "pending")
            pending = None if refresh else self.cache.get(pending_key)
            request_id = pending.get("id") if isinstance(pending, dict) else None
            if not request_id:
                try:
                    return self._call("GET", f"/IT-stakeholders/{_seg(code)}").data
                except errors.OpenapiError as exc:
                    if (
                        exc.status != 302
                        or not isinstance(exc.data, dict)
                        or not exc.data.get("id")
                    ):
                        raise
                    request_id = str(exc.data["id"])
                    self.cache.set(pending_key, {"id": request_id}, self.cache_ttl)
            return self._await_request(request_id, pending_key)

        return self._lookup(
            "IT-stakeholders", code, types.Stakeholders, refresh=refresh, fetch=fetch
        )

    def _await_request(self, request_id: str, pending_key: str) -> Any:
        for wait in (0.0, *self.pending_waits):
            if wait:
                self._sleep(wait)
            data = self._call("GET", f"/IT-check_id/{_seg(request_id)}", read=True).data
            if not (isinstance(data, dict) and data.get("state") == "PENDING"):
                self.cache.set(pending_key, {}, 1)
                return data
        raise errors.TransientError(
            None,
            "the stakeholders are still being prepared; ask again later",
            method="GET",
            path=f"/IT-check_id/{request_id}",
            data={"id": request_id},
        )

    # ------------------------------------------------------------------ monitors

    def create_monitor(
        self,
        code: str,
        dataset: types.Dataset | str = types.Dataset.IT_PEC,
        monitored_fields: Iterable[str] | None = ("pec",),
        callback: types.MonitorCallback | None = None,
        *,
        autorenew: bool | None = None,
        cciaa: str | None = None,
    ) -> types.MonitorRequest:
        """POST /monitor: watch ``monitored_fields`` of a company's ``dataset`` (None: all of
        it); the API calls ``callback`` when they change.  Paid; sent once."""
        body: dict[str, Any] = {"code": normalize_code(code), "dataset": str(dataset)}
        if monitored_fields is not None:
            body["monitoredFields"] = [str(f) for f in monitored_fields]
        if callback is not None:
            body["callback"] = callback.to_dict()
        if autorenew is not None:
            body["autorenew"] = bool(autorenew)
        if cciaa:
            body["cciaa"] = str(cciaa).upper()
        return self._monitor(self._call("POST", "/monitor", json_body=body))

    def list_monitors(self) -> list[types.MonitorSummary]:
        """GET /monitor (404 "no monitoring requests related to your account" -> [])."""
        try:
            answer = self._call("GET", "/monitor", read=True)
        except errors.NotFound:
            return []
        data = answer.data if isinstance(answer.data, list) else []
        return [types.MonitorSummary.from_raw(item) for item in data if isinstance(item, dict)]

    def get_monitor(self, id: str, *, simulate_check: bool = False) -> types.MonitorRequest:
        """GET /monitor/{id}.  ``simulate_check`` (test environment only) makes the API check
        the watched fields now and call back, as its periodic check would."""
        if simulate_check and not self.sandbox:
            raise ValueError("simulate_check is only available in the test environment")
        params = {"callback": ""} if simulate_check else None
        return self._monitor(self._call("GET", f"/monitor/{_seg(id)}", params=params, read=True))

    def delete_monitor(self, id: str) -> str:
        """DELETE /monitor/{id}: the API's message ("1 deleted monitor").  Sent once."""
        return self._call("DELETE", f"/monitor/{_seg(id)}").message

    def _monitor(self, answer: Answer) -> types.MonitorRequest:
        return types.MonitorRequest.from_raw(self._object(answer, "a monitor"))
