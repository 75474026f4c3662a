"""Requests to communicate a PEC to the Registro Imprese (Openapi's ``/comunica_pec``).

:class:`RichiestaComunicazione` mirrors the spec's ``RichiestaComunicazionePec``: the remote id
(unique, null until Openapi answers) and the other remote-mirror fields (portal/mirror.py), the
status with the API's own values (plus two local ones before Openapi knows the request).
:class:`ProcuraFirmata` is a signed power of attorney (.p7m) uploaded by the office, stored
privately; :class:`Evento` is the request's timeline; :class:`ComunicaCall` the at-most-once
intents of POST /comunica_pec and PATCH /comunica_pec/{id}. Transitions happen in
comunica/services/mirror.py only.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from openapi_pec.types import Qualifica, StatoComunica
from portal.fields import optional_link, user_link
from portal.history import HistoryLine
from portal.mirror import RemoteMirror
from portal.remote_calls import RemoteCall
from portal.search import Searchable
from portal.turno import ByStatus, Turno, stato_is

from . import validators


class StatoRichiesta(models.TextChoices):
    # Local, before Openapi knows the request.
    NUOVA = "nuova", _("In invio a Openapi")
    NON_INVIATA = "non_inviata", _("Invio non riuscito")
    # RichiestaComunicazionePec.stato, as the API spells it.
    CODICE_IN_RICHIESTA = (
        StatoComunica.CODICE_IN_RICHIESTA.value,
        _("Richiesta inviata: procura in preparazione"),
    )
    IN_ATTESA_DI_DOCUMENTI = (
        StatoComunica.IN_ATTESA_DI_DOCUMENTI.value,
        _("In attesa della procura firmata"),
    )
    DOCUMENTI_CARICATI = (
        StatoComunica.DOCUMENTI_CARICATI.value,
        _("Procura caricata: in lavorazione"),
    )
    COMUNICAZIONE_EVASA = StatoComunica.COMUNICAZIONE_EVASA.value, _("Comunicazione evasa")


REMOTE_STATI = {s.value for s in StatoComunica}
#: Statuses that change by themselves, without the office doing anything.
MOVING = {
    StatoRichiesta.NUOVA,
    StatoRichiesta.CODICE_IN_RICHIESTA,
    StatoRichiesta.DOCUMENTI_CARICATI,
}
#: Where the status no longer changes.
SETTLED = {StatoRichiesta.COMUNICAZIONE_EVASA, StatoRichiesta.NON_INVIATA}
BADGE = {
    StatoRichiesta.NUOVA: "moving",
    StatoRichiesta.NON_INVIATA: "bad",
    StatoRichiesta.CODICE_IN_RICHIESTA: "moving",
    StatoRichiesta.IN_ATTESA_DI_DOCUMENTI: "turn-cliente",
    StatoRichiesta.DOCUMENTI_CARICATI: "moving",
    StatoRichiesta.COMUNICAZIONE_EVASA: "ok",
}
#: Whose move it is in each status (the client signs the power of attorney).
TURNO = {
    StatoRichiesta.NUOVA: Turno.OPENAPI,
    StatoRichiesta.NON_INVIATA: Turno.UFFICIO,
    StatoRichiesta.CODICE_IN_RICHIESTA: Turno.OPENAPI,
    StatoRichiesta.IN_ATTESA_DI_DOCUMENTI: Turno.CLIENTE,
    StatoRichiesta.DOCUMENTI_CARICATI: Turno.OPENAPI,
    StatoRichiesta.COMUNICAZIONE_EVASA: Turno.NESSUNO,
}
#: Order of the remote statuses: a poll never moves a request backwards.
ORDER = {
    StatoRichiesta.NUOVA: 0,
    StatoRichiesta.NON_INVIATA: 0,
    StatoRichiesta.CODICE_IN_RICHIESTA: 1,
    StatoRichiesta.IN_ATTESA_DI_DOCUMENTI: 2,
    StatoRichiesta.DOCUMENTI_CARICATI: 3,
    StatoRichiesta.COMUNICAZIONE_EVASA: 4,
}

#: The page's steps: sending (0), Openapi prepares the procura (1), signed and uploaded (2), the
#: Registro Imprese processes it (3); 4: all done.
STEP = {
    StatoRichiesta.NUOVA: 0,
    StatoRichiesta.CODICE_IN_RICHIESTA: 1,
    StatoRichiesta.IN_ATTESA_DI_DOCUMENTI: 2,
    StatoRichiesta.DOCUMENTI_CARICATI: 3,
    StatoRichiesta.COMUNICAZIONE_EVASA: 4,
}


class QualificaChoices(models.TextChoices):
    AMMINISTRATORE = Qualifica.AMMINISTRATORE.value, _("Amministratore")
    COMMISSARIO_GIUDIZIARIO = Qualifica.COMMISSARIO_GIUDIZIARIO.value, _("Commissario giudiziario")
    CURATORE_FALLIMENTARE = Qualifica.CURATORE_FALLIMENTARE.value, _("Curatore fallimentare")
    LEGALE_RAPPRESENTANTE = Qualifica.LEGALE_RAPPRESENTANTE.value, _("Legale rappresentante")
    LIQUIDATORE = Qualifica.LIQUIDATORE.value, _("Liquidatore")
    SOCIO = Qualifica.SOCIO.value, _("Socio")
    TITOLARE = Qualifica.TITOLARE.value, _("Titolare")


class RichiestaComunicazione(ByStatus, Searchable, RemoteMirror):
    """A request to register a company's (or its director's) PEC at the Registro Imprese."""

    turn_by_status, badge_by_status, moving_statuses = TURNO, BADGE, MOVING

    casella_pec = models.EmailField(_("PEC da comunicare"), max_length=254, db_index=True)
    pec_amministratore = models.BooleanField(
        _("PEC dell'amministratore"),
        default=False,
        help_text=_(
            "Sì: si comunica la PEC personale dell'amministratore unico o delegato; "
            "no: la PEC dell'impresa."
        ),
    )
    pec_impresa = models.EmailField(
        _("PEC dell'impresa"),
        max_length=254,
        blank=True,
        help_text=_("Per la PEC dell'amministratore: deve essere diversa da quella dell'impresa."),
    )
    # The company.
    ragione_sociale = models.CharField(_("ragione sociale"), max_length=200)
    cf_piva = models.CharField(
        _("codice fiscale o partita IVA dell'impresa"),
        max_length=16,
        validators=[validators.validate_cf_piva],
        db_index=True,
    )
    comune = models.CharField(_("comune della sede"), max_length=100)
    provincia = models.CharField(
        _("provincia (sigla)"), max_length=2, validators=[validators.validate_provincia]
    )
    # The applicant.
    cf = models.CharField(
        _("codice fiscale del richiedente"),
        max_length=16,
        validators=[validators.validate_codice_fiscale],
    )
    nome = models.CharField(_("nome"), max_length=100)
    cognome = models.CharField(_("cognome"), max_length=100)
    qualifica = models.CharField(_("qualifica"), max_length=30, choices=QualificaChoices.choices)
    email = models.EmailField(_("e-mail del richiedente"))
    cellulare = models.CharField(
        _("cellulare"), max_length=20, validators=[validators.validate_cellulare]
    )
    # Openapi's side.
    stato = models.CharField(
        _("stato"),
        max_length=30,
        choices=StatoRichiesta.choices,
        default=StatoRichiesta.NUOVA,
        db_index=True,
    )
    codice_registro_imprese = models.CharField(
        _("codice Registro Imprese"), max_length=100, blank=True
    )
    documenti_registro_imprese = models.JSONField(
        _("ricevute del Registro Imprese"), default=list, blank=True
    )
    remote_timestamp = models.DateTimeField(_("ultimo cambio Openapi"), null=True, blank=True)
    owner = models.CharField(_("account Openapi"), max_length=254, blank=True)
    evasa_at = models.DateTimeField(_("evasa il"), null=True, blank=True)
    importata = models.BooleanField(
        _("avviata fuori dal portale"),
        default=False,
        help_text=_("Importata da GET /comunica_pec."),
    )
    # Links to the office's holders and boxes.
    titolare = optional_link("mailboxes.Titolare", _("titolare"), related_name="comunicazioni")
    casella = optional_link("mailboxes.Casella", _("casella"), related_name="comunicazioni")
    created_by = user_link(_("creata da"), related_name="comunicazioni_create")
    #: Company, person, codes, addresses and comune, folded for search.
    search_fields = (
        "ragione_sociale",
        "nome",
        "cognome",
        "cf_piva",
        "cf",
        "casella_pec",
        "pec_impresa",
        "comune",
        "codice_registro_imprese",
    )

    class Meta:
        verbose_name = _("comunicazione PEC")
        verbose_name_plural = _("comunicazioni PEC")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.casella_pec} ({self.ragione_sociale})"

    @property
    def can_upload(self) -> bool:
        return bool(self.remote_id) and self.stato == StatoRichiesta.IN_ATTESA_DI_DOCUMENTI

    # Where the request is, for the pages (they ask these, not the status values).
    is_sending = stato_is(StatoRichiesta.NUOVA)
    send_failed = stato_is(StatoRichiesta.NON_INVIATA)
    awaits_procura = stato_is(StatoRichiesta.CODICE_IN_RICHIESTA)
    awaits_documents = stato_is(StatoRichiesta.IN_ATTESA_DI_DOCUMENTI)
    documents_uploaded = stato_is(StatoRichiesta.DOCUMENTI_CARICATI)
    is_done = stato_is(StatoRichiesta.COMUNICAZIONE_EVASA)

    @property
    def step(self) -> int:
        """The step of the page's four (0-3) under way; 4 when all are done, -1 when the
        request was not accepted (no step done)."""
        return STEP.get(self.stato, -1)

    @property
    def richiedente(self) -> str:
        return f"{self.nome} {self.cognome}".strip()


class ProcuraFirmata(models.Model):
    """A signed power of attorney (.p7m) uploaded for a request; the file is stored privately."""

    richiesta = models.ForeignKey(
        RichiestaComunicazione,
        on_delete=models.CASCADE,
        related_name="procure",
        verbose_name=_("richiesta"),
    )
    file = models.CharField(max_length=300)  # name in the private storage
    nome_originale = models.CharField(_("nome del file"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("dimensione (byte)"))
    firmatario = models.CharField(_("firmatario"), max_length=200, blank=True)
    firmatario_cf = models.CharField(_("codice fiscale del firmatario"), max_length=16, blank=True)
    certificato_soggetto = models.CharField(_("soggetto del certificato"), max_length=500)
    certificato_emittente = models.CharField(_("emittente del certificato"), max_length=500)
    certificato_seriale = models.CharField(max_length=80, blank=True)
    valido_dal = models.DateTimeField(_("certificato valido dal"), null=True, blank=True)
    valido_al = models.DateTimeField(_("certificato valido fino al"), null=True, blank=True)
    firmato_il = models.DateTimeField(_("firmato il"), null=True, blank=True)
    firma_verificata = models.BooleanField(
        _("firma corrispondente al documento"),
        null=True,
        help_text=_("Sì: la firma corrisponde al PDF; vuoto: algoritmo non verificato qui."),
    )
    cf_diverso = models.BooleanField(_("firmatario diverso dal richiedente"), default=False)
    certificato_scaduto = models.BooleanField(_("certificato scaduto"), default=False)
    conferma_forzata = models.BooleanField(_("inviata nonostante gli avvisi"), default=False)
    inviata_at = models.DateTimeField(_("inviata il"), null=True, blank=True)
    uploaded_by = user_link(_("caricata da"))
    uploaded_at = models.DateTimeField(_("caricata il"), auto_now_add=True)

    class Meta:
        verbose_name = _("procura firmata")
        verbose_name_plural = _("procure firmate")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.nome_originale or f"procura #{self.pk}"

    @property
    def has_warnings(self) -> bool:
        return self.cf_diverso or self.certificato_scaduto


class Evento(HistoryLine):
    """One line of a request's timeline (its text: :class:`portal.history.HistoryLine`)."""

    class Tipo(models.TextChoices):
        CREATA = "creata", _("Creata")
        INVIO = "invio", _("Invio a Openapi")
        STATO = "stato", _("Cambio di stato")
        PROCURA = "procura", _("Procura")
        ERRORE = "errore", _("Errore")
        SYNC = "sync", _("Sincronizzazione")

    richiesta = models.ForeignKey(
        RichiestaComunicazione, on_delete=models.CASCADE, related_name="eventi"
    )
    tipo = models.CharField(max_length=20, choices=Tipo.choices)
    stato = models.CharField(max_length=30, choices=StatoRichiesta.choices, blank=True)
    user = user_link()
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("evento")
        verbose_name_plural = _("eventi")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_tipo_display()}: {self.testo}"


class ComunicaCallKind(models.TextChoices):
    CREATE = "create", _("Invio della richiesta (POST /comunica_pec)")
    UPLOAD = "upload", _("Invio della procura firmata (PATCH /comunica_pec/{id})")


class ComunicaCall(RemoteCall):
    """An at-most-once intent: POST /comunica_pec (kind ``create``, paid) or
    PATCH /comunica_pec/{id} (kind ``upload``)."""

    kind = models.CharField(_("operazione"), max_length=40, choices=ComunicaCallKind.choices)

    richiesta = models.ForeignKey(
        RichiestaComunicazione,
        on_delete=models.PROTECT,
        related_name="calls",
        verbose_name=_("richiesta"),
    )
    procura = models.ForeignKey(
        ProcuraFirmata, null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )

    class Meta(RemoteCall.Meta):
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="comunica_call_due")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
