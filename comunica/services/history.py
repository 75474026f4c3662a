"""A request's timeline: one line per thing that happened to it."""

from __future__ import annotations

from django.utils.formats import number_format

from ..models import Evento


def euro(amount) -> str:
    """An amount as the timeline shows it (localized: 15,70 in Italian)."""
    return number_format(amount, 2) if amount is not None else ""


def record(richiesta, tipo, messaggio="", *, stato="", user=None) -> Evento:
    return Evento.objects.create(
        richiesta=richiesta, tipo=tipo, messaggio=str(messaggio)[:2000], stato=stato, user=user
    )
