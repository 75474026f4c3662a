"""Comunica requests (/comunica_pec and below): the results and the request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .enums import Qualifica, StatoComunica
from .parsing import Request, Result
from .shared import Callback

__all__ = ["Comunica", "ComunicaRequest", "ComunicaSummary"]


@dataclass(frozen=True)
class ComunicaSummary(Result):
    """An item of GET /comunica_pec (schema ``RichiesteComunicazionePec``)."""

    id: str
    casella_pec: str
    stato: StatoComunica | str
    timestamp: dt.datetime | None
    owner: str


@dataclass(frozen=True)
class Comunica(Result):
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


@dataclass
class ComunicaRequest(Request):
    """Body of POST /comunica_pec (schema ``BodyPostComunicaPec``)."""

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
