"""Typed requests and results for the Openapi PEC API (pec.openapi.json, 1.0.0).

Results are parsed leniently: a missing field becomes its empty default, an unknown field is
kept in ``.raw`` (the dict exactly as received), a ``stato`` the spec does not list is kept as
the plain string it came as (logged once per value).  Dates ``dd/mm/yyyy`` become
``datetime.date`` ("" -> None); ``timestamp.*`` Unix seconds become aware UTC datetimes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

logger = logging.getLogger("openapi_pec")

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
    "RegistrationRequest",
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
    "parse_timestamp",
]


# --------------------------------------------------------------------------- enums (from the spec)


class StatoCasella(StrEnum):
    """Casella.stato."""

    REGISTRATA = "registrata"
    IN_EVASIONE = "in_evasione"
    EVASA = "evasa"
    REVOCATA = "revocata"
    CHIUSA = "chiusa"
    DOCUMENTI_ERRATI = "documenti_errati"
    REGISTRAZIONE_ANNULLATA = "registrazione_annullata"


class TipoCasella(StrEnum):
    STANDARD = "STANDARD"
    BRONZE = "BRONZE"
    SILVER = "SILVER"
    GOLD = "GOLD"
    DOMICILIODIGITALE = "DOMICILIODIGITALE"
    PECMASSIVA = "PECMASSIVA"


#: Box types served by Legalmail: the only ones allowing modifica, conservazione,
#: trasformazione and multiutenza.
LEGALMAIL_TYPES: frozenset[TipoCasella] = frozenset(
    {TipoCasella.STANDARD, TipoCasella.BRONZE, TipoCasella.SILVER, TipoCasella.GOLD}
)

#: Upgrade order for trasformazione (only upgrades are allowed) [I: the spec's example says
#: STANDARD -> SILVER or GOLD; BRONZE is placed between STANDARD and SILVER].
TIPO_CASELLA_RANK: dict[TipoCasella, int] = {
    TipoCasella.STANDARD: 0,
    TipoCasella.BRONZE: 1,
    TipoCasella.SILVER: 2,
    TipoCasella.GOLD: 3,
}


class TipoCliente(StrEnum):
    IMPRESA = "IM"
    PROFESSIONISTA = "PS"
    PA_LOCALE = "PL"
    PA_CENTRALE = "PC"
    ASSOCIAZIONE = "A"
    PRIVATO = "PV"
    ALTRO = "X"


class SottotipoCliente(StrEnum):
    """BodyPostPec.sottotipo_cliente: the codes of every customer type, merged (the spec lists
    them in one enum; ``X`` and ``PC``/``PL`` appear under several types)."""

    SI = "SI"
    IN = "IN"
    CM = "CM"
    TE = "TE"
    ES = "ES"
    ME = "ME"
    AL = "AL"
    CF = "CF"
    ED = "ED"
    TM = "TM"
    MA = "MA"
    AR = "AR"
    TL = "TL"
    FI = "FI"
    X = "X"
    PC = "PC"
    PR = "PR"
    PN = "PN"
    PT = "PT"
    PA = "PA"
    PL = "PL"
    LR = "LR"
    LP = "LP"
    LC = "LC"
    LM = "LM"
    LA = "LA"
    LI = "LI"


#: Subtypes allowed per customer type, with their labels (TipologieCliente in the spec).
SOTTOTIPI_CLIENTE: dict[TipoCliente, dict[str, str]] = {
    TipoCliente.IMPRESA: {
        "SI": "SERVIZI IMPRESE",
        "IN": "INFORMATICA",
        "CM": "COMMERCIO",
        "TE": "TELECOMUNICAZIONI",
        "ES": "EDITORIA STAMPA",
        "ME": "MECCANICA ELETTRICA",
        "AL": "ALIMENTARE",
        "CF": "CHIMICA FARMACEUTICA",
        "ED": "EDILIZIA",
        "TM": "TESSILE MODA",
        "MA": "MOBILI ARREDAMENTI",
        "AR": "ALBERGHI RISTORANTI",
        "TL": "TRASPORTI LOGISTICA",
        "FI": "FINANZA",
        "X": "ALTRO",
    },
    TipoCliente.PROFESSIONISTA: {
        "PC": "COMMERCIALISTA",
        "PR": "RAGIONIERE",
        "PN": "NOTAIO",
        "PT": "TRIBUTARISTA",
        "PA": "AVVOCATO",
        "PL": "CONSULENTE LAVORO",
        "X": "ALTRO",
    },
    TipoCliente.PA_LOCALE: {
        "LR": "REGIONE",
        "LP": "PROVINCIA",
        "LC": "COMUNE",
        "LM": "COMUNITA MONTANA",
        "LA": "ASL",
        "LI": "CCIAA",
        "X": "ALTRO",
    },
}


class Qualifica(StrEnum):
    AMMINISTRATORE = "AMMINISTRATORE"
    COMMISSARIO_GIUDIZIARIO = "COMMISSARIO_GIUDIZIARIO"
    CURATORE_FALLIMENTARE = "CURATORE_FALLIMENTARE"
    LEGALE_RAPPRESENTANTE = "LEGALE_RAPPRESENTANTE"
    LIQUIDATORE = "LIQUIDATORE"
    SOCIO = "SOCIO"
    TITOLARE = "TITOLARE"


class StatoComunica(StrEnum):
    CODICE_IN_RICHIESTA = "codice_in_richiesta"
    IN_ATTESA_DI_DOCUMENTI = "in_attesa_di_documenti"
    DOCUMENTI_CARICATI = "documenti_caricati"
    COMUNICAZIONE_EVASA = "comunicazione_evasa"


class TipoDocumento(StrEnum):
    CARTA_D_IDENTITA = "CARTA_D_IDENTITA"
    PATENTE = "PATENTE"
    PASSAPORTO = "PASSAPORTO"


class Sesso(StrEnum):
    M = "M"
    F = "F"


class CallbackMethod(StrEnum):
    POST = "POST"
    JSON = "JSON"


# --------------------------------------------------------------------------- parsing helpers

_seen_unknown: set[tuple[str, str]] = set()
_seen_lock = threading.Lock()


def _enum_or_str(enum: type[StrEnum], value: Any, *, upper: bool = False) -> Any:
    """The enum member for ``value``, or the value itself (logged once) when the spec does not
    list it.  ``None``/"" stay as they are."""
    if value is None or value == "":
        return value
    text = str(value)
    if upper:
        text = text.upper()
    try:
        return enum(text)
    except ValueError:
        key = (enum.__name__, text)
        with _seen_lock:
            first = key not in _seen_unknown
            _seen_unknown.add(key)
        if first:
            logger.warning("openapi_pec: unknown %s value %r kept as a string", enum.__name__, text)
        return value


def parse_date(value: Any) -> dt.date | None:
    """``dd/mm/yyyy`` -> date; "" or None -> None; an unparseable value -> None (logged)."""
    if value is None or value == "" or value is False:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.datetime.strptime(str(value).strip(), "%d/%m/%Y").date()
    except ValueError:
        logger.warning("openapi_pec: unparseable date %r", value)
        return None


def format_date(value: dt.date | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Unix seconds -> aware UTC datetime; 0/""/None -> None."""
    if value in (None, "", 0, False):
        return None
    try:
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        logger.warning("openapi_pec: unparseable timestamp %r", value)
        return None


def parse_iso(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _str(value: Any) -> str:
    return "" if value is None or value is False else str(value)


def _int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [] if value in (None, "", False) else [value]


# --------------------------------------------------------------------------- shared pieces


@dataclass(frozen=True)
class Callback:
    """The optional callback of POST /pec and POST /comunica_pec."""

    url: str
    field: str | None = None
    method: CallbackMethod | str | None = None
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url}
        if self.field is not None:
            out["field"] = self.field
        if self.method is not None:
            out["method"] = str(self.method)
        if self.data is not None:
            out["data"] = self.data
        return out

    @classmethod
    def from_raw(cls, raw: Any) -> Callback | None:
        """``callback`` as received: an object, or ``false``/absent (-> None)."""
        if not isinstance(raw, dict) or not raw.get("url"):
            return None
        return cls(
            url=str(raw["url"]),
            field=raw.get("field"),
            method=_enum_or_str(CallbackMethod, raw.get("method"), upper=True),
            data=raw.get("data") if isinstance(raw.get("data"), dict) else None,
        )


@dataclass(frozen=True)
class Timestamps:
    registrazione: dt.datetime | None = None
    ultima_modifica: dt.datetime | None = None
    evasione: dt.datetime | None = None
    scadenza: dt.datetime | None = None
    revoca: dt.datetime | None = None

    @classmethod
    def from_raw(cls, raw: Any) -> Timestamps:
        raw = _dict(raw)
        return cls(**{f.name: parse_timestamp(raw.get(f.name)) for f in dataclasses.fields(cls)})


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DomainCheck:
    """GET /domini_pec/{dominio}.  ``found`` is False on HTTP 204 (no content)."""

    dominio: str
    found: bool
    message: str = ""
    domains: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class CasellaSummary:
    """An item of GET /pec (schema ``Caselle``)."""

    id: str
    casella_pec: str
    tipo_casella: TipoCasella | str
    stato: StatoCasella | str
    data_scadenza: dt.date | None
    timestamp: Timestamps
    owner: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> CasellaSummary:
        raw = _dict(raw)
        return cls(
            id=_str(raw.get("id")),
            casella_pec=_str(raw.get("casella_pec")),
            tipo_casella=_enum_or_str(TipoCasella, raw.get("tipo_casella"), upper=True),
            stato=_enum_or_str(StatoCasella, raw.get("stato")),
            data_scadenza=parse_date(raw.get("data_scadenza")),
            timestamp=Timestamps.from_raw(raw.get("timestamp")),
            owner=_str(raw.get("owner")),
            raw=raw,
        )


@dataclass(frozen=True)
class Utenza:
    """A multiutenza user."""

    nome: str
    cognome: str
    descrizione: str
    email_gestione_password: str
    id_utenza: str
    userid: str
    attivazione: dt.datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_raw(cls, raw: Any) -> Utenza:
        raw = _dict(raw)
        return cls(
            nome=_str(raw.get("nome")),
            cognome=_str(raw.get("cognome")),
            descrizione=_str(raw.get("descrizione")),
            email_gestione_password=_str(raw.get("email_gestione_password")),
            id_utenza=_str(raw.get("id_utenza")),
            userid=_str(raw.get("userid")),
            attivazione=parse_timestamp(_dict(raw.get("timestamp")).get("attivazione")),
            raw=raw,
        )


@dataclass(frozen=True)
class Casella:
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
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_legalmail(self) -> bool:
        return self.tipo_casella in LEGALMAIL_TYPES

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Casella:
        raw = _dict(raw)
        s = lambda k: _str(raw.get(k))  # noqa: E731
        return cls(
            id=s("id"),
            casella_pec=s("casella_pec"),
            tipo_casella=_enum_or_str(TipoCasella, raw.get("tipo_casella"), upper=True),
            stato=_enum_or_str(StatoCasella, raw.get("stato")),
            tipo_cliente=_enum_or_str(TipoCliente, raw.get("tipo_cliente"), upper=True) or "",
            sottotipo_cliente=s("sottotipo_cliente"),
            sottotipo_cliente_altro=s("sottotipo_cliente_altro"),
            nome_richiedente=s("nome_richiedente"),
            cognome_richiedente=s("cognome_richiedente"),
            email=s("email"),
            telefono=s("telefono"),
            cellulare=s("cellulare"),
            codice_fiscale_richiedente=s("codice_fiscale_richiedente"),
            data_nascita_richiedente=parse_date(raw.get("data_nascita_richiedente")),
            sesso_richiedente=s("sesso_richiedente"),
            nazione_nascita_richiedente=s("nazione_nascita_richiedente"),
            comune_nascita_richiedente=s("comune_nascita_richiedente"),
            provincia_nascita_richiedente=s("provincia_nascita_richiedente"),
            denominazione_titolare=s("denominazione_titolare"),
            cf_piva_titolare=s("cf_piva_titolare"),
            indirizzo_titolare=s("indirizzo_titolare"),
            comune_titolare=s("comune_titolare"),
            cap_titolare=s("cap_titolare"),
            nazione_titolare=s("nazione_titolare"),
            provincia_titolare=s("provincia_titolare"),
            callback=Callback.from_raw(raw.get("callback")),
            dominio=s("dominio"),
            owner=s("owner"),
            timestamp=Timestamps.from_raw(raw.get("timestamp")),
            cod_attivazione=s("cod_attivazione"),
            uid=s("uid"),
            conservazione=bool(raw.get("conservazione")),
            sms=bool(raw.get("sms")),
            storico=bool(raw.get("storico")),
            spazio_conservazione=_int(raw.get("spazio_conservazione")),
            spazio_disco=_int(raw.get("spazio_disco")),
            spazio_storico=_int(raw.get("spazio_storico")),
            data_scadenza=parse_date(raw.get("data_scadenza")),
            data_attivazione=parse_date(raw.get("data_attivazione")),
            descrizione=s("descrizione"),
            autorinnovo=bool(raw.get("autorinnovo")),
            documenti_attivazione=[str(x) for x in _list(raw.get("documenti_attivazione"))],
            documenti_conservazione=[str(x) for x in _list(raw.get("documenti_conservazione"))],
            multiutenza=[Utenza.from_raw(u) for u in _list(raw.get("multiutenza"))],
            tipo_documento=_enum_or_str(TipoDocumento, raw.get("tipo_documento"), upper=True) or "",
            numero_documento=s("numero_documento"),
            data_scadenza_documento=parse_date(raw.get("data_scadenza_documento")),
            documento_rilasciato_da=s("documento_rilasciato_da"),
            data_rilascio_documento=parse_date(raw.get("data_rilascio_documento")),
            raw=raw,
        )


@dataclass(frozen=True)
class ComunicaSummary:
    """An item of GET /comunica_pec (schema ``RichiesteComunicazionePec``)."""

    id: str
    casella_pec: str
    stato: StatoComunica | str
    timestamp: dt.datetime | None
    owner: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> ComunicaSummary:
        raw = _dict(raw)
        return cls(
            id=_str(raw.get("id")),
            casella_pec=_str(raw.get("casella_pec")),
            stato=_enum_or_str(StatoComunica, raw.get("stato")),
            timestamp=parse_timestamp(raw.get("timestamp")),
            owner=_str(raw.get("owner")),
            raw=raw,
        )


@dataclass(frozen=True)
class Comunica:
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

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Comunica:
        raw = _dict(raw)
        s = lambda k: _str(raw.get(k))  # noqa: E731
        return cls(
            id=s("id"),
            casella_pec=s("casella_pec"),
            stato=_enum_or_str(StatoComunica, raw.get("stato")),
            cf=s("cf"),
            nome=s("nome"),
            cognome=s("cognome"),
            qualifica=_enum_or_str(Qualifica, raw.get("qualifica"), upper=True) or "",
            email=s("email"),
            cellulare=s("cellulare"),
            ragione_sociale=s("ragione_sociale"),
            cf_piva=s("cf_piva"),
            comune=s("comune"),
            provincia=s("provincia"),
            pec_amministratore=bool(raw.get("pec_amministratore")),
            callback=Callback.from_raw(raw.get("callback")),
            codice_registro_imprese=s("codice_registro_imprese"),
            documenti_registro_imprese=[
                str(x) for x in _list(raw.get("documenti_registro_imprese"))
            ],
            owner=s("owner"),
            timestamp=parse_timestamp(raw.get("timestamp")),
            raw=raw,
        )


@dataclass(frozen=True)
class Wallet:
    """GET /wallet on the OAuth v2 host."""

    credit: Decimal
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Wallet:
        raw = _dict(raw)
        return cls(
            credit=_decimal(raw.get("credit")),
            created_at=parse_iso(raw.get("createdAt")),
            updated_at=parse_iso(raw.get("updatedAt")),
            raw=raw,
        )


@dataclass(frozen=True)
class WalletTransaction:
    """An item of GET /wallet/transactions (negative amount = expense)."""

    id: str
    amount: Decimal
    created_at: dt.datetime | None
    description: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> WalletTransaction:
        raw = _dict(raw)
        return cls(
            id=_str(raw.get("id")),
            amount=_decimal(raw.get("amount")),
            created_at=parse_iso(raw.get("createdAt")),
            description=_str(raw.get("description")),
            raw=raw,
        )


# --------------------------------------------------------------------------- requests


def _payload(obj: Any, required: tuple[str, ...]) -> dict[str, Any]:
    """Serialise a request dataclass: required fields always, optional ones when set."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name not in required and (value is None or value == ""):
            continue
        if isinstance(value, dt.date):
            value = format_date(value)
        elif isinstance(value, Callback):
            value = value.to_dict()
        elif isinstance(value, StrEnum):
            value = str(value)
        out[f.name] = value
    return out


@dataclass
class RegistrationRequest:
    """Body of POST /pec (schema ``BodyPostPec``): every field, required first."""

    REQUIRED = (
        "casella_pec",
        "tipo_casella",
        "tipo_cliente",
        "nome_richiedente",
        "cognome_richiedente",
        "email",
        "telefono",
        "codice_fiscale_richiedente",
        "data_nascita_richiedente",
        "sesso_richiedente",
        "nazione_nascita_richiedente",
        "indirizzo_titolare",
        "comune_titolare",
        "cap_titolare",
        "nazione_titolare",
        "provincia_titolare",
    )

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
        out = _payload(self, self.REQUIRED)
        out["tipo_casella"] = str(self.tipo_casella).upper()
        return out


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
        return _payload(self, self.REQUIRED)
