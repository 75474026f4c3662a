"""Holders (titolari), their PEC boxes (caselle), the requester data POST /pec needs, the
uploaded documents, the status history and the at-most-once intents of the box calls.

A box mirrors Openapi's ``Casella``: the remote id (unique, null until known), the status with
the API's own values, expiry, spaces, timestamps, and the remote-mirror fields every Openapi
object has (portal/mirror.py). Two local statuses come before the remote ones: ``nuova`` (the
registration intent is recorded, POST /pec not confirmed yet) and ``non_registrata`` (POST /pec
was refused). Transitions happen in mailboxes/services/mirror.py only.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.fields import user_link
from portal.history import HistoryLine
from portal.mirror import RemoteMirror
from portal.remote_calls import RemoteCall
from portal.search import Searchable
from portal.turno import ByStatus, Turno, stato_is

from . import validators
from .choices import (
    ACTIVATABLE,
    BADGE,
    MOVING,
    PERSON_TYPES,
    SINGLE_PDF_TYPES,
    SOTTOTIPO_CHOICES,
    TURNO,
    Gestore,
    Stato,
    TipoCasellaChoices,
    TipoClienteChoices,
)
from .operations import registry as operation_registry


class Titolare(Searchable):
    """The client who owns one or more boxes (a company, a professional, a person...)."""

    tipo_cliente = models.CharField(
        _("tipo di cliente"), max_length=2, choices=TipoClienteChoices.choices
    )
    sottotipo_cliente = models.CharField(
        _("sottotipo"), max_length=2, blank=True, choices=SOTTOTIPO_CHOICES
    )
    sottotipo_cliente_altro = models.CharField(_("sottotipo (altro)"), max_length=100, blank=True)
    denominazione = models.CharField(_("ragione sociale"), max_length=200, blank=True)
    nome = models.CharField(_("nome"), max_length=100, blank=True)
    cognome = models.CharField(_("cognome"), max_length=100, blank=True)
    codice_fiscale = models.CharField(_("codice fiscale"), max_length=16, unique=True)
    partita_iva = models.CharField(_("partita IVA"), max_length=11, blank=True)
    indirizzo = models.CharField(_("indirizzo"), max_length=200)
    comune = models.CharField(_("comune"), max_length=100)
    cap = models.CharField(_("CAP"), max_length=5, validators=[validators.validate_cap])
    provincia = models.CharField(_("provincia"), max_length=2)
    nazione = models.CharField(_("nazione"), max_length=2, default="IT")
    email = models.EmailField(_("e-mail"), blank=True)
    telefono = models.CharField(_("telefono"), max_length=20, blank=True)
    commercialisti = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="titolari_assegnati",
        verbose_name=_("commercialisti"),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("creato"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificato"), auto_now=True)

    #: Names, codes and comune, folded for search.
    search_fields = ("denominazione", "nome", "cognome", "codice_fiscale", "partita_iva", "comune")

    class Meta:
        verbose_name = _("titolare")
        verbose_name_plural = _("titolari")
        ordering = ["denominazione", "cognome", "nome"]
        indexes = [
            # The holders select and the boxes list sorted by holder, at 100,000 boxes.
            models.Index(fields=["denominazione", "cognome", "id"], name="mb_holder_name_idx"),
            # Search: codice fiscale / partita IVA compared case-insensitively.
            models.Index(Upper("codice_fiscale"), name="mb_holder_cf_upper_idx"),
            models.Index(Upper("partita_iva"), name="mb_holder_piva_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    @admin.display(description=_("nome"))
    def display_name(self) -> str:
        if self.denominazione:
            return self.denominazione
        return f"{self.cognome} {self.nome}".strip() or self.codice_fiscale

    @property
    def is_person(self) -> bool:
        return self.tipo_cliente in PERSON_TYPES


def _document_path(instance, filename: str) -> str:
    """A generated name: nothing of the user's file name or of the person reaches the disk."""
    return f"documenti/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class Casella(ByStatus, RemoteMirror):
    """A PEC box, mirroring Openapi's Casella."""

    turn_by_status, badge_by_status, moving_statuses = TURNO, BADGE, MOVING

    titolare = models.ForeignKey(
        Titolare,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="caselle",
        verbose_name=_("titolare"),
    )
    casella_pec = models.CharField(_("indirizzo"), max_length=254)
    #: Openapi, or another provider whose box is only recorded here (its expiry watched).
    gestore = models.CharField(
        _("gestore"), max_length=20, choices=Gestore.choices, default=Gestore.OPENAPI
    )
    #: Openapi's type; blank for a box of another provider.
    tipo_casella = models.CharField(
        _("tipo"), max_length=20, choices=TipoCasellaChoices.choices, blank=True
    )
    stato = models.CharField(
        _("stato"), max_length=30, choices=Stato.choices, default=Stato.NUOVA, db_index=True
    )
    data_scadenza = models.DateField(_("scadenza"), null=True, blank=True, db_index=True)
    data_attivazione = models.DateField(_("attivata il"), null=True, blank=True)
    spazio_disco = models.PositiveIntegerField(_("spazio casella (MB)"), null=True, blank=True)
    spazio_storico = models.PositiveIntegerField(_("spazio archivio (MB)"), null=True, blank=True)
    spazio_conservazione = models.PositiveIntegerField(
        _("spazio conservazione (MB)"), null=True, blank=True
    )
    conservazione = models.BooleanField(_("conservazione"), default=False)
    autorinnovo = models.BooleanField(_("rinnovo automatico"), default=False)
    ts_registrazione = models.DateTimeField(_("registrata il"), null=True, blank=True)
    ts_ultima_modifica = models.DateTimeField(_("ultima modifica Openapi"), null=True, blank=True)
    ts_evasione = models.DateTimeField(_("evasa il"), null=True, blank=True)
    ts_scadenza = models.DateTimeField(_("scade il (Openapi)"), null=True, blank=True)
    ts_revoca = models.DateTimeField(_("revocata il"), null=True, blank=True)
    evasa_at = models.DateTimeField(
        _("vista attiva il"),
        null=True,
        blank=True,
        help_text=_("Quando il portale l'ha vista evasa."),
    )
    importata = models.BooleanField(
        _("registrata fuori dal portale"), default=False, help_text=_("Importata da GET /pec.")
    )
    registered_by = user_link(_("registrata da"), related_name="caselle_registrate")
    #: What the boxes list's search reads, in this row: the address in lower case and the
    #: holder's search_text; the requester's codice fiscale in lower case. Written by database
    #: triggers on every change of the box, its holder or its requester (mailboxes/box_search.py).
    search_text = models.TextField(editable=False, blank=True, default="")
    richiedente_cf = models.CharField(max_length=16, editable=False, blank=True, default="")

    class Meta:
        verbose_name = _("casella PEC")
        verbose_name_plural = _("caselle PEC")
        ordering = ["-created_at"]
        indexes = [
            # One per sort of the boxes list, ending with id as its keyset pages do (a page of
            # 100,000 boxes reads one index range);
            # the filters by status, type and holder keep the default order in their index.
            models.Index(fields=["created_at", "id"], name="mb_box_created_idx"),
            models.Index(fields=["casella_pec", "id"], name="mb_box_address_idx"),
            models.Index(fields=["stato", "id"], name="mb_box_stato_idx"),
            models.Index(fields=["tipo_casella", "id"], name="mb_box_tipo_idx"),
            models.Index(fields=["data_scadenza", "id"], name="mb_box_scadenza_idx"),
            models.Index(fields=["stato", "created_at", "id"], name="mb_box_stato_created_idx"),
            models.Index(
                fields=["tipo_casella", "created_at", "id"], name="mb_box_tipo_created_idx"
            ),
            models.Index(fields=["titolare", "created_at", "id"], name="mb_box_holder_created_idx"),
            # The cockpit's renewal plan: active boxes by expiry month and type, index only.
            models.Index(
                fields=["stato", "data_scadenza", "tipo_casella"], name="mb_box_renewals_idx"
            ),
            # The cockpit's counters: boxes per status, with or without a holder or an
            # accountant, read from the index alone.
            models.Index(fields=["stato", "titolare"], name="mb_box_stato_holder_idx"),
            # The cockpit's renewals of other providers' boxes, in the list's order: a few
            # rows, where filtering the expiring boxes on gestore read them all.
            models.Index(
                fields=["data_scadenza", "casella_pec", "id"],
                condition=~Q(gestore="openapi"),
                name="mb_box_other_expiry_idx",
            ),
            # The compliance findings: the boxes at the companies' registered PECs and the
            # company boxes at a director's address, compared as compliance/services/findings.py
            # folds them (index lookups instead of reading a million addresses twice).
            models.Index(Lower(Trim("casella_pec")), name="mb_box_address_folded_idx"),
        ]
        constraints = [
            # One live registration per address (a refused one may be tried again).
            models.UniqueConstraint(
                fields=["casella_pec"],
                condition=~Q(stato="non_registrata"),
                name="mailboxes_one_box_per_address",
            ),
        ]

    def __str__(self) -> str:
        return self.casella_pec

    @property
    def managed(self) -> bool:
        """Managed through Openapi (else a box of another provider, only recorded here)."""
        return self.gestore == Gestore.OPENAPI

    @property
    def badge(self) -> str:
        if self.turno == Turno.COMMERCIALISTA:
            return "turn-commercialista"
        return super().badge

    @property
    def turno(self) -> str:
        """Whose move it is (:data:`TURNO`); ``con_commercialista`` may be annotated by a list
        (mailboxes.selectors.with_turno), else it is read here."""
        turno = super().turno
        if turno != Turno.CLIENTE:
            return turno
        assisted = getattr(self, "con_commercialista", None)
        if assisted is None:
            assisted = bool(self.titolare_id) and self.titolare.commercialisti.exists()
        return Turno.COMMERCIALISTA if assisted else Turno.CLIENTE

    @property
    def needs_single_pdf(self) -> bool:
        return self.tipo_casella in SINGLE_PDF_TYPES

    @property
    def can_upload(self) -> bool:
        return bool(self.remote_id) and self.stato in ACTIVATABLE

    # Where the box is in its life, for the pages (they ask these, not the status values).
    is_registering = stato_is(Stato.NUOVA)
    registration_failed = stato_is(Stato.NON_REGISTRATA)
    awaits_documents = stato_is(Stato.REGISTRATA)
    documents_refused = stato_is(Stato.DOCUMENTI_ERRATI)
    is_being_activated = stato_is(Stato.IN_EVASIONE)
    is_active = stato_is(Stato.EVASA)


class Richiedente(models.Model):
    """The requester data of POST /pec, with the ID document's data (personal data)."""

    casella = models.OneToOneField(
        Casella, on_delete=models.CASCADE, related_name="richiedente", verbose_name=_("casella")
    )
    nome = models.CharField(_("nome"), max_length=100)
    cognome = models.CharField(_("cognome"), max_length=100)
    codice_fiscale = models.CharField(_("codice fiscale"), max_length=16)
    data_nascita = models.DateField(_("data di nascita"))
    sesso = models.CharField(_("sesso"), max_length=1, choices=[("M", "M"), ("F", "F")])
    nazione_nascita = models.CharField(_("nazione di nascita"), max_length=2, default="IT")
    comune_nascita = models.CharField(_("comune di nascita"), max_length=100, blank=True)
    provincia_nascita = models.CharField(_("provincia di nascita"), max_length=2, blank=True)
    email = models.EmailField(_("e-mail"))
    telefono = models.CharField(_("telefono"), max_length=20)
    cellulare = models.CharField(_("cellulare"), max_length=20, blank=True)
    tipo_documento = models.CharField(
        _("tipo di documento"),
        max_length=20,
        choices=[
            ("CARTA_D_IDENTITA", _("Carta d'identità")),
            ("PATENTE", _("Patente")),
            ("PASSAPORTO", _("Passaporto")),
        ],
    )
    numero_documento = models.CharField(_("numero del documento"), max_length=40)
    data_rilascio_documento = models.DateField(_("rilasciato il"))
    data_scadenza_documento = models.DateField(_("scade il"))
    documento_rilasciato_da = models.CharField(_("rilasciato da"), max_length=100)

    class Meta:
        verbose_name = _("richiedente")
        verbose_name_plural = _("richiedenti")
        indexes = [models.Index(Upper("codice_fiscale"), name="mb_requester_cf_upper_idx")]

    def __str__(self) -> str:
        return f"{self.cognome} {self.nome}"


class TipoDocumentoCaricato(models.TextChoices):
    MODULO = "modulo", _("Modulo di attivazione firmato")
    IDENTITA = "identita", _("Documento d'identità")
    UNICO = "unico", _("Modulo firmato e documento d'identità (PDF unico)")
    # Legal preservation (PATCH /pec/{id}/conservazione), see mailboxes/operations/conservazione.py.
    MODULO_CONSERVAZIONE = "mod_cons", _("Modulo di conservazione firmato")
    IDENTITA_CONSERVAZIONE = "id_cons", _("Documento d'identità (conservazione)")


class Documento(models.Model):
    """An uploaded PDF, stored under a generated name through STORAGES['default']."""

    casella = models.ForeignKey(
        Casella, on_delete=models.CASCADE, related_name="documenti", verbose_name=_("casella")
    )
    tipo = models.CharField(_("tipo"), max_length=10, choices=TipoDocumentoCaricato.choices)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=200, blank=True)
    nome_originale = models.CharField(_("nome del file caricato"), max_length=120, blank=True)
    dimensione = models.PositiveIntegerField(_("dimensione (byte)"), default=0)
    pagine = models.PositiveIntegerField(_("pagine"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = user_link(_("caricato da"))
    uploaded_at = models.DateTimeField(_("caricato il"), auto_now_add=True)
    sent_at = models.DateTimeField(_("inviato il"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("eliminato il"), null=True, blank=True)
    deleted_reason = models.CharField(_("motivo dell'eliminazione"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("documento")
        verbose_name_plural = _("documenti")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_tipo_display()} · {self.casella}"

    @property
    def contains_identity(self) -> bool:
        return self.tipo in (TipoDocumentoCaricato.IDENTITA, TipoDocumentoCaricato.UNICO)

    @property
    def available(self) -> bool:
        return bool(self.file) and self.deleted_at is None


class TipoEvento(models.TextChoices):
    STATO = "stato", _("Cambio di stato")
    REGISTRAZIONE = "registrazione", _("Registrazione")
    DOCUMENTI = "documenti", _("Documenti")
    SYNC = "sync", _("Aggiornamento da Openapi")
    IMPORT = "import", _("Importazione")
    ERRORE = "errore", _("Errore")
    ELIMINAZIONE = "eliminazione", _("Eliminazione documenti")
    OPERAZIONE = "operazione", _("Operazione sulla casella")


class Evento(HistoryLine):
    """One line of a box's history (its text: :class:`portal.history.HistoryLine`)."""

    casella = models.ForeignKey(
        Casella, on_delete=models.CASCADE, related_name="eventi", verbose_name=_("casella")
    )
    at = models.DateTimeField(_("quando"), default=timezone.now, db_index=True)
    tipo = models.CharField(_("tipo"), max_length=20, choices=TipoEvento.choices)
    da_stato = models.CharField(_("da"), max_length=30, blank=True, choices=Stato.choices)
    a_stato = models.CharField(_("a"), max_length=30, blank=True, choices=Stato.choices)
    dati = models.JSONField(_("dettagli"), default=dict, blank=True)
    user = user_link(_("utente"))

    class Meta:
        verbose_name = _("evento")
        verbose_name_plural = _("storico")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_tipo_display()}"


class CallKind(models.TextChoices):
    """The calls of a box's registration; the operations on active boxes add their own kinds
    (mailboxes/operations/registry.py)."""

    REGISTRAZIONE = "registrazione", _("Registrazione (POST /pec)")
    ATTIVAZIONE = "attivazione", _("Invio documenti (PATCH /pec/{id}/attivazione)")


_PLAIN_KINDS = {
    CallKind.REGISTRAZIONE: _("Registrazione"),
    CallKind.ATTIVAZIONE: _("Invio documenti"),
}


def call_kinds() -> list[tuple[str, str]]:
    """The choices of ``CasellaCall.kind``: the registration's calls and every registered
    operation (a callable, so a new operation needs no migration)."""
    return [*CallKind.choices, *((s.kind, s.call_label) for s in operation_registry.in_order())]


class CasellaCall(RemoteCall):
    """An at-most-once intent of a call on a box (see portal/remote_calls.py)."""

    kind = models.CharField(_("operazione"), max_length=40, choices=call_kinds)
    casella = models.ForeignKey(
        Casella, on_delete=models.CASCADE, related_name="calls", verbose_name=_("casella")
    )

    @property
    def is_activation(self) -> bool:
        return self.kind == CallKind.ATTIVAZIONE

    @property
    def kind_label(self) -> str:
        """The call's name without Openapi's path (admin shows the path: get_kind_display)."""
        spec = operation_registry.OPERATIONS.get(self.kind)
        if spec is not None:
            return str(spec.label)
        return str(_PLAIN_KINDS.get(self.kind, self.kind))

    class Meta(RemoteCall.Meta):
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="mb_call_due_idx")]
        constraints = [
            # At most one live registration per box, whatever the intent keys (a refused one
            # may be tried again, e.g. after topping up the wallet).
            models.UniqueConstraint(
                fields=["casella"],
                condition=Q(kind="registrazione") & ~Q(state="failed"),
                name="mailboxes_one_live_registration_per_box",
            ),
            # At most one open operation (renew, revoke, enlarge...) per box: two tabs or two
            # people cannot renew the same box twice by accident. Every kind that is not a
            # registration call is an operation, so a new operation needs no migration.
            models.UniqueConstraint(
                fields=["casella"],
                condition=~Q(kind__in=CallKind.values)
                & Q(state__in=["pending", "in_flight", "unclear"]),
                name="mailboxes_one_open_operation_per_box",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"


class PromemoriaScadenza(models.Model):
    """An expiry reminder e-mailed to the office: one per box, threshold and expiry date."""

    casella = models.ForeignKey(
        Casella, on_delete=models.CASCADE, related_name="promemoria", verbose_name=_("casella")
    )
    soglia = models.PositiveSmallIntegerField(_("giorni prima della scadenza"))
    data_scadenza = models.DateField(_("scadenza"))
    sent_at = models.DateTimeField(_("inviato il"), default=timezone.now)
    destinatari = models.PositiveIntegerField(_("destinatari"), default=0)

    class Meta:
        verbose_name = _("promemoria di scadenza")
        verbose_name_plural = _("promemoria di scadenza")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["casella", "soglia", "data_scadenza"],
                name="mailboxes_one_reminder_per_box_threshold_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.casella} · {self.soglia} gg · {self.data_scadenza:%d/%m/%Y}"
