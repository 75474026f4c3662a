"""What the Company API said about each client company (:class:`CompanyCheck`) and what the
portal made of it (:class:`Finding`, one per company and kind). Computed by
compliance/services/findings.py, refreshed by a task; the pages only read them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from comunica.models import RichiestaComunicazione
from mailboxes.models import Casella, Titolare
from portal.fields import optional_link
from portal.remote_calls import RemoteCall

from .choices import ACTIONS, SEVERITY, Kind


class CompanyCheck(models.Model):
    """The Registro Imprese's data of one company holder, as last read."""

    titolare = models.OneToOneField(
        Titolare, on_delete=models.CASCADE, related_name="compliance_check"
    )
    registered_pec = models.CharField(_("PEC registrata"), max_length=254, blank=True)
    pec_history = models.JSONField(default=list, blank=True)
    legal_form = models.CharField(_("forma giuridica"), max_length=10, blank=True)
    legal_form_description = models.CharField(max_length=200, blank=True)
    ceased = models.BooleanField(_("cessata"), default=False)
    #: The obliged director (DL 159/2025), when the legal form has one: name, surname, tax
    #: code, role code, birth date and town, as the stakeholders gave them.
    director = models.JSONField(null=True, blank=True)
    director_obliged = models.BooleanField(default=False)
    error = models.CharField(_("errore"), max_length=300, blank=True)
    #: When a monitor last told (confirmed by re-reading it) the PEC or the closure: a cached
    #: lookup older than this does not overwrite them.
    watched_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(_("verificata il"), null=True, blank=True)

    class Meta:
        verbose_name = _("verifica Registro Imprese")
        verbose_name_plural = _("verifiche Registro Imprese")

    def __str__(self) -> str:
        return str(self.titolare)


class Finding(models.Model):
    """Something to fix about one company: at most one per company and kind."""

    titolare = models.ForeignKey(
        Titolare, on_delete=models.CASCADE, related_name="compliance_findings"
    )
    kind = models.CharField(_("problema"), max_length=40, choices=Kind.choices)
    casella = optional_link(Casella)
    #: Values the sentence names (addresses, other companies, the director...).
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("problema di conformità")
        verbose_name_plural = _("problemi di conformità")
        ordering = ["titolare__denominazione", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["titolare", "kind"], name="compliance_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.titolare}: {self.get_kind_display()}"

    @property
    def action(self) -> str:
        return str(ACTIONS[Kind(self.kind)])

    @property
    def severity(self) -> str:
        return SEVERITY[Kind(self.kind)]

    @property
    def badge(self) -> str:
        return {"bad": "bad", "warn": "moving"}.get(self.severity, "off")


class Campaign(models.Model):
    """Filing many directors' PECs at once: one comunica request (and one paid intent) per
    company, see compliance/services/filing.py."""

    key = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("creata"), auto_now_add=True)
    price_each = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    #: The type of the directors' boxes the campaign registers, and the price of each.
    tipo_casella = models.CharField(max_length=20, blank=True)
    box_price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    #: Whether Openapi renews the directors' boxes at each expiry (charging the yearly price).
    autorinnovo = models.BooleanField(_("rinnovo automatico"), default=False)

    class Meta:
        verbose_name = _("campagna PEC amministratori")
        verbose_name_plural = _("campagne PEC amministratori")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class CampaignItem(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    titolare = models.ForeignKey(Titolare, on_delete=models.CASCADE, related_name="+")
    richiesta = optional_link(RichiestaComunicazione)
    #: The director's box the campaign registers (POST /pec) when the director had none; the
    #: comunica request follows once it is active.
    casella = optional_link(Casella)
    #: Why no request was made for this company.
    problem = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["titolare__denominazione", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "titolare"], name="compliance_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.titolare}"


class Monitor(models.Model):
    """An opt-in watch at the Company API (POST /monitor) of one company's dataset; its
    callback carries a per-object secret in the URL and is only a hint (the portal re-reads
    the monitor from Openapi before trusting it)."""

    titolare = models.ForeignKey(
        Titolare, on_delete=models.CASCADE, related_name="compliance_monitors"
    )
    dataset = models.CharField(max_length=30)
    remote_id = models.CharField(max_length=40, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_change_at = models.DateTimeField(null=True, blank=True)
    #: When Openapi stopped watching at the office's request (DELETE /monitor/{id}); watching
    #: again later is a new paid intent on the same row.
    stopped_at = models.DateTimeField(_("sorveglianza terminata il"), null=True, blank=True)

    class Meta:
        verbose_name = _("sorveglianza Registro Imprese")
        verbose_name_plural = _("sorveglianze Registro Imprese")
        constraints = [
            models.UniqueConstraint(fields=["titolare", "dataset"], name="compliance_one_monitor")
        ]

    def __str__(self) -> str:
        return f"{self.titolare}: {self.dataset}"


class MonitorCall(RemoteCall):
    """An at-most-once call on a Monitor: POST /monitor (``create``, paid) or
    DELETE /monitor/{id} (``stop``)."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="calls")

    class Meta(RemoteCall.Meta):
        verbose_name = _("richiesta di sorveglianza")
        verbose_name_plural = _("richieste di sorveglianza")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="cp_call_due_idx")]
