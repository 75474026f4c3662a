"""Comunica requests (/comunica_pec and below): the results and the request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .enums import Qualifica, StatoComunica
from .parsing import Record, request_payload
from .shared import Callback

__all__ = ["Comunica", "ComunicaRequest", "ComunicaSummary"]


@dataclass(frozen=True)
class ComunicaSummary(Record):
    """An item of GET /comunica_pec (schema ``RichiesteComunicazionePec``)."""

    id: str
    casella_pec: str
    stato: StatoComunica | str
    timestamp: dt.datetime | None
    owner: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Comunica(Record):
    """A request to communicate a PEC to the Registro Imprese (``RichiestaComunicazionePec``)."""

    id: str
    casella_pec: str
    stato: StatoComunica | str
    cf: str = ""
    nome: str = ""
    cognome: str = ""
    qualifica: Qualifica | str = ""
    email: str = ""
    cellulare: str = ""
    ragione_sociale: str = ""
    cf_piva: str = ""
    comune: str = ""
    provincia: str = ""
    pec_amministratore: bool = False
    callback: Callback | None = None
    codice_registro_imprese: str = ""
    documenti_registro_imprese: list[str] = field(default_factory=list)
    owner: str = ""
    timestamp: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class ComunicaRequest:
    """Body of POST /comunica_pec (schema ``BodyPostComunicaPec``)."""

    REQUIRED = (
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

    casella_pec: str
    cf: str
    nome: str
    cognome: str
    qualifica: Qualifica | str
    email: str
    cellulare: str
    ragione_sociale: str
    cf_piva: str
    comune: str
    provincia: str
    pec_amministratore: bool | None = None
    callback: Callback | dict[str, Any] | None = None

    def to_payload(self) -> dict[str, Any]:
        return request_payload(self, self.REQUIRED)
