"""A request's timeline: one line per thing that happened to it."""

from __future__ import annotations

from portal import history
from portal.history import Sentence

from ..models import Evento


def record(richiesta, tipo, messaggio: Sentence | str = "", *, stato="", user=None) -> Evento:
    return Evento.objects.create(
        richiesta=richiesta, tipo=tipo, **history.stored(messaggio), stato=stato, user=user
    )
