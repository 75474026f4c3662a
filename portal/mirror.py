"""What every local copy of an Openapi object has (a box, a comunica request...): its remote id,
the last answer seen and when, the failed reads since the last good one, and when it is read
again. The apps' models add the object's own fields and status; polling.py reads it again,
callbacks.py follows Openapi's calls back."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

#: Openapi's last answer, when it was read and when it is read again: written by the mirror
#: service and the poll engine only (read-only in admin, next to the object's own fields).
SYNC_FIELDS = (
    "last_payload",
    "last_synced_at",
    "poll_failures",
    "last_error",
    "next_poll_at",
    "poll_interval",
)


class RemoteMirror(models.Model):
    """The remote-mirror fields, written by the app's mirror service and the poll engine only."""

    remote_id = models.CharField(_("id Openapi"), max_length=24, unique=True, null=True, blank=True)
    last_payload = models.JSONField(_("ultima risposta Openapi"), null=True, blank=True)
    last_synced_at = models.DateTimeField(_("ultimo aggiornamento"), null=True, blank=True)
    poll_failures = models.PositiveIntegerField(_("letture fallite"), default=0)
    last_error = models.TextField(_("ultimo errore"), blank=True)
    next_poll_at = models.DateTimeField(_("prossima lettura"), null=True, blank=True, db_index=True)
    poll_interval = models.FloatField(_("intervallo di lettura (s)"), default=0)
    created_at = models.DateTimeField(_("creata"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificata"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def asked_for_callbacks(self) -> bool:
        """Did Openapi record a callback for this object (its answers carry it back)?"""
        payload = self.last_payload if isinstance(self.last_payload, dict) else {}
        return isinstance(payload.get("callback"), dict)
