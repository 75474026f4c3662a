"""Recording the intent of an operation, once: the path every operation's service takes.

A request recorded the intent (a :class:`CasellaCall` with the user's intent key) in the same
transaction as the history line, and the task that runs it is enqueued after commit. A refused
request raises ``ValidationError`` with an Italian message and changes nothing.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.history import Sentence
from portal.remote_calls import enqueue_call, recorded_intent

from ..models import Casella, CasellaCall, TipoEvento
from ..services.history import record
from .rules import busy_reason, check, open_operation


def refuse(message: str, code: str = "refused") -> ValidationError:
    return ValidationError(message, code=code)


def recorded(casella: Casella, kind: str, intent_key: str) -> CasellaCall | None:
    """The intent of this confirmation if it was recorded already (a repeated submit)."""
    return recorded_intent(CasellaCall, intent_key, casella=casella, kind=kind)


def recorded_for(casella: Casella, kind: str, intent_key: str) -> CasellaCall | None:
    """As :func:`recorded`; a key recorded for another box or operation is a forged or stale
    page, refused."""
    existing = recorded_intent(CasellaCall, intent_key)
    if existing and (existing.casella_id != casella.pk or existing.kind != kind):
        raise refuse(_("Richiesta non valida: ricarica la pagina."), "intent")
    return existing


def once(kind: str):
    """The service recording an intent of ``kind``: a repeated submit (the same intent key) gets
    the intent recorded then, whose values were checked then."""

    def decorate(service):
        @functools.wraps(service)
        def run(*, casella: Casella, intent_key: str, **values):
            if same := recorded_for(casella, kind, intent_key):
                return same
            return service(casella=casella, intent_key=intent_key, **values)

        run.intent_kind = kind  # the operation's service, for declare.py
        return run

    return decorate


def record_intent(
    casella: Casella,
    kind: str,
    intent_key: str,
    user,
    *,
    params: dict[str, Any] | None = None,
    price: Decimal | None,
    message: Sentence,
    validate=None,
    before_create=None,
) -> CasellaCall:
    """The common path: same key -> same intent; lock the box, check the rules again, record
    the intent and its history line, enqueue the task after commit."""
    existing = recorded_for(casella, kind, intent_key)
    if existing:
        return existing
    try:
        with transaction.atomic():
            locked = Casella.objects.select_for_update().get(pk=casella.pk)
            # A concurrent submit of the same confirmation may have recorded it while this one
            # waited for the lock: that intent is this request's, not "another operation".
            existing = recorded_for(casella, kind, intent_key)
            if existing:
                return existing
            verdict = check(locked, kind)
            if not verdict:
                raise refuse(verdict.reason, "state")
            if validate is not None:
                validate(locked)
            if before_create is not None:
                params = {**(params or {}), **before_create(locked)}
            call = CasellaCall.objects.create(
                casella=locked,
                kind=kind,
                intent_key=intent_key,
                params=params or {},
                price=price,
                requested_by=user,
            )
            record(
                locked,
                TipoEvento.OPERAZIONE,
                message,
                user=user,
                dati={"operazione": kind, "call": call.pk},
            )
            enqueue_call(call)
    except IntegrityError:
        again = recorded_for(casella, kind, intent_key)
        if again:
            return again
        raise refuse(busy_reason(open_operation(casella)), "in_progress") from None
    return call
