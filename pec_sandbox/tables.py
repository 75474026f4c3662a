"""What the sandbox knows of the API: box types, customer types and subtypes, states, the fields of
each request body, domains, scopes, the paid calls and their prices.

Declared here from pec.openapi.json (and, where the spec is silent, from the notes on it,
openapi-notes.md) rather than taken from the client the sandbox tests: a mistake in the client's
tables then shows up as a disagreement instead of being mirrored.  tests/pec_sandbox/
test_tables.py checks every table against the spec and against the client.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class StatoCasella(StrEnum):
    """Casella.stato."""

    REGISTRATA = "registrata"
    IN_EVASIONE = "in_evasione"
    EVASA = "evasa"
    REVOCATA = "revocata"
    CHIUSA = "chiusa"
    DOCUMENTI_ERRATI = "documenti_errati"
    REGISTRAZIONE_ANNULLATA = "registrazione_annullata"


class StatoComunica(StrEnum):
    """RichiestaComunicazionePec.stato, in the order a request goes through them."""

    CODICE_IN_RICHIESTA = "codice_in_richiesta"
    IN_ATTESA_DI_DOCUMENTI = "in_attesa_di_documenti"
    DOCUMENTI_CARICATI = "documenti_caricati"
    COMUNICAZIONE_EVASA = "comunicazione_evasa"


#: BodyPostPec.tipo_casella.
TIPI_CASELLA = ("STANDARD", "BRONZE", "SILVER", "GOLD", "DOMICILIODIGITALE", "PECMASSIVA")
#: The Legalmail types, lowest first (the enum of PATCH /pec/{id}/trasformazione): the only ones
#: allowing modifica, conservazione, trasformazione and multiutenza.  Trasformazione only moves
#: up this order [I: the spec's example says STANDARD -> SILVER or GOLD; BRONZE is put between].
LEGALMAIL = ("STANDARD", "BRONZE", "SILVER", "GOLD")
#: BodyPostPec.tipo_cliente.
TIPI_CLIENTE = ("IM", "PS", "PL", "PC", "A", "PV", "X")
#: TipologieCliente: the subtype codes each customer type allows; a type not listed allows "X".
SOTTOTIPI_CLIENTE = {
    "IM": frozenset(
        {"SI", "IN", "CM", "TE", "ES", "ME", "AL", "CF", "ED", "TM", "MA", "AR", "TL", "FI", "X"}
    ),
    "PS": frozenset({"PC", "PR", "PN", "PT", "PA", "PL", "X"}),
    "PL": frozenset({"LR", "LP", "LC", "LM", "LA", "LI", "X"}),
}
#: BodyPostPec.sesso_richiedente.
SESSI = ("M", "F")
#: BodyPostPec.tipo_documento.
TIPI_DOCUMENTO = ("CARTA_D_IDENTITA", "PATENTE", "PASSAPORTO")
#: BodyPostComunicaPec.qualifica.
QUALIFICHE = (
    "AMMINISTRATORE",
    "COMMISSARIO_GIUDIZIARIO",
    "CURATORE_FALLIMENTARE",
    "LEGALE_RAPPRESENTANTE",
    "LIQUIDATORE",
    "SOCIO",
    "TITOLARE",
)

#: BodyPostPec: the required fields, then every field.
BOX_REQUIRED = (
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
BOX_FIELDS = frozenset(
    {
        *BOX_REQUIRED,
        "sottotipo_cliente",
        "sottotipo_cliente_altro",
        "cellulare",
        "comune_nascita_richiedente",
        "provincia_nascita_richiedente",
        "denominazione_titolare",
        "cf_piva_titolare",
        "callback",
        "autorinnovo",
        "tipo_documento",
        "numero_documento",
        "data_scadenza_documento",
        "documento_rilasciato_da",
        "data_rilascio_documento",
    }
)
#: BodyPostComunicaPec.required.
COMUNICA_REQUIRED = (
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
#: BodyPostMultiutenza.required.
MULTIUTENZA_REQUIRED = ("nome", "cognome", "descrizione", "email_gestione_password")
#: Users a box may have (POST /pec/{id}/multiutenza, 406/217).
MAX_USERS = 25

SANDBOX_PEC_HOST = "test.pec.openapi.it"
#: The domain a box address must end in without a domain of the account's own (the description
#: of POST /pec, sandbox part).  [I: the spec names none for PECMASSIVA; test.pecmassiva.com by
#: analogy with test.domiciliodigitale.com.]
SANDBOX_DOMAINS = {
    **dict.fromkeys(LEGALMAIL, "testcert.legalmail.it"),
    "DOMICILIODIGITALE": "test.domiciliodigitale.com",
    "PECMASSIVA": "test.pecmassiva.com",
}
#: Domains the domini_pec check knows as PEC-provider domains (besides the account's own).
PROVIDER_DOMAINS = frozenset(
    {
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
)
#: Default spaces in MB (disk, archive) per box type [I: ASSUMED, GOLD from the product page:
#: 5 GB + 13 GB].
DEFAULT_SPACES = {
    "STANDARD": (1024, 1024),
    "BRONZE": (2048, 2048),
    "SILVER": (3072, 3072),
    "GOLD": (5120, 13312),
    "DOMICILIODIGITALE": (1024, 1024),
    "PECMASSIVA": (1024, 1024),
}
#: The token scopes of the PEC API as (method, first path segment): the console's list, whose
#: ``dominio`` has no path in the spec.
SCOPES = (
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

#: The paid calls, by the name their charge is recorded under.  The spec documents a 402 on all
#: but rinnovo, which is charged all the same [I]; domini_pec documents one too, but the sandbox
#: keeps it free (refused only with an empty wallet).
PAID_CALLS = {
    "registrazione": ("POST", "/pec"),
    "rinnovo": ("GET", "/pec/{id}/rinnovo"),
    "modifica": ("PATCH", "/pec/{id}/modifica"),
    "conservazione": ("PATCH", "/pec/{id}/conservazione"),
    "trasformazione": ("PATCH", "/pec/{id}/trasformazione"),
    "multiutenza": ("POST", "/pec/{id}/multiutenza"),
    "comunica": ("POST", "/comunica_pec"),
}

# Prices in EUR, VAT excluded (openapi-notes.md section 8).  The yearly box prices of STANDARD,
# GOLD, DOMICILIODIGITALE and PECMASSIVA and the comunica price are published; the others are
# placeholders no page gives, the same the portal shows.
#: Yearly price of a box: registration includes the first year; renewal is this times the years.
BOX_PRICES = {
    "STANDARD": Decimal("11.00"),
    "BRONZE": Decimal("19.00"),
    "SILVER": Decimal("35.00"),
    "GOLD": Decimal("64.00"),
    "DOMICILIODIGITALE": Decimal("4.50"),
    "PECMASSIVA": Decimal("99.00"),
}
COMUNICA_PRICE = Decimal("15.70")
#: Modifica: the price of each block of space added, by field (block size in MB, price).
SPACE_BLOCK_PRICES = {
    "spazio_disco": (1024, Decimal("5.00")),
    "spazio_storico": (1024, Decimal("5.00")),
    "spazio_conservazione": (512, Decimal("10.00")),
}
#: Conservazione: activation with its first 512 MB; each further 512 MB is a modifica block.
CONSERVAZIONE_ACTIVATION_PRICE = Decimal("25.00")
MULTIUTENZA_PRICE = Decimal("5.00")  # per user added


def trasformazione_price(da: str, a: str) -> Decimal:
    """The difference of the yearly prices [I], never below zero."""
    return max(BOX_PRICES[a] - BOX_PRICES[da], Decimal("0"))


def is_upgrade(da: str, a: str) -> bool:
    """True when ``a`` is a strictly higher Legalmail type than ``da``."""
    return da in LEGALMAIL and a in LEGALMAIL and LEGALMAIL.index(a) > LEGALMAIL.index(da)
