"""The Openapi PEC client: one method per operation of pec.openapi.json (19), plus the wallet
of the OAuth v2 service."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from . import errors, types
from .auth import pec_scopes
from .base import PRODUCTION_OAUTH_URL, SANDBOX_OAUTH_URL, OpenapiClient
from .transport import Answer

__all__ = [
    "PRODUCTION_OAUTH_URL",
    "PRODUCTION_PEC_URL",
    "SANDBOX_OAUTH_URL",
    "SANDBOX_PEC_URL",
    "PecClient",
]

PRODUCTION_PEC_URL = "https://pec.openapi.it"
SANDBOX_PEC_URL = "https://test.pec.openapi.it"


def _b64(documents: Iterable[bytes]) -> list[str]:
    """Plain base64 strings (no ``data:`` prefix), as the OAS examples show."""
    out = []
    for doc in documents:
        if not isinstance(doc, (bytes, bytearray, memoryview)):
            raise TypeError("documents must be bytes")
        out.append(base64.b64encode(bytes(doc)).decode("ascii"))
    return out


def _seg(value: str) -> str:
    """A path segment, percent-encoded (``@`` -> ``%40``; no ``/`` can slip through)."""
    return quote(str(value), safe="")


class PecClient(OpenapiClient):
    """Client of the Openapi PEC API (credentials: see :class:`OpenapiClient`).

    Reads are retried on transient failures; paid/state-changing calls are sent exactly once
    (an unclear outcome raises :class:`errors.OutcomeUnknown`).
    """

    URL_NAME = "pec_url"

    def __init__(self, pec_url: str = SANDBOX_PEC_URL, *args: Any, **kwargs: Any) -> None:
        super().__init__(pec_url, *args, **kwargs)

    scopes_for = staticmethod(pec_scopes)

    @property
    def pec_url(self) -> str:
        return self.url

    # ------------------------------------------------------------------ plumbing

    def _list(self, path: str) -> list[dict[str, Any]]:
        try:
            answer = self._call("GET", path)
        except errors.NotFound:
            return []  # the API answers 404 for an empty list
        data = answer.data
        if data is None:
            return []
        if not isinstance(data, list):
            raise errors.ProtocolError(answer.status, "expected a list in 'data'")
        return [item for item in data if isinstance(item, dict)]

    def _casella(self, answer: Answer) -> types.Casella:
        return types.Casella.from_raw(self._object(answer))

    def _comunica(self, answer: Answer) -> types.Comunica:
        return types.Comunica.from_raw(self._object(answer))

    # ------------------------------------------------------------------ checks

    def domini_pec(self, dominio: str) -> types.DomainCheck:
        """GET /domini_pec/{dominio}: is the domain a PEC provider's or a certified domain?"""
        answer = self._call("GET", f"/domini_pec/{_seg(dominio)}")
        if answer.status == 204 or not answer.envelope:
            return types.DomainCheck(dominio=dominio, found=False)
        data = answer.data
        domains = [str(d) for d in data] if isinstance(data, list) else []
        return types.DomainCheck(
            dominio=dominio,
            found=answer.envelope.get("success", True) is not False,
            message=answer.message,
            domains=domains,
            raw=answer.envelope,
        )

    def verifica_pec(self, address: str) -> bool:
        """GET /verifica_pec/{pec}: True when the address is available.  Understands both
        ``{"available": false}`` and an error envelope saying "not available"."""
        try:
            answer = self._call("GET", f"/verifica_pec/{_seg(address)}")
        except errors.TransientError:
            raise
        except errors.OpenapiError as exc:
            if "not available" in exc.message.lower():
                return False
            raise
        data = answer.data
        if isinstance(data, dict) and "available" in data:
            return bool(data["available"])
        if "not available" in answer.message.lower():
            return False
        raise errors.ProtocolError(answer.status, "verifica_pec answer without 'available'")

    # ------------------------------------------------------------------ boxes

    def list_caselle(self) -> list[types.CasellaSummary]:
        """GET /pec (404 "no pec linked to this account" -> [])."""
        return [types.CasellaSummary.from_raw(item) for item in self.list_caselle_raw()]

    def list_caselle_raw(self) -> list[dict[str, Any]]:
        """GET /pec's items as the API sends them (objects, unparsed): for a caller that reads
        a few fields of many boxes and parses them on demand (the daily sync of 100,000)."""
        return self._list("/pec")

    def iter_caselle_raw(self) -> Iterator[dict[str, Any]]:
        """GET /pec's items as list_caselle_raw() gives them, one by one as they arrive: the
        answer is never held whole (the daily sync of 1,000,000 boxes). 404 -> nothing. Retried
        like every free read, but only until the first item is handed out; a failure after
        that raises (a dropped connection OutcomeUnknown, a broken body ProtocolError)."""
        try:
            yield from self.auth.items("GET", f"{self.url}/pec", retry=self.RETRY_GETS)
        except errors.NotFound:
            return  # the API answers 404 for an empty list

    def register_casella(self, req: types.RegistrationRequest) -> types.Casella:
        """POST /pec (paid; never retried)."""
        return self._casella(self._call("POST", "/pec", json_body=req.to_payload()))

    def get_casella(self, id: str) -> types.Casella:
        return self._casella(self._call("GET", f"/pec/{_seg(id)}"))

    def revoke_casella(self, id: str) -> types.Casella:
        """DELETE /pec/{id} (never retried)."""
        return self._casella(self._call("DELETE", f"/pec/{_seg(id)}"))

    def attivazione(self, id: str, documents: list[bytes]) -> types.Casella:
        """PATCH /pec/{id}/attivazione with the signed form + ID document (PDFs)."""
        body = {"documenti": _b64(documents)}
        return self._casella(self._call("PATCH", f"/pec/{_seg(id)}/attivazione", json_body=body))

    def modifica(
        self,
        id: str,
        *,
        spazio_disco: int | None = None,
        spazio_storico: int | None = None,
        spazio_conservazione: int | None = None,
    ) -> types.Casella:
        """PATCH /pec/{id}/modifica with absolute sizes in MB (never "+N": a relative size
        repeated after an unclear outcome would add twice).  Paid."""
        body: dict[str, int] = {}
        for name, value in (
            ("spazio_disco", spazio_disco),
            ("spazio_storico", spazio_storico),
            ("spazio_conservazione", spazio_conservazione),
        ):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{name} must be an absolute size in MB (int)")
                body[name] = value
        if not body:
            raise ValueError("modifica needs at least one size")
        return self._casella(self._call("PATCH", f"/pec/{_seg(id)}/modifica", json_body=body))

    def conservazione(
        self,
        id: str,
        documents: list[bytes],
        spazio_conservazione: int = 512,
    ) -> types.Casella:
        """PATCH /pec/{id}/conservazione: activate legal preservation (paid)."""
        body = {"spazio_conservazione": int(spazio_conservazione), "documenti": _b64(documents)}
        return self._casella(self._call("PATCH", f"/pec/{_seg(id)}/conservazione", json_body=body))

    def trasformazione(self, id: str, tipo_casella: types.TipoCasella | str) -> types.Casella:
        """PATCH /pec/{id}/trasformazione: upgrade the box type (paid)."""
        body = {"tipo_casella": str(tipo_casella).upper()}
        return self._casella(self._call("PATCH", f"/pec/{_seg(id)}/trasformazione", json_body=body))

    def rinnovo(self, id: str, anni: int = 1) -> types.Casella:
        """GET /pec/{id}/rinnovo?anni=N: renew or re-activate.  A paid GET: never retried."""
        if int(anni) < 1:
            raise ValueError("anni must be >= 1")
        answer = self._call(
            "GET", f"/pec/{_seg(id)}/rinnovo", params={"anni": int(anni)}, read=False
        )
        return self._casella(answer)

    def multiutenza(
        self,
        id: str,
        *,
        nome: str,
        cognome: str,
        descrizione: str,
        email_gestione_password: str,
    ) -> types.Casella:
        """POST /pec/{id}/multiutenza: add a user (paid)."""
        body = {
            "nome": nome,
            "cognome": cognome,
            "descrizione": descrizione,
            "email_gestione_password": email_gestione_password,
        }
        return self._casella(self._call("POST", f"/pec/{_seg(id)}/multiutenza", json_body=body))

    # ------------------------------------------------------------------ comunica

    def list_comunica(self) -> list[types.ComunicaSummary]:
        """GET /comunica_pec (404 -> [])."""
        return [types.ComunicaSummary.from_raw(item) for item in self._list("/comunica_pec")]

    def create_comunica(self, req: types.ComunicaRequest) -> types.Comunica:
        """POST /comunica_pec (paid; never retried)."""
        return self._comunica(self._call("POST", "/comunica_pec", json_body=req.to_payload()))

    def get_comunica(self, id: str) -> types.Comunica:
        return self._comunica(self._call("GET", f"/comunica_pec/{_seg(id)}"))

    def upload_comunica(self, id: str, documents: list[bytes]) -> types.Comunica:
        """PATCH /comunica_pec/{id} with the CAdES-signed .p7m procura."""
        body = {"documenti": _b64(documents)}
        return self._comunica(self._call("PATCH", f"/comunica_pec/{_seg(id)}", json_body=body))

    # ------------------------------------------------------------------ forms (PDF)

    def _pdf(self, path: str) -> bytes:
        return self._call("GET", path, binary=True).content

    def modulo_attivazione(self, id: str) -> bytes:
        return self._pdf(f"/pec/{_seg(id)}/modulo_attivazione")

    def modulo_conservazione(self, id: str) -> bytes:
        return self._pdf(f"/pec/{_seg(id)}/modulo_conservazione")

    def procura_registro_imprese(self, id: str) -> bytes:
        return self._pdf(f"/comunica_pec/{_seg(id)}/procura_registro_imprese")

    # ------------------------------------------------------------------ wallet (OAuth v2)

    def wallet(self) -> types.Wallet:
        """GET {oauth_url}/wallet (Basic auth when e-mail + API key are configured, else the
        Bearer token)."""
        answer = self._call("GET", "/wallet", base=self.oauth_url, basic=True)
        return types.Wallet.from_raw(self._object(answer))

    def wallet_transactions(
        self, *, skip: int = 0, limit: int = 100
    ) -> list[types.WalletTransaction]:
        answer = self._call(
            "GET",
            "/wallet/transactions",
            params={"skip": skip, "limit": limit},
            base=self.oauth_url,
            basic=True,
        )
        data = answer.data if isinstance(answer.data, list) else []
        return [types.WalletTransaction.from_raw(item) for item in data if isinstance(item, dict)]
