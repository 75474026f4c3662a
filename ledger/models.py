"""The cost ledger: one entry per paid intent that was charged, the wallet's movements it is
reconciled against, and the office's markup rules.

An entry is written in the transaction that marks its intent done (portal.remote_calls
``call_done``), unique per intent: an intent retried, settled or run twice is one row, so one
entry. Amounts are Decimal, in euro, VAT excluded (Openapi's list prices)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mailboxes.models import Casella, Titolare
from openapi_pec.prices import Operation
from portal.fields import optional_link


class Fonte(models.TextChoices):
    """Which intents' table an entry comes from."""

    CASELLA = "casella", _("Casella")
    COMUNICA = "comunica", _("Comunicazione PEC")


class Operazione(models.TextChoices):
    """The paid operations, named as openapi_pec.prices names them."""

    REGISTRAZIONE = Operation.REGISTRAZIONE.value, _("Registrazione")
    RINNOVO = Operation.RINNOVO.value, _("Rinnovo")
    MODIFICA = Operation.MODIFICA.value, _("Modifica spazio")
    CONSERVAZIONE = Operation.CONSERVAZIONE.value, _("Conservazione")
    TRASFORMAZIONE = Operation.TRASFORMAZIONE.value, _("Trasformazione")
    MULTIUTENZA = Operation.MULTIUTENZA.value, _("Multiutenza")
    COMUNICA = Operation.COMUNICA.value, _("Comunicazione al Registro Imprese")


class MovimentoConto(models.Model):
    """A movement of the Openapi wallet (GET /wallet/transactions; negative = expense)."""

    remote_id = models.CharField(_("id Openapi"), max_length=80, unique=True)
    importo = models.DecimalField(_("importo"), max_digits=12, decimal_places=2)
    at = models.DateTimeField(_("data"), db_index=True)
    descrizione = models.CharField(_("descrizione"), max_length=300, blank=True)
    letto_il = models.DateTimeField(_("letto il"), auto_now_add=True)

    class Meta:
        verbose_name = _("movimento del conto")
        verbose_name_plural = _("movimenti del conto")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.importo} {self.descrizione}"

    @property
    def is_expense(self) -> bool:
        return self.importo < 0


class Addebito(models.Model):
    """A paid intent that was charged: who it was for, what, the list price, when."""

    fonte = models.CharField(_("origine"), max_length=10, choices=Fonte.choices)
    call_id = models.PositiveBigIntegerField(_("intento"))
    operazione = models.CharField(_("operazione"), max_length=20, choices=Operazione.choices)
    titolare = optional_link(Titolare, _("titolare"), related_name="addebiti")
    casella = optional_link(Casella, _("casella"), related_name="addebiti")
    #: The box's address (or the comunica's), kept if the box is deleted.
    indirizzo = models.CharField(_("indirizzo"), max_length=254, blank=True)
    prezzo = models.DecimalField(_("prezzo di listino"), max_digits=10, decimal_places=2)
    richiesto_il = models.DateTimeField(_("richiesto il"))
    addebitato_il = models.DateTimeField(_("addebitato il"), db_index=True)
    movimento = models.OneToOneField(
        MovimentoConto,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="addebito",
        verbose_name=_("movimento del conto"),
    )

    class Meta:
        verbose_name = _("addebito")
        verbose_name_plural = _("addebiti")
        ordering = ["-addebitato_il", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fonte", "call_id"], name="ledger_one_entry_per_intent")
        ]
        indexes = [
            models.Index(fields=["titolare", "addebitato_il"], name="ledger_holder_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_operazione_display()} {self.indirizzo} {self.prezzo}"


class Ricarico(models.Model):
    """The office's markup on an operation (blank: every operation), for every holder or (with
    a holder) overriding the office's rule for that holder."""

    titolare = models.ForeignKey(
        Titolare,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ricarichi",
        verbose_name=_("titolare"),
        help_text=_("Vuoto: vale per tutti i titolari."),
    )
    operazione = models.CharField(
        _("operazione"),
        max_length=20,
        choices=Operazione.choices,
        blank=True,
        help_text=_("Vuota: vale per tutte le operazioni."),
    )
    percentuale = models.DecimalField(
        _("ricarico %"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    fisso = models.DecimalField(
        _("ricarico fisso (€)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("ricarico")
        verbose_name_plural = _("ricarichi")
        ordering = ["titolare_id", "operazione"]
        constraints = [
            models.UniqueConstraint(
                fields=["titolare", "operazione"], name="ledger_one_markup_per_holder_operation"
            ),
            models.UniqueConstraint(
                fields=["operazione"],
                condition=Q(titolare=None),
                name="ledger_one_office_markup_per_operation",
            ),
        ]

    def __str__(self) -> str:
        who = self.titolare or _("tutti i titolari")
        what = self.get_operazione_display() or _("tutte le operazioni")
        return f"{who} · {what}: {self.percentuale}% + {self.fisso} €"


class LetturaConto(models.Model):
    """A read of the wallet's movements over [dal, al]: an entry charged in such an interval
    and paired with no movement is flagged."""

    dal = models.DateTimeField(_("dal"))
    al = models.DateTimeField(_("al"))
    movimenti = models.PositiveIntegerField(_("movimenti letti"), default=0)

    class Meta:
        verbose_name = _("lettura del conto")
        verbose_name_plural = _("letture del conto")
        ordering = ["-al"]

    def __str__(self) -> str:
        return f"{self.dal:%d/%m/%Y} – {self.al:%d/%m/%Y %H:%M}"
