"""The enums and code tables of the Openapi PEC spec (pec.openapi.json, 1.0.0)."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "LEGALMAIL_TYPES",
    "SOTTOTIPI_CLIENTE",
    "TIPO_CASELLA_RANK",
    "CallbackMethod",
    "Qualifica",
    "Sesso",
    "SottotipoCliente",
    "StatoCasella",
    "StatoComunica",
    "TipoCasella",
    "TipoCliente",
    "TipoDocumento",
]


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
