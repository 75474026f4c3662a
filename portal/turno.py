"""Whose move it is: who has to act for a box or a request to go on (the cockpit's groups and
the status colours). Each app maps its statuses to these in its models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Turno(models.TextChoices):
    UFFICIO = "ufficio", _("Ufficio")
    COMMERCIALISTA = "commercialista", _("Commercialista")
    CLIENTE = "cliente", _("Cliente")
    OPENAPI = "openapi", _("Openapi")
    NESSUNO = "nessuno", _("Nessuno")
