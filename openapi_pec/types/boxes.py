"""Boxes (/pec and below): the results and the registration request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .enums import (
    LEGALMAIL_TYPES,
    Sesso,
    SottotipoCliente,
    StatoCasella,
    TipoCasella,
    TipoCliente,
    TipoDocumento,
)
from .parsing import Request, Result, source
from .shared import Callback, Timestamps

__all__ = ["Casella", "CasellaSummary", "DomainCheck", "RegistrationRequest", "Utenza"]


@dataclass(frozen=True)
class DomainCheck(Result):
    """GET /domini_pec/{dominio}.  ``found`` is False on HTTP 204 (no content)."""

    dominio: str
    found: bool
    message: str = ""
    domains: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CasellaSummary(Result):
    """An item of GET /pec (schema ``Caselle``)."""

    id: str
    casella_pec: str
    tipo_casella: TipoCasella | str
    stato: StatoCasella | str
    data_scadenza: dt.date | None
    timestamp: Timestamps
    owner: str


@dataclass(frozen=True)
class Utenza(Result):
    """A multiutenza user."""

    nome: str
    cognome: str
    descrizione: str
    email_gestione_password: str
    id_utenza: str
    userid: str
    attivazione: dt.datetime | None = field(metadata=source(("timestamp", "attivazione")))


@dataclass(frozen=True)
class Casella(Result):
    """A certified mailbox (schema ``Casella``)."""

    id: str
    casella_pec: str
    tipo_casella: TipoCasella | str
    stato: StatoCasella | str
    tipo_cliente: TipoCliente | str = ""
    sottotipo_cliente: str = ""
    sottotipo_cliente_altro: str = ""
    nome_richiedente: str = ""
    cognome_richiedente: str = ""
    email: str = ""
    telefono: str = ""
    cellulare: str = ""
    codice_fiscale_richiedente: str = ""
    data_nascita_richiedente: dt.date | None = None
    sesso_richiedente: str = ""
    nazione_nascita_richiedente: str = ""
    comune_nascita_richiedente: str = ""
    provincia_nascita_richiedente: str = ""
    denominazione_titolare: str = ""
    cf_piva_titolare: str = ""
    indirizzo_titolare: str = ""
    comune_titolare: str = ""
    cap_titolare: str = ""
    nazione_titolare: str = ""
    provincia_titolare: str = ""
    callback: Callback | None = None
    dominio: str = ""
    owner: str = ""
    timestamp: Timestamps = field(default_factory=Timestamps)
    cod_attivazione: str = ""
    uid: str = ""
    conservazione: bool = False
    sms: bool = False
    storico: bool = False
    spazio_conservazione: int | None = None
    spazio_disco: int | None = None
    spazio_storico: int | None = None
    data_scadenza: dt.date | None = None
    data_attivazione: dt.date | None = None
    descrizione: str = ""
    autorinnovo: bool = False
    documenti_attivazione: list[str] = field(default_factory=list)
    documenti_conservazione: list[str] = field(default_factory=list)
    multiutenza: list[Utenza] = field(default_factory=list)
    tipo_documento: TipoDocumento | str = ""
    numero_documento: str = ""
    data_scadenza_documento: dt.date | None = None
    documento_rilasciato_da: str = ""
    data_rilascio_documento: dt.date | None = None

    @property
    def is_legalmail(self) -> bool:
        return self.tipo_casella in LEGALMAIL_TYPES


@dataclass
class RegistrationRequest(Request):
    """Body of POST /pec (schema ``BodyPostPec``): every field, required first."""

    casella_pec: str
    tipo_casella: TipoCasella | str
    tipo_cliente: TipoCliente | str
    nome_richiedente: str
    cognome_richiedente: str
    email: str
    telefono: str
    codice_fiscale_richiedente: str
    data_nascita_richiedente: dt.date | str
    sesso_richiedente: Sesso | str
    nazione_nascita_richiedente: str
    indirizzo_titolare: str
    comune_titolare: str
    cap_titolare: str
    nazione_titolare: str
    provincia_titolare: str
    sottotipo_cliente: SottotipoCliente | str | None = None
    sottotipo_cliente_altro: str | None = None
    cellulare: str | None = None
    comune_nascita_richiedente: str | None = None
    provincia_nascita_richiedente: str | None = None
    denominazione_titolare: str | None = None
    cf_piva_titolare: str | None = None
    callback: Callback | dict[str, Any] | None = None
    autorinnovo: bool | None = None
    tipo_documento: TipoDocumento | str | None = None
    numero_documento: str | None = None
    data_scadenza_documento: dt.date | str | None = None
    documento_rilasciato_da: str | None = None
    data_rilascio_documento: dt.date | str | None = None

    def to_payload(self) -> dict[str, Any]:
        out = super().to_payload()
        out["tipo_casella"] = str(self.tipo_casella).upper()
        return out
