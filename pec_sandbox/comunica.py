"""The comunica calls of the API (/comunica_pec and below): a request to communicate a box to the
Registro Imprese, its signed procura, and the steps the provider takes on its own."""

from __future__ import annotations

import time
from typing import Any

from .common import EMAIL_RE, ApiError, decode_documents, new_id
from .p7m import is_p7m
from .pdf import make_pdf
from .tables import COMUNICA_PRICE, COMUNICA_REQUIRED, QUALIFICHE, StatoComunica


class ComunicaOperations:
    """The /comunica_pec calls of :class:`pec_sandbox.state.Sandbox`."""

    def _req(self, ident: str, wrong: int, missing: int, plain: bool = False) -> dict[str, Any]:
        return self._lookup("comunica", "no request found", ident, wrong, missing, plain)

    def list_comunica(self) -> list[dict[str, Any]]:
        keys = ("id", "casella_pec", "stato", "timestamp", "owner")
        return self._summaries("comunica", keys, ("no request linked to this account", 332))

    def get_comunica(self, ident: str) -> dict[str, Any]:
        return self._answer(self._req, ident, 333, 334)

    def create_comunica(self, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        for name in COMUNICA_REQUIRED:
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise ApiError(428, f"{name} required", 344)
        if not EMAIL_RE.match(body["casella_pec"].strip()):
            raise ApiError(406, "invalid casella_pec", 336)
        qualifica = body["qualifica"].upper()
        if qualifica not in QUALIFICHE:
            raise ApiError(406, "invalid qualifica", 337)  # [I]
        pec_amm = body.get("pec_amministratore", False)
        if not isinstance(pec_amm, bool):
            raise ApiError(406, "invalid pec_amministratore", 338)  # [I]
        callback = body.get("callback")
        if callback is not None and (not isinstance(callback, dict) or not callback.get("url")):
            raise ApiError(406, "invalid callback", 339)  # [I]
        with self.lock:
            self._advance()
            ident = new_id()
            self._charge("comunica", ident, COMUNICA_PRICE, 351)
            now = time.time()
            req = {
                **{k: body[k].strip() for k in COMUNICA_REQUIRED},
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
            }
            self.state["comunica"][ident] = req
            to = StatoComunica.IN_ATTESA_DI_DOCUMENTI.value
            return self._next_step("comunica", req, to, self.comunica_seconds, now, notify=False)

    def upload_comunica(self, ident: str, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        with self.lock:
            self._advance()
            req = self._req(ident, 353, 354)
            docs = decode_documents(body.get("documenti"), (428, "documenti required", 356))
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
            to = StatoComunica.COMUNICAZIONE_EVASA.value
            return self._next_step("comunica", req, to, self.comunica_seconds, now)

    def procura(self, ident: str) -> bytes:
        def refusal(req: dict[str, Any]) -> str | None:
            if req["stato"] == StatoComunica.CODICE_IN_RICHIESTA:
                return "you cannot download this module, it doesn't exist yet"
            return None

        req = self._form_source(self._req, ident, refusal)
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
