from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Preferenze(models.Model):
    """What a user chose for themselves: the language of the portal, kept across browsers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preferenze",
        verbose_name=_("utente"),
    )
    lingua = models.CharField(_("lingua"), max_length=8, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("preferenze")
        verbose_name_plural = _("preferenze")

    def __str__(self):
        return str(self.user)
