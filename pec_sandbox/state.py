"""The sandbox's account: boxes, comunica requests, wallet, tokens; persisted as JSON.

Every public method takes the lock, applies due time-based transitions (in_evasione -> evasa,
codice_in_richiesta -> in_attesa_di_documenti, documenti_caricati -> comunicazione_evasa),
performs one API operation and, when something changed, writes the whole state atomically.
The box, comunica and control calls live in boxes.py, comunica.py and control.py; the API's
vocabulary in tables.py.  The Company API's companies and monitors live in companies.py (its
vocabulary in company_tables.py) and share the wallet and the tokens.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from .boxes import BoxOperations
from .common import (
    DOMAIN_RE,
    EMAIL_RE,
    ID_RE,
    ApiError,
    add_years,
    fmt_date,
    iso,
    noon_timestamp,
    parse_date,
    public,
    today,
)
from .companies import CompanyOperations
from .company_tables import COMPANY_SCOPES, SANDBOX_COMPANY_HOST
from .comunica import ComunicaOperations
from .control import ControlOperations
from .tables import (
    PROVIDER_DOMAINS,
    SANDBOX_DOMAINS,
    SANDBOX_PEC_HOST,
    SCOPES,
    StatoCasella,
    StatoComunica,
)

__all__ = ["ApiError", "Sandbox", "scope_allows"]

logger = logging.getLogger("pec_sandbox")


class Sandbox(BoxOperations, ComunicaOperations, CompanyOperations, ControlOperations):
    """The account; its API calls are grouped by resource in the classes it is made of."""

    def __init__(
        self,
        state_path: str | os.PathLike[str] | None,
        *,
        evasione_seconds: float = 5.0,
        comunica_seconds: float = 5.0,
        start_credit: Decimal | str = "1000.00",
        custom_domains: tuple[str, ...] = ("studio-demo.it",),
        owner: str = "demo@studio-demo.it",
        apikey: str = "sandbox-apikey",
        demo_token: str = "demo-token",  # noqa: S107 - the public demo token
    ) -> None:
        self.path = Path(state_path) if state_path else None
        self.evasione_seconds = float(evasione_seconds)
        self.comunica_seconds = float(comunica_seconds)
        self.start_credit = Decimal(str(start_credit))
        self.default_domains = tuple(d.lower() for d in custom_domains)
        self.owner = owner
        self.apikey = apikey
        self.demo_token = demo_token
        self.lock = threading.RLock()
        #: Called (under the lock) with ("caselle"|"comunica", public record) when a record that
        #: asked for a callback changes status; the server delivers it.
        self.on_change = None
        #: False when no time-based transition is pending (the background tick skips its scan).
        self.pending_hint = True
        self.state = self._initial()
        if self.path and self.path.exists():
            try:
                self.state = {**self.state, **json.loads(self.path.read_text("utf-8"))}
            except (OSError, ValueError):
                logger.warning("sandbox: unreadable state %s, starting afresh", self.path)

    # ------------------------------------------------------------------ persistence

    def _initial(self) -> dict[str, Any]:
        now = time.time()
        return {
            "caselle": {},
            "comunica": {},
            "credit": str(self.start_credit),
            "wallet_created": now,
            "wallet_updated": now,
            "charges": [],
            "transactions": [],
            "tokens": {},
            "custom_domains": list(self.default_domains),
            "companies": {},
            "company_ids": {},
            "monitors": {},
        }

    def save(self) -> None:
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sandbox-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.state, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def reset(self) -> None:
        with self.lock:
            self.state = self._initial()
            self.save()

    # ------------------------------------------------------------------ time-based transitions

    def _notify(self, kind: str, record: dict[str, Any]) -> None:
        if self.on_change is not None and isinstance(record.get("callback"), dict):
            self.on_change(kind, public(record))

    def tick(self) -> None:
        """Apply due transitions now (the server's background thread), so that callbacks leave
        on time even when nobody calls the API."""
        if self.pending_hint:
            with self.lock:
                self._advance()

    def _advance(self) -> None:
        if not self.pending_hint:
            return
        now = time.time()
        changed = False
        still = False
        for kind in ("caselle", "comunica"):
            for record in self.state[kind].values():
                pending = record.get("_pending")
                if pending and pending["due"] > now:
                    still = True
                elif pending:
                    record.pop("_pending")
                    if kind == "comunica":
                        record["timestamp"] = int(now)
                    self._set_stato(kind, record, pending["to"], now)
                    changed = True
        self.pending_hint = still
        if changed:
            self.save()

    def advance_now(self) -> None:
        """Make every pending transition due now (control endpoint)."""
        with self.lock:
            for record in [*self.state["caselle"].values(), *self.state["comunica"].values()]:
                if record.get("_pending"):
                    record["_pending"]["due"] = 0
            self._advance()

    def _set_stato(self, kind: str, record: dict[str, Any], stato: str, now: float) -> None:
        """Put a box ("caselle") or a comunica request in ``stato``, with what comes with it: an
        active box gets its dates, a communicated request its Registro Imprese code and receipt.
        The record's callback is told."""
        if kind == "caselle":
            if stato == StatoCasella.EVASA:
                self._make_evasa(record, now)
            record["stato"] = stato
            record["timestamp"]["ultima_modifica"] = int(now)
        else:
            record["stato"] = stato
            if stato == StatoComunica.COMUNICAZIONE_EVASA and not record.get(
                "codice_registro_imprese"
            ):
                record["codice_registro_imprese"] = f"RI{secrets.randbelow(10**8):08d}"
                record["documenti_registro_imprese"] = [f"{record['id']}_0_registro_imprese.p7m"]
        self._notify(kind, record)

    @staticmethod
    def _make_evasa(box: dict[str, Any], now: float) -> None:
        day = today()
        box["stato"] = StatoCasella.EVASA.value
        if not box.get("data_attivazione"):
            box["data_attivazione"] = fmt_date(day)
        if not parse_date(box.get("data_scadenza", "")):
            box["data_scadenza"] = fmt_date(add_years(day, 1))
        box["timestamp"]["evasione"] = int(now)
        box["timestamp"]["scadenza"] = noon_timestamp(parse_date(box["data_scadenza"]))

    # ------------------------------------------------------------------ wallet

    @property
    def credit(self) -> Decimal:
        return Decimal(self.state["credit"])

    def _charge(
        self, operation: str, ident: str, amount: Decimal, error: int, host=SANDBOX_PEC_HOST
    ) -> None:
        if amount > self.credit:
            raise ApiError(402, f"Insufficient Credit in Wallet: {self.credit:.2f}", error)
        if amount <= 0:
            return
        now = time.time()
        self.state["credit"] = str(self.credit - amount)
        self.state["wallet_updated"] = now
        self.state["charges"].append(
            {"operation": operation, "id": ident, "amount": str(amount), "time": now}
        )
        self.state["transactions"].append(
            {
                "id": f"txn_{secrets.token_hex(12)}",
                "amount": float(-amount),
                "createdAt": iso(now),
                "description": f"API usage - {host} {operation}",
            }
        )

    def set_credit(self, amount: Any) -> Decimal:
        with self.lock:
            value = Decimal(str(amount)).quantize(Decimal("0.01"))
            now = time.time()
            delta = value - self.credit
            self.state["credit"] = str(value)
            self.state["wallet_updated"] = now
            if delta:
                self.state["transactions"].append(
                    {
                        "id": f"txn_{secrets.token_hex(12)}",
                        "amount": float(delta),
                        "createdAt": iso(now),
                        "description": "Wallet recharge" if delta > 0 else "Wallet adjustment",
                    }
                )
            self.save()
            return value

    def wallet(self) -> dict[str, Any]:
        with self.lock:
            return {
                "credit": float(self.credit),
                "createdAt": iso(self.state["wallet_created"]),
                "updatedAt": iso(self.state["wallet_updated"]),
            }

    def transactions(self, skip: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        with self.lock:
            items = list(reversed(self.state["transactions"]))
            return copy.deepcopy(items[max(skip, 0) : max(skip, 0) + max(min(limit, 100), 0)])

    def charges(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.state["charges"])

    # ------------------------------------------------------------------ tokens

    def mint_token(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or "scopes" not in body:
            raise ApiError(422, "missing scopes array", 70)
        scopes = body["scopes"]
        pattern = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|\*):[A-Za-z0-9.*-]+/[A-Za-z0-9_*-]+$")
        if not isinstance(scopes, list) or not scopes:
            raise ApiError(422, "missing scopes array", 70)
        if not all(isinstance(s, str) and pattern.match(s) for s in scopes):
            raise ApiError(422, "invalid scopes format", 80)
        known = {f"{m}:{SANDBOX_PEC_HOST}/{s}" for m, s in SCOPES} | {
            f"{m}:{SANDBOX_COMPANY_HOST}/{s}" for m, s in COMPANY_SCOPES
        }
        if not all(s in known or s.split(":", 1)[1].startswith("*") for s in scopes):
            raise ApiError(422, "Invalid scopes specified or API not enabled", 90)
        try:
            ttl = int(body.get("ttl") or 0)
        except (TypeError, ValueError):
            ttl = 0
        if ttl <= 0:
            ttl = 30 * 86400
        ttl = min(ttl, 365 * 86400)
        now = time.time()
        token = secrets.token_hex(12)
        record = {
            "token": token,
            "name": str(body.get("name") or ""),
            "createdAt": iso(now),
            "updatedAt": iso(now),
            "expireAt": iso(now + ttl),
            "scopes": scopes,
            "refreshToken": secrets.token_hex(12),
            "limits": body.get("limits") if isinstance(body.get("limits"), dict) else {},
            "stats": {},
        }
        with self.lock:
            self.state["tokens"][token] = {**record, "_expires": now + ttl}
            self.save()
        return record

    def token_scopes(self, token: str) -> list[str] | None:
        """The scopes of a valid token, None when unknown or expired."""
        if token == self.demo_token:
            return ["*:*/*"]
        with self.lock:
            record = self.state["tokens"].get(token)
            if not record or record.get("_expires", 0) <= time.time():
                return None
            return list(record["scopes"])

    def expire_tokens(self) -> int:
        with self.lock:
            for record in self.state["tokens"].values():
                record["_expires"] = 0
            self.save()
            return len(self.state["tokens"])

    # ------------------------------------------------------------------ domains

    def custom_domains(self) -> list[str]:
        with self.lock:
            return list(self.state["custom_domains"])

    def set_domains(self, domains: list[str], replace: bool = False) -> list[str]:
        with self.lock:
            current = [] if replace else list(self.state["custom_domains"])
            for d in domains:
                d = str(d).lower().strip()
                if d and d not in current:
                    current.append(d)
            self.state["custom_domains"] = current
            self.save()
            return current

    def domini_pec(self, dominio: str) -> tuple[int, Any]:
        dominio = (dominio or "").strip().lower()
        if not dominio:
            raise ApiError(428, "domain required", 400)
        if not DOMAIN_RE.match(dominio):
            raise ApiError(406, "domain not valid", 401)
        with self.lock:
            if self.credit <= 0:  # [I] free call, but refused with an empty wallet
                raise ApiError(402, f"Insufficient Credit in Wallet: {self.credit:.2f}", 403)
            if dominio in PROVIDER_DOMAINS or dominio in self.state["custom_domains"]:
                return 200, ([dominio], f"{dominio} found!")
        return 204, None

    def verifica_pec(self, pec: str) -> bool:
        pec = (pec or "").strip().lower()
        if not pec:
            raise ApiError(428, "casella_pec required", 207)
        if not EMAIL_RE.match(pec):
            raise ApiError(406, "invalid casella_pec", 208)
        local, domain = pec.split("@", 1)
        with self.lock:
            allowed = set(SANDBOX_DOMAINS.values()) | set(self.state["custom_domains"])
            if domain not in allowed:
                raise ApiError(406, "invalid casella_pec", 208)
            taken = any(b["casella_pec"].lower() == pec for b in self.state["caselle"].values())
        return not (taken or local.startswith(("occupata", "taken")))

    # ------------------------------------------------------------------ records

    def _lookup(
        self, collection: str, not_found: str, ident: str, wrong: int, missing: int, plain: bool
    ) -> dict[str, Any]:
        """A box or a comunica request by id: 400 for a malformed id, 404 for an unknown one
        (``plain``: the text/plain wording of the PDF endpoints)."""
        if not ID_RE.match(ident or ""):
            raise ApiError(400, "Invalid id" if plain else "Wrong id", wrong, plain)
        item = self.state[collection].get(ident)
        if item is None:
            message = f"no request matches this id: {ident}" if plain else not_found
            raise ApiError(404, message, missing, plain)
        return item

    def _next_step(
        self,
        kind: str,
        record: dict[str, Any],
        to: str,
        seconds: float,
        now: float,
        *,
        notify: bool = True,
    ) -> dict[str, Any]:
        """The provider's next step on its own: ``record`` (a box or a comunica request) goes
        to ``to`` ``seconds`` after ``now`` (at once when 0 or less).  The change made so far is
        called back (``notify``: a change, not a creation), saved and answered."""
        record["_pending"] = {"due": now + seconds, "to": to}
        self.pending_hint = True
        if notify:
            self._notify(kind, record)
        self.save()
        if seconds <= 0:
            self._advance()
        return public(record)

    def _summaries(
        self, collection: str, keys: tuple[str, ...], empty: tuple[str, int]
    ) -> list[dict[str, Any]]:
        """GET /pec, GET /comunica_pec: the ``keys`` of every item (copies); 404 with the
        ``empty`` message and error number when there is none."""
        with self.lock:
            self._advance()
            items = [
                {k: copy.deepcopy(item.get(k)) for k in keys}
                for item in self.state[collection].values()
            ]
        if not items:
            raise ApiError(404, *empty)
        return items

    def _answer(self, find: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        """GET /pec/{id}, GET /comunica_pec/{id}: the item ``find(*args)`` looks up, as sent."""
        with self.lock:
            self._advance()
            return public(find(*args))

    def _form_source(
        self,
        find: Callable[..., dict[str, Any]],
        ident: str,
        refusal: Callable[[dict[str, Any]], str | None],
    ) -> dict[str, Any]:
        """A copy of the item a form (PDF) is made from: 400/404 in plain text as the PDF
        endpoints answer, 406 with ``refusal(item)`` when it says the form does not exist."""
        with self.lock:
            self._advance()
            item = find(ident, 400, 404, plain=True)
            reason = refusal(item)
            if reason:
                raise ApiError(406, reason, None, plain=True)
            return copy.deepcopy(item)


def scope_allows(scopes: list[str], method: str, host: str, segment: str) -> bool:
    """``METHOD:host/segment`` matching with ``*`` wildcards (method, host part, segment)."""
    for scope in scopes:
        try:
            m, rest = scope.split(":", 1)
            h, s = rest.split("/", 1)
        except ValueError:
            continue
        if m not in ("*", method):
            continue
        if not re.fullmatch(re.escape(h).replace(r"\*", ".*"), host):
            continue
        if s in ("*", segment):
            return True
    return False
