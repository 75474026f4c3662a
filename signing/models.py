"""A signing link: the office asks a holder (no account) to sign and upload the documents of one
step of one object: a box's activation or preservation, or a comunica request's procura.

The token itself is never stored: only its SHA-256 (the token is 256 random bits, so a fast hash
is enough). A link is usable until it expires, is revoked, or its step is done (``used_at``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.fields import user_link


class Scopo(models.TextChoices):
    ATTIVAZIONE = "attivazione", _("Modulo di attivazione firmato e documento d'identità")
    CONSERVAZIONE = "conservazione", _("Modulo di conservazione firmato e documento d'identità")
    PROCURA = "procura", _("Procura firmata digitalmente (.p7m)")


class LinkFirmaQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


def _step_of(to: str, verbose_name) -> models.ForeignKey:
    """The box or comunica request whose step a link is for (deleted with it)."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="link_firma",
        verbose_name=verbose_name,
    )


class LinkFirma(models.Model):
    """One link sent to a holder for one step of one box or comunica request."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopo = models.CharField(_("scopo"), max_length=20, choices=Scopo.choices)
    casella = _step_of("mailboxes.Casella", _("casella"))
    richiesta = _step_of("comunica.RichiestaComunicazione", _("comunicazione PEC"))
    #: What the office chose when creating it (preservation: the space, which sets the price).
    params = models.JSONField(default=dict, blank=True)
    email = models.EmailField(_("inviato a"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("creato da"),
    )
    created_at = models.DateTimeField(_("creato il"), default=timezone.now)
    expires_at = models.DateTimeField(_("scade il"))
    sent_at = models.DateTimeField(_("inviato il"), null=True, blank=True)
    opened_at = models.DateTimeField(_("aperto la prima volta il"), null=True, blank=True)
    last_opened_at = models.DateTimeField(_("aperto l'ultima volta il"), null=True, blank=True)
    used_at = models.DateTimeField(_("usato il"), null=True, blank=True)
    #: The intent key of the upload that used it (a repeated submit gets the same answer).
    intent_key = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(_("revocato il"), null=True, blank=True)
    revoked_by = user_link(_("revocato da"))

    objects = LinkFirmaQuerySet.as_manager()

    class Meta:
        verbose_name = _("link di firma")
        verbose_name_plural = _("link di firma")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(casella__isnull=False, richiesta__isnull=True)
                | Q(casella__isnull=True, richiesta__isnull=False),
                name="link_firma_one_object",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_scopo_display()} · {self.target}"

    @property
    def target(self):
        return self.casella if self.casella_id else self.richiesta

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.revoked_at is None and self.expires_at > now

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
