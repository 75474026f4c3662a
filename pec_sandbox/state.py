"""The sandbox's account: boxes, comunica requests, wallet, tokens; persisted as JSON.

Every public method takes the lock, applies due time-based transitions (in_evasione -> evasa,
codice_in_richiesta -> in_attesa_di_documenti, documenti_caricati -> comunicazione_evasa),
performs one API operation and, when something changed, writes the whole state atomically.
Errors are raised as :class:`ApiError` with the spec's HTTP status and error number; numbers the
spec does not give are marked [I] (invented, in the spec's numbering neighbourhood).
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import io
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from openapi_pec.domains import SANDBOX_DOMAINS
from openapi_pec.prices import is_upgrade, price
from openapi_pec.types import (
    LEGALMAIL_TYPES,
    SOTTOTIPI_CLIENTE,
    Qualifica,
    RegistrationRequest,
    StatoCasella,
    StatoComunica,
    TipoCasella,
    TipoCliente,
    TipoDocumento,
)

from .p7m import is_p7m
from .pdf import make_pdf

logger = logging.getLogger("pec_sandbox")

ID_RE = re.compile(r"^[0-9a-f]{24}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$")
DOMAIN_RE = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
DATE_FIELDS = (
    "data_nascita_richiedente",
    "data_scadenza_documento",
    "data_rilascio_documento",
)
LEGALMAIL = {str(t) for t in LEGALMAIL_TYPES}
#: Default spaces in MB per box type [I: ASSUMED, GOLD from the product page: 5 GB + 13 GB].
DEFAULT_SPACES = {
    "STANDARD": (1024, 1024),
    "BRONZE": (2048, 2048),
    "SILVER": (3072, 3072),
    "GOLD": (5120, 13312),
    "DOMICILIODIGITALE": (1024, 1024),
    "PECMASSIVA": (1024, 1024),
}
#: Domains the domini_pec check knows as PEC-provider domains (besides the custom ones).
PROVIDER_DOMAINS = {
    "legalmail.it",
    "testcert.legalmail.it",
    "domiciliodigitale.com",
    "test.domiciliodigitale.com",
    "pecmassiva.com",
    "test.pecmassiva.com",
    "pec.it",
    "arubapec.it",
    "postacert.it",
    "pec.libero.it",
    "legalmail.net",
    "cert.legalmail.it",
}
SANDBOX_PEC_HOST = "test.pec.openapi.it"
MAX_USERS = 25


class ApiError(Exception):
    def __init__(self, status: int, message: str, error: int | None = None, plain=False):
        super().__init__(message)
        self.status, self.message, self.error, self.plain = status, message, error, plain


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _fmt(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def _parse(d: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(d, "%d/%m/%Y").date()
    except (TypeError, ValueError):
        return None


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _ts(d: dt.date) -> int:
    return int(dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC).timestamp())


def _new_id() -> str:
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds")


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}


def _decode_documents(value: Any, missing: tuple[int, str, int]) -> list[bytes]:
    """``documenti`` as string or list of base64 strings -> bytes; missing -> ApiError."""
    items = [value] if isinstance(value, str) else value
    if not items or not isinstance(items, list) or not all(isinstance(x, str) and x for x in items):
        raise ApiError(*missing)
    out = []
    for item in items:
        if item.startswith("data:"):  # the API takes plain base64 only
            raise ApiError(406, "wrong file format, plain base64 required", 296)
        try:
            out.append(base64.b64decode(item, validate=True))
        except (binascii.Error, ValueError):
            raise ApiError(406, "wrong file format, base64 required", 296) from None
    return out


def _pdf_text(data: bytes) -> str | None:
    """The text of a PDF, or None when ``data`` is not a readable PDF."""
    if b"%PDF-" not in data[:1024]:
        return None
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted or not reader.pages:
            return None
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception:
        return None


class Sandbox:
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
            self.on_change(kind, _public(record))

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
        for box in self.state["caselle"].values():
            pending = box.get("_pending")
            if pending and pending["due"] > now:
                still = True
            elif pending:
                box.pop("_pending")
                if pending["to"] == StatoCasella.EVASA:
                    self._make_evasa(box, now)
                else:
                    box["stato"] = pending["to"]
                box["timestamp"]["ultima_modifica"] = int(now)
                changed = True
                self._notify("caselle", box)
        for req in self.state["comunica"].values():
            pending = req.get("_pending")
            if pending and pending["due"] > now:
                still = True
            elif pending:
                req.pop("_pending")
                req["stato"] = pending["to"]
                req["timestamp"] = int(now)
                if pending["to"] == StatoComunica.IN_ATTESA_DI_DOCUMENTI:
                    pass
                elif pending["to"] == StatoComunica.COMUNICAZIONE_EVASA:
                    req["codice_registro_imprese"] = f"RI{secrets.randbelow(10**8):08d}"
                    req["documenti_registro_imprese"] = [f"{req['id']}_0_registro_imprese.p7m"]
                changed = True
                self._notify("comunica", req)
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

    @staticmethod
    def _make_evasa(box: dict[str, Any], now: float) -> None:
        today = _today()
        box["stato"] = StatoCasella.EVASA.value
        if not box.get("data_attivazione"):
            box["data_attivazione"] = _fmt(today)
        if not _parse(box.get("data_scadenza", "")):
            box["data_scadenza"] = _fmt(_add_years(today, 1))
        box["timestamp"]["evasione"] = int(now)
        box["timestamp"]["scadenza"] = _ts(_parse(box["data_scadenza"]))

    # ------------------------------------------------------------------ wallet

    @property
    def credit(self) -> Decimal:
        return Decimal(self.state["credit"])

    def _charge(self, operation: str, ident: str, amount: Decimal, error: int) -> None:
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
                "createdAt": _iso(now),
                "description": f"API usage - {SANDBOX_PEC_HOST} {operation}",
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
                        "createdAt": _iso(now),
                        "description": "Wallet recharge" if delta > 0 else "Wallet adjustment",
                    }
                )
            self.save()
            return value

    def wallet(self) -> dict[str, Any]:
        with self.lock:
            return {
                "credit": float(self.credit),
                "createdAt": _iso(self.state["wallet_created"]),
                "updatedAt": _iso(self.state["wallet_updated"]),
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
        known = {f"{m}:{SANDBOX_PEC_HOST}/{s}" for m, s in _SCOPES}
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
            "createdAt": _iso(now),
            "updatedAt": _iso(now),
            "expireAt": _iso(now + ttl),
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

    # ------------------------------------------------------------------ boxes

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

    def _box(self, ident: str, wrong: int, missing: int, plain: bool = False) -> dict[str, Any]:
        return self._lookup("caselle", "no pec found", ident, wrong, missing, plain)

    def list_caselle(self) -> list[dict[str, Any]]:
        with self.lock:
            self._advance()
            keys = ("id", "casella_pec", "tipo_casella", "stato", "data_scadenza", "timestamp")
            items = [
                {
                    **{k: b.get(k) for k in keys},
                    "timestamp": dict(b.get("timestamp") or {}),
                    "owner": b["owner"],
                }
                for b in self.state["caselle"].values()
            ]
        if not items:
            raise ApiError(404, "no pec linked to this account", 200)
        return items

    def get_casella(self, ident: str) -> dict[str, Any]:
        with self.lock:
            self._advance()
            return _public(self._box(ident, 201, 202))

    def register(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(428, "casella_pec required", 224)
        for name in RegistrationRequest.REQUIRED:
            value = body.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ApiError(428, f"{name} required", 224)
        data = {k: v for k, v in body.items() if k in _BOX_FIELDS}
        for name, value in data.items():
            if name in ("callback", "autorinnovo"):
                continue
            if not isinstance(value, str):
                raise ApiError(406, f"{name} not valid", 242)
        data["tipo_casella"] = data["tipo_casella"].upper()
        data["tipo_cliente"] = data["tipo_cliente"].upper()
        data["sesso_richiedente"] = data["sesso_richiedente"].upper()
        for name in ("nazione_titolare", "nazione_nascita_richiedente"):
            data[name] = data[name].upper()
        checks = (
            ("tipo_casella", {str(t) for t in TipoCasella}),
            ("tipo_cliente", {str(t) for t in TipoCliente}),
            ("sesso_richiedente", {"M", "F"}),
        )
        for name, allowed in checks:
            if data[name] not in allowed:
                raise ApiError(406, f"{name} not valid", 242)
        subtype = (data.get("sottotipo_cliente") or "").upper()
        if subtype:
            allowed_subtypes = SOTTOTIPI_CLIENTE.get(TipoCliente(data["tipo_cliente"]), {"X": ""})
            if subtype not in allowed_subtypes:
                raise ApiError(406, "sottotipo_cliente not valid", 242)
            data["sottotipo_cliente"] = subtype
        if data.get("tipo_documento"):
            data["tipo_documento"] = data["tipo_documento"].upper()
            if data["tipo_documento"] not in {str(t) for t in TipoDocumento}:
                raise ApiError(406, "tipo_documento not valid", 242)
        for name in DATE_FIELDS:
            if data.get(name) and not _parse(data[name]):
                raise ApiError(406, f"{name} not valid, accepted format: dd/mm/yyyy", 242)
        if "autorinnovo" in data and not isinstance(data["autorinnovo"], bool):
            raise ApiError(406, "autorinnovo not valid", 242)
        callback = data.get("callback")
        if callback is not None and (not isinstance(callback, dict) or not callback.get("url")):
            raise ApiError(406, "callback not valid", 242)
        address = data["casella_pec"].strip().lower()
        if not EMAIL_RE.match(address):
            raise ApiError(406, "casella_pec not valid", 242)
        domain = address.split("@", 1)[1]
        tipo = data["tipo_casella"]
        with self.lock:
            self._advance()
            if domain != SANDBOX_DOMAINS[tipo] and domain not in self.state["custom_domains"]:
                raise ApiError(
                    404,
                    f"the domain {domain} is non-existent in the system or belongs to someone else",
                    326,
                )
            if any(b["casella_pec"] == address for b in self.state["caselle"].values()):
                raise ApiError(406, "casella_pec already registered", 243)  # [I]
            ident = _new_id()
            self._charge("registrazione", ident, price("registrazione", tipo), 262)
            now = int(time.time())
            disco, storico = DEFAULT_SPACES[tipo]
            box = {
                **{k: "" for k in _BOX_FIELDS if k not in ("callback", "autorinnovo")},
                **data,
                "casella_pec": address,
                "callback": data.get("callback") or False,
                "autorinnovo": bool(data.get("autorinnovo", False)),
                "dominio": domain,
                "owner": self.owner,
                "timestamp": {"registrazione": now, "ultima_modifica": now},
                "cod_attivazione": f"{secrets.randbelow(10**8):08d}",
                "uid": f"MA{secrets.randbelow(10**6):06d}",
                "conservazione": False,
                "sms": False,
                "storico": True,
                "spazio_conservazione": 0,
                "spazio_disco": disco,
                "spazio_storico": storico,
                "stato": StatoCasella.REGISTRATA.value,
                "data_scadenza": "",
                "descrizione": address,
                "documenti_attivazione": [],
                "documenti_conservazione": [],
                "multiutenza": [],
                "id": ident,
            }
            self.state["caselle"][ident] = box
            self.save()
            return _public(box)

    def revoke(self, ident: str) -> dict[str, Any]:
        with self.lock:
            self._advance()
            box = self._box(ident, 301, 302)
            if box["stato"] == StatoCasella.REVOCATA:
                raise ApiError(406, "your pec has already been revoked", 303)
            if box["stato"] != StatoCasella.EVASA:
                raise ApiError(428, "you can revoke the pec only if it is active", 304)
            now = int(time.time())
            box["stato"] = StatoCasella.REVOCATA.value
            box["timestamp"]["revoca"] = now
            box["timestamp"]["ultima_modifica"] = now
            self._notify("caselle", box)
            self.save()
            return _public(box)

    def attivazione(self, ident: str, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        with self.lock:
            self._advance()
            box = self._box(ident, 265, 266)
            if box["stato"] not in (StatoCasella.REGISTRATA, StatoCasella.DOCUMENTI_ERRATI):
                raise ApiError(
                    428,
                    "you can activate the pec only when it is in the "
                    "'registrata|documenti_errati' state",
                    267,
                )
            docs = _decode_documents(body.get("documenti"), (428, "documenti required", 268))
            texts = [_pdf_text(d) for d in docs]
            if any(t is None for t in texts):
                raise ApiError(406, "wrong file format, pdf required", 296)
            if box["tipo_casella"] not in LEGALMAIL and len(docs) != 1:
                raise ApiError(  # [I] error number
                    406,
                    "a single pdf with the signed form and the identity document is required "
                    "for DOMICILIODIGITALE|PECMASSIVA boxes",
                    295,
                )
            wrong = any("DOCUMENTI ERRATI" in (t or "").upper() for t in texts) or any(
                b"DOCUMENTI ERRATI" in d for d in docs
            )
            now = time.time()
            box["stato"] = StatoCasella.IN_EVASIONE.value
            box["documenti_attivazione"] = [
                f"{ident}_{i}_attivazione.pdf" for i in range(len(docs))
            ]
            box["timestamp"]["ultima_modifica"] = int(now)
            target = StatoCasella.DOCUMENTI_ERRATI if wrong else StatoCasella.EVASA
            box["_pending"] = {"due": now + self.evasione_seconds, "to": target.value}
            self.pending_hint = True
            self._notify("caselle", box)
            self.save()
            if self.evasione_seconds <= 0:
                self._advance()
            return _public(box)

    def _legalmail_only(self, box: dict[str, Any]) -> None:
        if box["tipo_casella"] not in LEGALMAIL:
            raise ApiError(
                428,
                "this service cannot be activated on these boxes: DOMICILIODIGITALE|PECMASSIVA",
                390,
            )

    def modifica(self, ident: str, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        with self.lock:
            self._advance()
            box = self._box(ident, 265, 266)
            self._legalmail_only(box)
            if box["stato"] != StatoCasella.EVASA:
                raise ApiError(428, "you can change the pec only if it has been processed", 281)
            wanted: dict[str, int] = {}
            for name, step in (
                ("spazio_disco", 1024),
                ("spazio_storico", 1024),
                ("spazio_conservazione", 512),
            ):
                if name not in body or body[name] in (None, ""):
                    continue
                raw = body[name]
                relative = isinstance(raw, str) and raw.strip().startswith("+")
                try:
                    number = int(str(raw).strip().lstrip("+")) if not isinstance(raw, bool) else -1
                except ValueError:
                    raise ApiError(406, f"{name} not valid", 325) from None
                if number <= 0 or number % step:
                    raise ApiError(
                        406, f"the system only takes into account multiples of {step}", 325
                    )
                current = int(box.get(name) or 0)
                value = current + number if relative else number
                if value < current:
                    raise ApiError(406, "only a space upgrade is allowed", 286)  # [I]
                wanted[name] = value
            if not wanted:
                raise ApiError(428, "spazio_disco required", 283)  # [I]
            if "spazio_conservazione" in wanted and not box.get("conservazione"):
                raise ApiError(428, "you must first activate the 'conservazione' service", 282)
            amount = price(
                "modifica",
                disco_mb=wanted.get("spazio_disco", box["spazio_disco"]) - box["spazio_disco"],
                storico_mb=wanted.get("spazio_storico", box["spazio_storico"])
                - box["spazio_storico"],
                conservazione_mb=wanted.get("spazio_conservazione", box["spazio_conservazione"])
                - box["spazio_conservazione"],
            )
            self._charge("modifica", ident, amount, 290)
            box.update(wanted)
            box["timestamp"]["ultima_modifica"] = int(time.time())
            self.save()
            return _public(box)

    def conservazione(self, ident: str, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        with self.lock:
            self._advance()
            box = self._box(ident, 265, 266)
            self._legalmail_only(box)
            if box.get("conservazione"):
                raise ApiError(406, "conservazione service is already active", 293)
            if box["stato"] != StatoCasella.EVASA:
                raise ApiError(  # [I] error number
                    428, "you cannot activate conservation if you do not first activate a pec", 292
                )
            docs = _decode_documents(body.get("documenti"), (428, "documenti required", 294))
            if any(_pdf_text(d) is None for d in docs):
                raise ApiError(406, "wrong file format, pdf required", 296)
            raw = body.get("spazio_conservazione", 512)
            try:
                size = int(str(raw)) if not isinstance(raw, bool) else -1
            except ValueError:
                size = -1
            if size <= 0 or size % 512:
                raise ApiError(406, "the system only takes into account multiples of 512", 325)
            self._charge(
                "conservazione", ident, price("conservazione", spazio_conservazione=size), 297
            )
            box["conservazione"] = True
            box["spazio_conservazione"] = size
            box["documenti_conservazione"] = [
                f"{ident}_{i}_conservazione.pdf" for i in range(len(docs))
            ]
            box["timestamp"]["ultima_modifica"] = int(time.time())
            self.save()
            return _public(box)

    def trasformazione(self, ident: str, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        with self.lock:
            self._advance()
            box = self._box(ident, 265, 266)
            self._legalmail_only(box)
            if box["stato"] != StatoCasella.EVASA:
                raise ApiError(
                    428, "you can trasform your certified mail only if it has been processed", 272
                )
            target = str(body.get("tipo_casella") or "").upper()
            if not target:
                raise ApiError(428, "tipo_casella required", 271)  # [I]
            if target not in LEGALMAIL or not is_upgrade(box["tipo_casella"], target):
                higher = [
                    t for t in ("BRONZE", "SILVER", "GOLD") if is_upgrade(box["tipo_casella"], t)
                ]
                raise ApiError(
                    406,
                    "a downgrade of the 'tipo_casella' is not allowed; only "
                    f"{' or '.join(higher) or 'nothing'} allowed",
                    276,
                )
            amount = price("trasformazione", target, da=box["tipo_casella"])
            self._charge("trasformazione", ident, amount, 279)
            box["tipo_casella"] = target
            disco, storico = DEFAULT_SPACES[target]
            box["spazio_disco"] = max(box["spazio_disco"], disco)
            box["spazio_storico"] = max(box["spazio_storico"], storico)
            box["timestamp"]["ultima_modifica"] = int(time.time())
            self.save()
            return _public(box)

    def rinnovo(self, ident: str, anni_raw: Any) -> dict[str, Any]:
        with self.lock:
            self._advance()
            box = self._box(ident, 201, 202)
            if box["stato"] not in (StatoCasella.EVASA, StatoCasella.REVOCATA):
                raise ApiError(428, "you can renew only evaded or revoked pec", 203)
            try:
                anni = int(anni_raw) if anni_raw not in (None, "") else 1
            except (TypeError, ValueError):
                anni = 0
            if anni < 1 or anni > 10:
                raise ApiError(406, "anni not valid", 204)  # [I]
            self._charge("rinnovo", ident, price("rinnovo", box["tipo_casella"], anni=anni), 205)
            now = int(time.time())
            base = _parse(box.get("data_scadenza", "")) or _today()
            box["data_scadenza"] = _fmt(
                _add_years(
                    max(base, _today()) if box["stato"] == StatoCasella.REVOCATA else base, anni
                )
            )
            box["timestamp"]["scadenza"] = _ts(_parse(box["data_scadenza"]))
            if box["stato"] == StatoCasella.REVOCATA:
                box["stato"] = StatoCasella.EVASA.value
                box["timestamp"].pop("revoca", None)
                self._notify("caselle", box)
            box["timestamp"]["ultima_modifica"] = now
            self.save()
            return _public(box)

    def multiutenza(self, ident: str, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        with self.lock:
            self._advance()
            box = self._box(ident, 212, 213)
            self._legalmail_only(box)
            for name in ("nome", "cognome", "descrizione", "email_gestione_password"):
                if not isinstance(body.get(name), str) or not body[name].strip():
                    raise ApiError(428, f"{name} required", 214)  # [I]
            if not EMAIL_RE.match(body["email_gestione_password"]):
                raise ApiError(406, "email_gestione_password not valid", 216)  # [I]
            users = box.setdefault("multiutenza", [])
            if len(users) >= MAX_USERS:
                raise ApiError(406, f"maximum number of users reached: {MAX_USERS}", 217)
            self._charge("multiutenza", ident, price("multiutenza"), 220)
            users.append(
                {
                    "nome": body["nome"],
                    "cognome": body["cognome"],
                    "descrizione": body["descrizione"],
                    "email_gestione_password": body["email_gestione_password"],
                    "id_utenza": f"{ident}_{len(users)}",
                    "timestamp": {"attivazione": int(time.time())},
                    "userid": f"MA{secrets.randbelow(10**6):06d}",
                }
            )
            box["timestamp"]["ultima_modifica"] = int(time.time())
            self.save()
            return _public(box)

    def modulo(self, ident: str, kind: str) -> bytes:
        with self.lock:
            self._advance()
            box = self._box(ident, 400, 404, plain=True)
            if kind == "conservazione" and box["stato"] != StatoCasella.EVASA:
                raise ApiError(
                    406,
                    "you cannot activate conservation if you do not first activate a pec",
                    None,
                    plain=True,
                )
            box = copy.deepcopy(box)
        title = (
            "Modulo di attivazione casella PEC"
            if kind == "attivazione"
            else "Modulo di attivazione della conservazione a norma"
        )
        lines = [
            f"Casella: {box['casella_pec']}  ({box['tipo_casella']})",
            f"Id richiesta: {box['id']}   Codice attivazione: {box['cod_attivazione']}",
            f"Richiedente: {box['nome_richiedente']} {box['cognome_richiedente']}",
            f"Codice fiscale: {box['codice_fiscale_richiedente']}",
            f"Nato/a il: {box['data_nascita_richiedente']}",
            f"Titolare: {box.get('denominazione_titolare') or '-'} "
            f"{box.get('cf_piva_titolare') or ''}",
            f"Indirizzo: {box['indirizzo_titolare']}, {box['cap_titolare']} "
            f"{box['comune_titolare']} ({box['provincia_titolare']})",
            "",
            "Firma del richiedente: ______________________",
            "SANDBOX - documento di prova, senza valore legale",
        ]
        return make_pdf(title, lines)

    # ------------------------------------------------------------------ comunica

    def _req(self, ident: str, wrong: int, missing: int, plain: bool = False) -> dict[str, Any]:
        return self._lookup("comunica", "no request found", ident, wrong, missing, plain)

    def list_comunica(self) -> list[dict[str, Any]]:
        with self.lock:
            self._advance()
            items = [
                {k: r.get(k) for k in ("id", "casella_pec", "stato", "timestamp", "owner")}
                for r in self.state["comunica"].values()
            ]
        if not items:
            raise ApiError(404, "no request linked to this account", 332)
        return items

    def get_comunica(self, ident: str) -> dict[str, Any]:
        with self.lock:
            self._advance()
            return _public(self._req(ident, 333, 334))

    def create_comunica(self, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        required = (
            "casella_pec",
            "cf",
            "nome",
            "cognome",
            "qualifica",
            "email",
            "cellulare",
            "ragione_sociale",
            "cf_piva",
            "comune",
            "provincia",
        )
        for name in required:
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise ApiError(428, f"{name} required", 344)
        if not EMAIL_RE.match(body["casella_pec"].strip()):
            raise ApiError(406, "invalid casella_pec", 336)
        qualifica = body["qualifica"].upper()
        if qualifica not in {str(q) for q in Qualifica}:
            raise ApiError(406, "invalid qualifica", 337)  # [I]
        pec_amm = body.get("pec_amministratore", False)
        if not isinstance(pec_amm, bool):
            raise ApiError(406, "invalid pec_amministratore", 338)  # [I]
        callback = body.get("callback")
        if callback is not None and (not isinstance(callback, dict) or not callback.get("url")):
            raise ApiError(406, "invalid callback", 339)  # [I]
        with self.lock:
            self._advance()
            ident = _new_id()
            self._charge("comunica", ident, price("comunica"), 351)
            now = time.time()
            req = {
                **{k: body[k].strip() for k in required},
                "casella_pec": body["casella_pec"].strip().lower(),
                "qualifica": qualifica,
                "pec_amministratore": pec_amm,
                "callback": callback or False,
                "stato": StatoComunica.CODICE_IN_RICHIESTA.value,
                "codice_registro_imprese": "",
                "documenti_registro_imprese": [],
                "owner": self.owner,
                "timestamp": int(now),
                "id": ident,
                "_pending": {
                    "due": now + self.comunica_seconds,
                    "to": StatoComunica.IN_ATTESA_DI_DOCUMENTI.value,
                },
            }
            self.state["comunica"][ident] = req
            self.pending_hint = True
            self.save()
            if self.comunica_seconds <= 0:
                self._advance()
            return _public(req)

    def upload_comunica(self, ident: str, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        with self.lock:
            self._advance()
            req = self._req(ident, 353, 354)
            docs = _decode_documents(body.get("documenti"), (428, "documenti required", 356))
            if req["stato"] != StatoComunica.IN_ATTESA_DI_DOCUMENTI:
                raise ApiError(
                    406,
                    "you can only upload documents when stato is 'in_attesa_di_documenti'",
                    355,
                )
            if not all(is_p7m(d) for d in docs):
                raise ApiError(406, "wrong file format, p7m required", 357)  # [I]
            now = time.time()
            req["stato"] = StatoComunica.DOCUMENTI_CARICATI.value
            req["timestamp"] = int(now)
            req["_pending"] = {
                "due": now + self.comunica_seconds,
                "to": StatoComunica.COMUNICAZIONE_EVASA.value,
            }
            self.pending_hint = True
            self._notify("comunica", req)
            self.save()
            if self.comunica_seconds <= 0:
                self._advance()
            return _public(req)

    def procura(self, ident: str) -> bytes:
        with self.lock:
            self._advance()
            req = self._req(ident, 400, 404, plain=True)
            if req["stato"] == StatoComunica.CODICE_IN_RICHIESTA:
                raise ApiError(
                    406, "you cannot download this module, it doesn't exist yet", None, plain=True
                )
            req = copy.deepcopy(req)
        lines = [
            f"Casella PEC da comunicare: {req['casella_pec']}",
            f"Impresa: {req['ragione_sociale']}  CF/P.IVA: {req['cf_piva']}",
            f"Sede: {req['comune']} ({req['provincia']})",
            f"Delegante: {req['nome']} {req['cognome']}  CF: {req['cf']}  ({req['qualifica']})",
            f"Id richiesta: {req['id']}",
            "",
            "Firmare digitalmente (CAdES, .p7m) e caricare con PATCH /comunica_pec/{id}.",
            "SANDBOX - documento di prova, senza valore legale",
        ]
        return make_pdf("Procura speciale - Comunicazione PEC al Registro Imprese", lines)

    # ------------------------------------------------------------------ control

    def force_stato(self, kind: str, ident: str, stato: str) -> dict[str, Any]:
        with self.lock:
            table = self.state["caselle" if kind == "caselle" else "comunica"]
            record = table.get(ident)
            if record is None:
                raise ApiError(404, "not found", None)
            record.pop("_pending", None)
            if kind == "caselle":
                if stato == StatoCasella.EVASA:
                    self._make_evasa(record, time.time())
                record["stato"] = stato
                record["timestamp"]["ultima_modifica"] = int(time.time())
            else:
                record["stato"] = stato
                if stato == StatoComunica.COMUNICAZIONE_EVASA and not record.get(
                    "codice_registro_imprese"
                ):
                    record["codice_registro_imprese"] = f"RI{secrets.randbelow(10**8):08d}"
                    record["documenti_registro_imprese"] = [f"{ident}_0_registro_imprese.p7m"]
            self._notify(kind if kind == "comunica" else "caselle", record)
            self.save()
            return _public(record)

    def set_stati(self, ids: list[str], stato: str) -> int:
        """Control: force one status on many boxes at once (a bulk change for benchmarks)."""
        now = int(time.time())
        with self.lock:
            n = 0
            for ident in ids:
                box = self.state["caselle"].get(ident)
                if box is None:
                    continue
                box.pop("_pending", None)
                if stato == StatoCasella.EVASA:
                    self._make_evasa(box, now)
                box["stato"] = stato
                box["timestamp"]["ultima_modifica"] = now
                self._notify("caselle", box)
                n += 1
            self.save()
            return n

    def seed(
        self,
        n: int,
        *,
        stato: str = "evasa",
        tipo: str = "STANDARD",
        prefix: str = "seed",
        callback: dict[str, Any] | None = None,
    ) -> list[str]:
        """Control: create ``n`` lean boxes at once, free of charge (benchmarks: 100,000 boxes
        in a second or two instead of 100,000 POST /pec)."""
        if tipo not in {str(t) for t in TipoCasella}:
            raise ApiError(406, "tipo_casella not valid", 242)
        if stato not in {str(s) for s in StatoCasella}:
            raise ApiError(406, "stato not valid", 242)
        domain = SANDBOX_DOMAINS[tipo]
        now = int(time.time())
        scadenza = _fmt(_add_years(_today(), 1))
        ids = []
        with self.lock:
            start = len(self.state["caselle"])
            for i in range(start, start + int(n)):
                ident = f"{now:08x}{i:016x}"
                box = {
                    "id": ident,
                    "casella_pec": f"{prefix}{i:07d}@{domain}",
                    "tipo_casella": tipo,
                    "stato": stato,
                    "data_scadenza": scadenza if stato == StatoCasella.EVASA else "",
                    "owner": self.owner,
                    "callback": callback or False,
                    "autorinnovo": False,
                    "dominio": domain,
                    "timestamp": {"registrazione": now, "ultima_modifica": now},
                }
                self.state["caselle"][ident] = box
                ids.append(ident)
            self.save()
        return ids


_SCOPES = (
    ("GET", "domini_pec"),
    ("GET", "verifica_pec"),
    ("GET", "pec"),
    ("POST", "pec"),
    ("PATCH", "pec"),
    ("DELETE", "pec"),
    ("GET", "comunica_pec"),
    ("POST", "comunica_pec"),
    ("PATCH", "comunica_pec"),
    ("GET", "dominio"),
    ("POST", "dominio"),
    ("DELETE", "dominio"),
)
_BOX_FIELDS = frozenset(
    {
        "casella_pec",
        "tipo_casella",
        "tipo_cliente",
        "sottotipo_cliente",
        "sottotipo_cliente_altro",
        "nome_richiedente",
        "cognome_richiedente",
        "email",
        "telefono",
        "cellulare",
        "codice_fiscale_richiedente",
        "data_nascita_richiedente",
        "sesso_richiedente",
        "nazione_nascita_richiedente",
        "comune_nascita_richiedente",
        "provincia_nascita_richiedente",
        "denominazione_titolare",
        "cf_piva_titolare",
        "indirizzo_titolare",
        "comune_titolare",
        "cap_titolare",
        "nazione_titolare",
        "provincia_titolare",
        "callback",
        "autorinnovo",
        "tipo_documento",
        "numero_documento",
        "data_scadenza_documento",
        "documento_rilasciato_da",
        "data_rilascio_documento",
    }
)


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
