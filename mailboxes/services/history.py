"""A box's history: one line per thing that happened to it."""

from __future__ import annotations

from portal import history
from portal.history import Sentence

from ..models import Casella, Evento


def record(
    casella: Casella,
    tipo: str,
    messaggio: Sentence | str = "",
    *,
    da: str = "",
    a: str = "",
    user=None,
    dati: dict | None = None,
) -> Evento:
    return Evento.objects.create(
        casella=casella,
        tipo=tipo,
        **history.stored(messaggio),
        da_stato=da,
        a_stato=a,
        user=user,
        dati=dati or {},
    )
