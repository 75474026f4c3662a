"""Typed requests and results for the Openapi PEC API (pec.openapi.json, 1.0.0), by resource.

Results are parsed leniently by one mechanism (:class:`parsing.Record`): a missing field becomes
its empty default, an unknown field is kept in ``.raw`` (the dict exactly as received), a
``stato`` the spec does not list is kept as the plain string it came as (logged once per
value).  Dates ``dd/mm/yyyy`` become ``datetime.date`` ("" -> None); ``timestamp.*`` Unix
seconds become aware UTC datetimes.
"""

from .boxes import Casella, CasellaSummary, DomainCheck, RegistrationRequest, Utenza
from .comunica import Comunica, ComunicaRequest, ComunicaSummary
from .enums import (
    LEGALMAIL_TYPES,
    SOTTOTIPI_CLIENTE,
    TIPO_CASELLA_RANK,
    CallbackMethod,
    Qualifica,
    Sesso,
    SottotipoCliente,
    StatoCasella,
    StatoComunica,
    TipoCasella,
    TipoCliente,
    TipoDocumento,
)
from .parsing import Record, Request, Result, format_date, parse_date, parse_iso, parse_timestamp
from .shared import Callback, Timestamps
from .wallet import Wallet, WalletTransaction

__all__ = [
    "LEGALMAIL_TYPES",
    "SOTTOTIPI_CLIENTE",
    "TIPO_CASELLA_RANK",
    "Callback",
    "CallbackMethod",
    "Casella",
    "CasellaSummary",
    "Comunica",
    "ComunicaRequest",
    "ComunicaSummary",
    "DomainCheck",
    "Qualifica",
    "Record",
    "RegistrationRequest",
    "Request",
    "Result",
    "Sesso",
    "SottotipoCliente",
    "StatoCasella",
    "StatoComunica",
    "Timestamps",
    "TipoCasella",
    "TipoCliente",
    "TipoDocumento",
    "Utenza",
    "Wallet",
    "WalletTransaction",
    "format_date",
    "parse_date",
    "parse_iso",
    "parse_timestamp",
]
