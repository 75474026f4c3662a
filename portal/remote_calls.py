"""At most once: how the portal makes a paid or state-changing Openapi call.

Every registration, renewal, upgrade... is charged to the Openapi wallet, so each user intent is
sent at most once, whatever crashes or times out:

1. The intent is a row (a concrete subclass of :class:`RemoteCall`), written in the same
   transaction as the user's action, with a unique ``intent_key`` (a double submit is one intent).
   The task that runs it is enqueued after commit and takes only the primary key.
2. A worker *claims* the row with a conditional UPDATE (the ``attempts`` counter is the version):
   of two workers running the same task, one wins, the other does nothing.
3. If an earlier attempt was sent and its outcome is unknown (a timeout, a dropped connection, a
   502/504, or a worker killed mid-call), the handler first *settles* it by reading Openapi
   (``confirm``). Only a clear "not performed", once the grace period in which a late request
   could still land has passed, lets the call be sent again.
4. The answer is recorded and applied in one transaction; a permanent error (4xx: wrong state,
   insufficient credit...) marks the intent failed with the API's message and is never retried.

The same shape as healthchecks' "save a Sending row, call, record the outcome".
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib import messages
from django.db import models, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openapi_pec import errors

from . import openapi_messages
from .fields import user_link

log = logging.getLogger(__name__)

#: Sent in the transaction that marks an intent done (``sender``: its model, ``call``: the
#: intent, ``finished_at`` set): what records the intent's charge (the cost ledger) commits or
#: rolls back with it. A retried intent is one row, so it is sent once per intent.
call_done = Signal()


class CallState(models.TextChoices):
    PENDING = "pending", _("In attesa di invio")  # recorded, not sent (or surely not performed)
    IN_FLIGHT = "in_flight", _("In corso")  # claimed by a worker, being sent or settled
    UNCLEAR = "unclear", _("Esito da verificare")  # sent, outcome unknown: settle before resending
    DONE = "done", _("Eseguita")
    FAILED = "failed", _("Non riuscita")


OPEN_STATES = (CallState.PENDING, CallState.IN_FLIGHT, CallState.UNCLEAR)


class RemoteCall(models.Model):
    """One user intent to make one Openapi call. Concrete subclasses add the FK to their object."""

    kind = models.CharField(_("operazione"), max_length=40)
    intent_key = models.CharField(_("chiave della richiesta"), max_length=120, unique=True)
    params = models.JSONField(_("parametri"), default=dict, blank=True)
    state = models.CharField(
        _("stato"), max_length=12, choices=CallState.choices, default=CallState.PENDING
    )
    attempts = models.PositiveIntegerField(_("tentativi"), default=0)
    claimed_at = models.DateTimeField(_("presa in carico"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("ultimo invio"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("prossimo tentativo"), default=timezone.now)
    last_error = models.TextField(_("ultimo errore"), blank=True)
    error_code = models.IntegerField(_("numero di errore Openapi"), null=True, blank=True)
    http_status = models.IntegerField(_("stato HTTP"), null=True, blank=True)
    result = models.JSONField(_("esito"), null=True, blank=True)
    price = models.DecimalField(_("costo"), max_digits=10, decimal_places=2, null=True, blank=True)
    requested_by = user_link(_("richiesta da"))
    created_at = models.DateTimeField(_("creata"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificata"), auto_now=True)
    finished_at = models.DateTimeField(_("conclusa"), null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    #: True on an instance handed back for an intent recorded earlier (a repeated submit of
    #: the same confirmation): that submit recorded nothing and costs nothing more.
    repeated = False

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_done(self) -> bool:
        return self.state == CallState.DONE

    @property
    def is_failed(self) -> bool:
        return self.state == CallState.FAILED

    @property
    def is_unclear(self) -> bool:
        """Sent, outcome unknown: being settled against Openapi before any resend."""
        return self.state == CallState.UNCLEAR

    @property
    def is_retrying(self) -> bool:
        """Not performed yet after at least one attempt (Openapi unreachable): tried again."""
        return self.state == CallState.PENDING and self.attempts > 0


# --- The same intent, submitted again -----------------------------------------------------------


def recorded_intent(model: type[RemoteCall], intent_key: str, *, related=(), **lookup):
    """The intent already recorded under ``intent_key`` (marked ``repeated``), or None.

    A confirmation looks for its intent first, and again after anything refuses it: a
    concurrent submit of the same confirmation (double click, two tabs) may have recorded the
    intent in between, and that intent is what the refusal saw ("another operation is
    running", "address taken"...). Under the lock of the row the intent belongs to, the
    lookup sees every intent committed before the lock was granted."""
    if not intent_key:
        return None
    call = model.objects.filter(intent_key=intent_key, **lookup).select_related(*related).first()
    if call is not None:
        call.repeated = True
    return call


def _when(moment: dt.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "d/m/Y H:i") if moment else "—"


#: The tag of a notice that only holds until the outcome shows on the page ("sent, the outcome
#: appears here"): the page's live part removes it once nothing is in progress any more.
PENDING = "pending"


def repeat_message(call: RemoteCall, what: str) -> tuple[int, str, str]:
    """(message level, text, extra tags) for a repeated confirmation: the intent it found,
    when it was asked, that nothing new is charged, and where that intent stands now."""
    values = {"what": what, "when": _when(call.created_at)}
    if call.state == CallState.DONE:
        return (
            messages.SUCCESS,
            gettext(
                "Operazione «%(what)s» già richiesta il %(when)s ed eseguita il %(done)s: "
                "nessun nuovo addebito."
            )
            % {**values, "done": _when(call.finished_at)},
            "",
        )
    if call.state == CallState.FAILED:
        return (
            messages.ERROR,
            gettext(
                "Operazione «%(what)s» già richiesta il %(when)s e non riuscita, nessun nuovo "
                "addebito: %(error)s"
            )
            % {**values, "error": openapi_messages.explain_call(call).text},
            "",
        )
    return (
        messages.INFO,
        gettext(
            "Operazione «%(what)s» già richiesta il %(when)s: nessun nuovo addebito. "
            "Stato: %(state)s; l'esito compare qui."
        )
        % {**values, "state": call.get_state_display()},
        PENDING,
    )


# --- What a handler says when settling an unclear outcome -------------------------------------


@dataclass(frozen=True)
class Confirmed:
    """Openapi shows the call took effect; ``result`` is what ``apply`` receives."""

    result: Any = None


@dataclass(frozen=True)
class NotPerformed:
    """Openapi shows no trace of the call."""


@dataclass(frozen=True)
class Undecided:
    """Cannot tell yet (e.g. the read itself failed): ask again later."""


class CallHandler:
    """The behaviour of one kind of call. Subclasses implement ``perform`` and ``confirm``."""

    def perform(self, call: RemoteCall) -> Any:
        raise NotImplementedError

    def confirm(self, call: RemoteCall) -> Confirmed | NotPerformed | Undecided:
        raise NotImplementedError

    def apply(self, call: RemoteCall, result: Any) -> None:
        """Local effects of a done call; runs in the transaction that marks it done."""

    def summarize(self, result: Any) -> Any:
        """What of the result is stored on the intent (JSON; nothing personal)."""
        return None

    def on_failed(self, call: RemoteCall, error: errors.OpenapiError | None) -> None:
        """Called once, after the call was marked failed."""


# --- Timing -----------------------------------------------------------------------------------


def lease() -> dt.timedelta:
    """How long a claim protects a call; past it, the claimant is presumed dead."""
    return dt.timedelta(seconds=settings.REMOTE_CALL_LEASE)


def settle_grace() -> dt.timedelta:
    """After a send, how long "no trace at Openapi" may still mean "not arrived yet"."""
    return dt.timedelta(seconds=settings.REMOTE_CALL_SETTLE_GRACE)


def backoff(attempts: int) -> dt.timedelta:
    base, cap = settings.REMOTE_CALL_BACKOFF_BASE, settings.REMOTE_CALL_BACKOFF_CAP
    seconds = min(cap, base * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter


MAX_TRANSIENT_ATTEMPTS = 8


# --- The runner -------------------------------------------------------------------------------


def due_calls(model: type[RemoteCall], *, now: dt.datetime | None = None):
    """Calls to (re)run now: pending or unclear and due, or in flight past their lease."""
    now = now or timezone.now()
    return model.objects.filter(
        Q(state__in=[CallState.PENDING, CallState.UNCLEAR], next_attempt_at__lte=now)
        | Q(state=CallState.IN_FLIGHT, claimed_at__lt=now - lease())
    )


def _claim(model, call: RemoteCall, now: dt.datetime) -> RemoteCall | None:
    """Take the call for this worker, or return None if it is not ours to run now."""
    if call.state in (CallState.DONE, CallState.FAILED):
        return None
    if call.state == CallState.IN_FLIGHT:
        if call.claimed_at and call.claimed_at > now - lease():
            return None  # another worker holds it
    elif call.next_attempt_at > now:
        return None
    claimed = model.objects.filter(pk=call.pk, state=call.state, attempts=call.attempts).update(
        state=CallState.IN_FLIGHT, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    call.refresh_from_db()
    return call


def _mine(model, call: RemoteCall):
    """The queryset that still matches our claim (nobody took the call over since)."""
    return model.objects.filter(pk=call.pk, state=CallState.IN_FLIGHT, attempts=call.attempts)


def _release(model, call, state, *, now, delay, error=None, **extra) -> str:
    fields = {"state": state, "next_attempt_at": now + delay, "updated_at": now, **extra}
    if error is not None:
        fields.update(
            last_error=error.message[:2000], error_code=error.error_code, http_status=error.status
        )
    _mine(model, call).update(**fields)
    return state


def _finish(model, call, handler: CallHandler, result, *, now) -> str:
    with transaction.atomic():
        done = _mine(model, call).update(
            state=CallState.DONE,
            finished_at=now,
            updated_at=now,
            result=handler.summarize(result),
            last_error="",
        )
        if done:
            call.state = CallState.DONE
            call.finished_at = now
            handler.apply(call, result)
            call_done.send(sender=model, call=call)
    return CallState.DONE if done else call.state


def _fail(
    model, call, handler: CallHandler, error: errors.OpenapiError | None, message: str, *, now
) -> str:
    fields = {
        "state": CallState.FAILED,
        "finished_at": now,
        "updated_at": now,
        "last_error": message[:2000],
    }
    if error is not None:
        fields.update(error_code=error.error_code, http_status=error.status)
        call.error_code, call.http_status = error.error_code, error.status
    if _mine(model, call).update(**fields):
        call.state = CallState.FAILED
        call.last_error = message
        handler.on_failed(call, error)
    return CallState.FAILED


def run_call(
    model: type[RemoteCall], pk: int, handler: CallHandler, *, now: dt.datetime | None = None
) -> str:
    """Run one intent if it is due and ours; safe to call twice or concurrently. Returns the
    state the call is left in.

    ``now`` freezes the clock (tests travel in time); otherwise each step reads the real time,
    since settling and sending can take a while."""
    clock = (lambda: now) if now is not None else timezone.now
    now = clock()
    call = model.objects.filter(pk=pk).first()
    if call is None:
        return CallState.FAILED
    previous_state = call.state
    sent_before = call.last_sent_at is not None and previous_state in (
        CallState.UNCLEAR,
        CallState.IN_FLIGHT,
    )
    claimed = _claim(model, call, now)
    if claimed is None:
        return call.state
    call = claimed

    if sent_before:
        observed = clock()  # "no trace" is only as recent as the read that found none
        try:
            verdict = handler.confirm(call)
        except errors.OpenapiError as exc:
            log.warning("settling %s #%s failed: %s", call.kind, call.pk, exc.__class__.__name__)
            verdict = Undecided()
        if isinstance(verdict, Confirmed):
            log.info("%s #%s settled: performed", call.kind, call.pk)
            return _finish(model, call, handler, verdict.result, now=now)
        grace_over = call.last_sent_at <= observed - settle_grace()
        if isinstance(verdict, Undecided) or not grace_over:
            return _release(
                model, call, CallState.UNCLEAR, now=clock(), delay=backoff(call.attempts)
            )
        log.info("%s #%s settled: not performed, sending again", call.kind, call.pk)

    now = clock()
    if not _mine(model, call).update(last_sent_at=now):
        return call.state
    call.last_sent_at = now
    try:
        result = handler.perform(call)
    except errors.OutcomeUnknown as exc:
        log.warning("%s #%s: outcome unknown (%s)", call.kind, call.pk, exc.__class__.__name__)
        # The grace runs from the END of the attempt: the request may still land until then.
        ended = clock()
        return _release(
            model,
            call,
            CallState.UNCLEAR,
            now=ended,
            delay=backoff(1),
            error=exc,
            last_sent_at=ended,
        )
    except errors.TransientError as exc:
        now = clock()
        if call.attempts >= MAX_TRANSIENT_ATTEMPTS:
            return _fail(
                model,
                call,
                handler,
                exc,
                str(
                    _("Openapi non ha risposto dopo %(n)d tentativi: %(msg)s")
                    % {"n": call.attempts, "msg": exc.message}
                ),
                now=now,
            )
        # Not performed for sure (refused, 503): nothing to settle next time.
        _mine(model, call).update(last_sent_at=None)
        return _release(
            model, call, CallState.PENDING, now=now, delay=backoff(call.attempts), error=exc
        )
    except errors.OpenapiError as exc:
        return _fail(model, call, handler, exc, exc.message or str(exc), now=clock())
    return _finish(model, call, handler, result, now=clock())


def enqueue_on_commit(task_name: str, *args, countdown: float | None = None) -> None:
    """Send the task registered as ``task_name`` with ``args`` once the current transaction
    commits (never before). By name, so that the services recording an intent never import the
    tasks that run it: the tasks import the services, not the reverse. Each app's tasks module is
    imported by its AppConfig.ready(), so the name is known in every process."""

    def send() -> None:
        task = current_app.tasks[task_name]
        if countdown is None:
            task.delay(*args)
        else:
            task.apply_async(args, countdown=countdown)

    transaction.on_commit(send)


# --- Which intents there are -------------------------------------------------------------------


@dataclass(frozen=True)
class Intents:
    """The intents of one model: the handler of each kind, and what follows a done call."""

    model: type[RemoteCall]
    handler_for: Callable[[str], CallHandler]
    on_done: Callable[[RemoteCall], None] | None = None


INTENTS: dict[str, Intents] = {}


def register_intents(intents: Intents) -> None:
    """Declare a model's intents (its app's tasks module does, at import): the task
    ``portal.run_call`` runs them by the model's label and the intent's pk."""
    INTENTS[intents.model._meta.label] = intents


def enqueue_call(call: RemoteCall) -> None:
    """Run the intent by a task once the current transaction commits."""
    enqueue_on_commit("portal.run_call", call._meta.label, call.pk)


def run_intent(label: str, pk: int, *, now: dt.datetime | None = None) -> str:
    """Run one recorded intent (see :func:`run_call`), whatever its model."""
    intents = INTENTS[label]
    call = intents.model.objects.filter(pk=pk).only("kind").first()
    if call is None:
        return CallState.FAILED
    state = run_call(intents.model, pk, intents.handler_for(call.kind), now=now)
    if state == CallState.DONE and intents.on_done is not None:
        intents.on_done(call)
    return state
