"""The box calls of the API (/pec and the paths below it): register, read, revoke, activate, the
paid changes (each charged to the wallet before it takes effect) and the forms to sign."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .common import (
    DATE_FIELDS,
    EMAIL_RE,
    ApiError,
    add_years,
    decode_documents,
    fmt_date,
    new_id,
    noon_timestamp,
    parse_date,
    pdf_text,
    public,
    today,
)
from .pdf import make_pdf
from .tables import (
    BOX_FIELDS,
    BOX_PRICES,
    BOX_REQUIRED,
    CONSERVAZIONE_ACTIVATION_PRICE,
    DEFAULT_SPACES,
    LEGALMAIL,
    MAX_USERS,
    MULTIUTENZA_PRICE,
    MULTIUTENZA_REQUIRED,
    SANDBOX_DOMAINS,
    SESSI,
    SOTTOTIPI_CLIENTE,
    SPACE_BLOCK_PRICES,
    TIPI_CASELLA,
    TIPI_CLIENTE,
    TIPI_DOCUMENTO,
    StatoCasella,
    is_upgrade,
    trasformazione_price,
)


def _paid_change(wrong: int, missing: int, *, legalmail: bool = True, json_body: bool = True):
    """A paid change of one box (PATCH /pec/{id}/..., POST .../multiutenza, GET .../rinnovo):
    under the lock, the box looked up (``wrong``/``missing``: the error numbers of a malformed
    and an unknown id), refused for a non-Legalmail box when ``legalmail``; ``apply(self, box,
    body)`` checks, charges and changes it (``body``: the JSON object sent, {} for anything else,
    or the raw value when not ``json_body``); then the change is stamped, saved and answered."""

    def decorate(apply: Callable[[Any, dict[str, Any], Any], None]) -> Callable[..., Any]:
        @functools.wraps(apply)
        def change(self, ident: str, body: Any) -> dict[str, Any]:
            if json_body and not isinstance(body, dict):
                body = {}
            with self.lock:
                self._advance()
                box = self._box(ident, wrong, missing)
                if legalmail:
                    self._legalmail_only(box)
                apply(self, box, body)
                box["timestamp"]["ultima_modifica"] = int(time.time())
                self.save()
                return public(box)

        return change

    return decorate


class BoxOperations:
    """The /pec calls of :class:`pec_sandbox.state.Sandbox`."""

    def _box(self, ident: str, wrong: int, missing: int, plain: bool = False) -> dict[str, Any]:
        return self._lookup("caselle", "no pec found", ident, wrong, missing, plain)

    def list_caselle(self) -> list[dict[str, Any]]:
        keys = ("id", "casella_pec", "tipo_casella", "stato", "data_scadenza", "timestamp", "owner")
        return self._summaries("caselle", keys, ("no pec linked to this account", 200))

    def get_casella(self, ident: str) -> dict[str, Any]:
        return self._answer(self._box, ident, 201, 202)

    def register(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(428, "casella_pec required", 224)
        for name in BOX_REQUIRED:
            value = body.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ApiError(428, f"{name} required", 224)
        data = {k: v for k, v in body.items() if k in BOX_FIELDS}
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
            ("tipo_casella", TIPI_CASELLA),
            ("tipo_cliente", TIPI_CLIENTE),
            ("sesso_richiedente", SESSI),
        )
        for name, allowed in checks:
            if data[name] not in allowed:
                raise ApiError(406, f"{name} not valid", 242)
        subtype = (data.get("sottotipo_cliente") or "").upper()
        if subtype:
            if subtype not in SOTTOTIPI_CLIENTE.get(data["tipo_cliente"], {"X"}):
                raise ApiError(406, "sottotipo_cliente not valid", 242)
            data["sottotipo_cliente"] = subtype
        if data.get("tipo_documento"):
            data["tipo_documento"] = data["tipo_documento"].upper()
            if data["tipo_documento"] not in TIPI_DOCUMENTO:
                raise ApiError(406, "tipo_documento not valid", 242)
        for name in DATE_FIELDS:
            if data.get(name) and not parse_date(data[name]):
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
            ident = new_id()
            self._charge("registrazione", ident, BOX_PRICES[tipo], 262)
            now = int(time.time())
            disco, storico = DEFAULT_SPACES[tipo]
            box = {
                **{k: "" for k in BOX_FIELDS if k not in ("callback", "autorinnovo")},
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
            return public(box)

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
            return public(box)

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
            docs = decode_documents(body.get("documenti"), (428, "documenti required", 268))
            texts = [pdf_text(d) for d in docs]
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
            return self._next_step("caselle", box, target.value, self.evasione_seconds, now)

    def _legalmail_only(self, box: dict[str, Any]) -> None:
        if box["tipo_casella"] not in LEGALMAIL:
            raise ApiError(
                428,
                "this service cannot be activated on these boxes: DOMICILIODIGITALE|PECMASSIVA",
                390,
            )

    @_paid_change(265, 266)
    def modifica(self, box: dict[str, Any], body: Any) -> None:
        if box["stato"] != StatoCasella.EVASA:
            raise ApiError(428, "you can change the pec only if it has been processed", 281)
        wanted: dict[str, int] = {}
        amount = Decimal("0")
        for name, (step, block_price) in SPACE_BLOCK_PRICES.items():
            if name not in body or body[name] in (None, ""):
                continue
            raw = body[name]
            relative = isinstance(raw, str) and raw.strip().startswith("+")
            try:
                number = int(str(raw).strip().lstrip("+")) if not isinstance(raw, bool) else -1
            except ValueError:
                raise ApiError(406, f"{name} not valid", 325) from None
            if number <= 0 or number % step:
                raise ApiError(406, f"the system only takes into account multiples of {step}", 325)
            current = int(box.get(name) or 0)
            value = current + number if relative else number
            if value < current:
                raise ApiError(406, "only a space upgrade is allowed", 286)  # [I]
            wanted[name] = value
            amount += block_price * -(-(value - current) // step)  # a part block is whole
        if not wanted:
            raise ApiError(428, "spazio_disco required", 283)  # [I]
        if "spazio_conservazione" in wanted and not box.get("conservazione"):
            raise ApiError(428, "you must first activate the 'conservazione' service", 282)
        self._charge("modifica", box["id"], amount, 290)
        box.update(wanted)

    @_paid_change(265, 266)
    def conservazione(self, box: dict[str, Any], body: Any) -> None:
        if box.get("conservazione"):
            raise ApiError(406, "conservazione service is already active", 293)
        if box["stato"] != StatoCasella.EVASA:
            raise ApiError(  # [I] error number
                428, "you cannot activate conservation if you do not first activate a pec", 292
            )
        docs = decode_documents(body.get("documenti"), (428, "documenti required", 294))
        if any(pdf_text(d) is None for d in docs):
            raise ApiError(406, "wrong file format, pdf required", 296)
        raw = body.get("spazio_conservazione", 512)
        try:
            size = int(str(raw)) if not isinstance(raw, bool) else -1
        except ValueError:
            size = -1
        if size <= 0 or size % 512:
            raise ApiError(406, "the system only takes into account multiples of 512", 325)
        further_blocks = size // 512 - 1
        amount = (
            CONSERVAZIONE_ACTIVATION_PRICE
            + SPACE_BLOCK_PRICES["spazio_conservazione"][1] * further_blocks
        )
        self._charge("conservazione", box["id"], amount, 297)
        box["conservazione"] = True
        box["spazio_conservazione"] = size
        box["documenti_conservazione"] = [
            f"{box['id']}_{i}_conservazione.pdf" for i in range(len(docs))
        ]

    @_paid_change(265, 266)
    def trasformazione(self, box: dict[str, Any], body: Any) -> None:
        if box["stato"] != StatoCasella.EVASA:
            raise ApiError(
                428, "you can trasform your certified mail only if it has been processed", 272
            )
        target = str(body.get("tipo_casella") or "").upper()
        if not target:
            raise ApiError(428, "tipo_casella required", 271)  # [I]
        if target not in LEGALMAIL or not is_upgrade(box["tipo_casella"], target):
            higher = [t for t in LEGALMAIL if is_upgrade(box["tipo_casella"], t)]
            raise ApiError(
                406,
                "a downgrade of the 'tipo_casella' is not allowed; only "
                f"{' or '.join(higher) or 'nothing'} allowed",
                276,
            )
        amount = trasformazione_price(box["tipo_casella"], target)
        self._charge("trasformazione", box["id"], amount, 279)
        box["tipo_casella"] = target
        disco, storico = DEFAULT_SPACES[target]
        box["spazio_disco"] = max(box["spazio_disco"], disco)
        box["spazio_storico"] = max(box["spazio_storico"], storico)

    @_paid_change(201, 202, legalmail=False, json_body=False)
    def rinnovo(self, box: dict[str, Any], anni_raw: Any) -> None:
        if box["stato"] not in (StatoCasella.EVASA, StatoCasella.REVOCATA):
            raise ApiError(428, "you can renew only evaded or revoked pec", 203)
        try:
            anni = int(anni_raw) if anni_raw not in (None, "") else 1
        except (TypeError, ValueError):
            anni = 0
        if anni < 1 or anni > 10:
            raise ApiError(406, "anni not valid", 204)  # [I]
        self._charge("rinnovo", box["id"], BOX_PRICES[box["tipo_casella"]] * anni, 205)
        base = parse_date(box.get("data_scadenza", "")) or today()
        box["data_scadenza"] = fmt_date(
            add_years(max(base, today()) if box["stato"] == StatoCasella.REVOCATA else base, anni)
        )
        box["timestamp"]["scadenza"] = noon_timestamp(parse_date(box["data_scadenza"]))
        if box["stato"] == StatoCasella.REVOCATA:
            box["stato"] = StatoCasella.EVASA.value
            box["timestamp"].pop("revoca", None)
            self._notify("caselle", box)

    @_paid_change(212, 213)
    def multiutenza(self, box: dict[str, Any], body: Any) -> None:
        for name in MULTIUTENZA_REQUIRED:
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise ApiError(428, f"{name} required", 214)  # [I]
        if not EMAIL_RE.match(body["email_gestione_password"]):
            raise ApiError(406, "email_gestione_password not valid", 216)  # [I]
        users = box.setdefault("multiutenza", [])
        if len(users) >= MAX_USERS:
            raise ApiError(406, f"maximum number of users reached: {MAX_USERS}", 217)
        self._charge("multiutenza", box["id"], MULTIUTENZA_PRICE, 220)
        users.append(
            {
                "nome": body["nome"],
                "cognome": body["cognome"],
                "descrizione": body["descrizione"],
                "email_gestione_password": body["email_gestione_password"],
                "id_utenza": f"{box['id']}_{len(users)}",
                "timestamp": {"attivazione": int(time.time())},
                "userid": f"MA{secrets.randbelow(10**6):06d}",
            }
        )

    def modulo(self, ident: str, kind: str) -> bytes:
        def refusal(box: dict[str, Any]) -> str | None:
            if kind == "conservazione" and box["stato"] != StatoCasella.EVASA:
                return "you cannot activate conservation if you do not first activate a pec"
            return None

        box = self._form_source(self._box, ident, refusal)
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
