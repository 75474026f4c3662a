"""The value lists of holders and boxes (customer types and subtypes, box types, statuses) and
what a status means: whose move it is, whether it changes by itself, the badge it shows. Kept
apart from the models (mailboxes/models.py imports them) so the tables read on their own."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from openapi_pec.types import SOTTOTIPI_CLIENTE, StatoCasella, TipoCasella, TipoCliente
from portal.turno import Turno


class TipoClienteChoices(models.TextChoices):
    IMPRESA = TipoCliente.IMPRESA.value, _("Impresa")
    PROFESSIONISTA = TipoCliente.PROFESSIONISTA.value, _("Professionista")
    PA_LOCALE = TipoCliente.PA_LOCALE.value, _("Pubblica amministrazione locale")
    PA_CENTRALE = TipoCliente.PA_CENTRALE.value, _("Pubblica amministrazione centrale")
    ASSOCIAZIONE = TipoCliente.ASSOCIAZIONE.value, _("Associazione")
    PRIVATO = TipoCliente.PRIVATO.value, _("Privato")
    ALTRO = TipoCliente.ALTRO.value, _("Altro")


#: (tipo_cliente, code) -> label, for the subtype select.
#: Openapi's subtype names as people write them (accents, acronyms, "e" between two trades).
SOTTOTIPO_LABELS = {
    "SI": _("Servizi alle imprese"),
    "IN": _("Informatica"),
    "CM": _("Commercio"),
    "TE": _("Telecomunicazioni"),
    "ES": _("Editoria e stampa"),
    "ME": _("Meccanica ed elettrica"),
    "AL": _("Alimentare"),
    "CF": _("Chimica e farmaceutica"),
    "ED": _("Edilizia"),
    "TM": _("Tessile e moda"),
    "MA": _("Mobili e arredamenti"),
    "AR": _("Alberghi e ristoranti"),
    "TL": _("Trasporti e logistica"),
    "FI": _("Finanza"),
    "X": _("Altro"),
    "PC": _("Commercialista"),
    "PR": _("Ragioniere"),
    "PN": _("Notaio"),
    "PT": _("Tributarista"),
    "PA": _("Avvocato"),
    "PL": _("Consulente del lavoro"),
    "LR": _("Regione"),
    "LP": _("Provincia"),
    "LC": _("Comune"),
    "LM": _("Comunità Montana"),
    "LA": _("ASL"),
    "LI": _("Camera di commercio (CCIAA)"),
}

#: In the order above: the trades, the professions, the local authorities, "Altro" among them.
SOTTOTIPO_CHOICES = [
    (code, label)
    for code, label in SOTTOTIPO_LABELS.items()
    if any(code in sub for sub in SOTTOTIPI_CLIENTE.values())
]

#: tipo_cliente -> the subtype codes it takes (the form filters the select with it).
SOTTOTIPI_PER_TIPO = {str(tipo.value): sorted(sub) for tipo, sub in SOTTOTIPI_CLIENTE.items()}

#: Customer types whose holder is a person (no company name).
PERSON_TYPES = {TipoCliente.PRIVATO.value, TipoCliente.PROFESSIONISTA.value}


class TipoCasellaChoices(models.TextChoices):
    STANDARD = TipoCasella.STANDARD.value, _("Legalmail Standard")
    BRONZE = TipoCasella.BRONZE.value, _("Legalmail Bronze")
    SILVER = TipoCasella.SILVER.value, _("Legalmail Silver")
    GOLD = TipoCasella.GOLD.value, _("Legalmail Gold")
    DOMICILIODIGITALE = TipoCasella.DOMICILIODIGITALE.value, _("Domicilio Digitale")
    PECMASSIVA = TipoCasella.PECMASSIVA.value, _("PEC Massiva")

    @classmethod
    def label_of(cls, code: str):
        """The type's name for people (Openapi's code when unknown)."""
        return cls(code).label if code in cls.values else code


#: One line on what each type is for, next to its name and price in the registration form.
TIPO_CASELLA_DESCRIPTIONS = {
    TipoCasella.STANDARD.value: _("La PEC di base per chi scrive e riceve poco: 1 GB di spazio."),
    TipoCasella.BRONZE.value: _("Più spazio per un piccolo studio o un'azienda."),
    TipoCasella.SILVER.value: _("Per un uso quotidiano intenso, con più spazio e archivio."),
    TipoCasella.GOLD.value: _("Il massimo di spazio e servizi Legalmail."),
    TipoCasella.DOMICILIODIGITALE.value: _(
        "Il domicilio digitale del cittadino: riceve dalle pubbliche amministrazioni."
    ),
    TipoCasella.PECMASSIVA.value: _("Per inviare grandi quantità di PEC in automatico."),
}

#: Types whose activation takes one PDF with the signed form and the ID document together.
SINGLE_PDF_TYPES = {TipoCasella.DOMICILIODIGITALE.value, TipoCasella.PECMASSIVA.value}


class Stato(models.TextChoices):
    # Local, before Openapi knows the box.
    NUOVA = "nuova", _("In registrazione")
    NON_REGISTRATA = "non_registrata", _("Registrazione non riuscita")
    # Casella.stato, as the API spells it.
    REGISTRATA = StatoCasella.REGISTRATA.value, _("Registrata: in attesa dei documenti")
    IN_EVASIONE = StatoCasella.IN_EVASIONE.value, _("Documenti inviati: in lavorazione")
    EVASA = StatoCasella.EVASA.value, _("Attiva")
    DOCUMENTI_ERRATI = StatoCasella.DOCUMENTI_ERRATI.value, _("Documenti da ricaricare")
    REVOCATA = StatoCasella.REVOCATA.value, _("Revocata")
    CHIUSA = StatoCasella.CHIUSA.value, _("Chiusa")
    REGISTRAZIONE_ANNULLATA = (
        StatoCasella.REGISTRAZIONE_ANNULLATA.value,
        _("Registrazione annullata"),
    )


#: Statuses that change by themselves (the portal polls them).
MOVING = {Stato.NUOVA, Stato.IN_EVASIONE}
#: Statuses in which PATCH /pec/{id}/attivazione is allowed.
ACTIVATABLE = {Stato.REGISTRATA, Stato.DOCUMENTI_ERRATI}


#: Whose move it is in each status. A box waiting for its signed documents is its holder's
#: accountant's move when the holder has one (the accountant collects and uploads them), else
#: the client's (the office waits for the signed form): see :meth:`Casella.turno`.
TURNO = {
    Stato.NUOVA: Turno.OPENAPI,
    Stato.NON_REGISTRATA: Turno.UFFICIO,
    Stato.REGISTRATA: Turno.CLIENTE,
    Stato.IN_EVASIONE: Turno.OPENAPI,
    Stato.EVASA: Turno.NESSUNO,
    Stato.DOCUMENTI_ERRATI: Turno.UFFICIO,
    Stato.REVOCATA: Turno.NESSUNO,
    Stato.CHIUSA: Turno.NESSUNO,
    Stato.REGISTRAZIONE_ANNULLATA: Turno.NESSUNO,
}
#: Statuses in which someone (the office, an accountant or the client) has to act.
NEEDS_ACTION = {s for s, t in TURNO.items() if t in (Turno.UFFICIO, Turno.CLIENTE)}
#: The badge colour of a status: by whose move it is, and for settled boxes whether they live.
BADGE = {
    Stato.NUOVA: "moving",
    Stato.IN_EVASIONE: "moving",
    Stato.REGISTRATA: "turn-cliente",
    Stato.EVASA: "ok",
    Stato.DOCUMENTI_ERRATI: "turn-ufficio",
    Stato.NON_REGISTRATA: "turn-ufficio",
    Stato.REVOCATA: "off",
    Stato.CHIUSA: "off",
    Stato.REGISTRAZIONE_ANNULLATA: "off",
}


class Gestore(models.TextChoices):
    """Who manages the box. The portal manages its Openapi boxes; a box at another provider is
    recorded by hand or imported so its expiry is watched with the others, and nothing is ever
    asked of Openapi for it (no polling, no sync, no operation)."""

    OPENAPI = "openapi", _("Openapi")
    ARUBA = "aruba", _("Aruba")
    REGISTER = "register", _("Register.it")
    NAMIRIAL = "namirial", _("Namirial")
    POSTE = "poste", _("Poste Italiane")
    INFOCERT = "infocert", _("InfoCert (Legalmail diretta)")
    ALTRO = "altro", _("Altro gestore")


#: The type of a box of another provider: it has no Openapi type (the renewal plan leaves these
#: boxes out on this column of its index).
NO_TYPE = ""
#: The providers of boxes the portal does not manage (the choices of the manual form and import).
OTHER_PROVIDERS = [(v, label) for v, label in Gestore.choices if v != Gestore.OPENAPI]
