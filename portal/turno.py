"""Whose move it is: who has to act for a box or a request to go on (the cockpit's groups and
the status colours). Each app maps its statuses to these in its models."""

from collections.abc import Container, Mapping
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Turno(models.TextChoices):
    UFFICIO = "ufficio", _("Ufficio")
    COMMERCIALISTA = "commercialista", _("Commercialista")
    CLIENTE = "cliente", _("Cliente")
    OPENAPI = "openapi", _("Openapi")
    NESSUNO = "nessuno", _("Nessuno")


def stato_is(value: str) -> property:
    """A flag of the status (``casella.is_active``): pages ask these, not the status values."""
    return property(lambda self: self.stato == value)


class ByStatus:
    """What the pages and the cockpit read from an object's ``stato``: whose move it is, the
    status colour and whether it changes by itself. A model names its maps of statuses."""

    #: status -> :class:`Turno` (any other status: ``nessuno``)
    turn_by_status: ClassVar[Mapping[str, str]] = {}
    #: status -> CSS class of the status badge (any other status: none)
    badge_by_status: ClassVar[Mapping[str, str]] = {}
    #: the statuses that change without anyone acting
    moving_statuses: ClassVar[Container[str]] = frozenset()

    @property
    def turno(self) -> str:
        return self.turn_by_status.get(self.stato, Turno.NESSUNO)

    @property
    def badge(self) -> str:
        return self.badge_by_status.get(self.stato, "")

    @property
    def is_moving(self) -> bool:
        return self.stato in self.moving_statuses
