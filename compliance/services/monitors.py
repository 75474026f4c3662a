"""Opt-in watching of the client companies (POST /monitor): a changed PEC or a closure
reaches the portal by callback and becomes a finding.

The callback URL carries a per-object secret (portal/callbacks.py's HMAC of the monitor's pk);
a callback only queues a re-read of the monitor at Openapi (GET /monitor/{id}, free) by a
worker: its body is trusted for nothing. POST /monitor is paid, so it is an at-most-once
intent (MonitorCall, portal/remote_calls.py) settled, when its outcome is unknown, by reading
the account's monitors."""

from __future__ import annotations

from types import SimpleNamespace

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from openapi_company import errors, normalize_code, types
from portal import remote_calls
from portal.callbacks import (
    REFRESH_QUEUED_SECONDS,
    callback_token,
    check_callback_token,
    public_url,
)
from portal.remote_calls import (
    CallHandler,
    CallState,
    Confirmed,
    NotPerformed,
    enqueue_on_commit,
)

from ..company import get_company_client
from ..models import CompanyCheck, Monitor, MonitorCall
from .checks import company_code
from .findings import compute_findings

#: What is watched: the registered PEC, and whether the company ceased.
WATCHED = {types.Dataset.IT_PEC.value: ["pec"], types.Dataset.IT_CLOSED.value: ["taxCodeCeased"]}
#: The callbacks' secret is portal/callbacks.py's, under this name.
RESOURCE = SimpleNamespace(name="compliance_monitor")
KIND = "create"
#: DELETE /monitor/{id}: the office stops watching.
STOP = "stop"


def callbacks_possible() -> bool:
    """Monitors are only useful when Openapi can call the portal back (PORTAL_PUBLIC_URL)."""
    return bool(public_url())


def callback_url(monitor: Monitor) -> str:
    """Where Openapi calls back ("" without PORTAL_PUBLIC_URL: no monitor is useful then)."""
    base = public_url()
    if not base:
        return ""
    token = callback_token(RESOURCE, monitor.pk)
    return base + reverse("compliance:monitor_callback", args=[monitor.pk, token])


def _create_key(monitor: Monitor) -> str:
    """The POST /monitor intent of the monitor's current round: one per company and dataset,
    and one more after each stop (watching again is a new, paid request)."""
    stop = monitor.calls.filter(kind=STOP, state=CallState.DONE).order_by("-pk").first()
    return f"compliance:monitor:{monitor.pk}" + (f":after:{stop.pk}" if stop else "")


def watch(titolare, *, user) -> list[MonitorCall]:
    """Ask Openapi to watch the company's PEC and closure (once per company and dataset,
    whatever the clicks): one paid intent each, sent by a task."""
    calls = []
    for dataset in WATCHED:
        try:
            with transaction.atomic():
                monitor, _created = Monitor.objects.get_or_create(
                    titolare=titolare, dataset=dataset
                )
                monitor = Monitor.objects.select_for_update().get(pk=monitor.pk)
                call, new = MonitorCall.objects.get_or_create(
                    intent_key=_create_key(monitor),
                    defaults={"monitor": monitor, "kind": KIND, "requested_by": user},
                )
                if new and monitor.stopped_at is not None:
                    Monitor.objects.filter(pk=monitor.pk).update(stopped_at=None)
        except IntegrityError:
            continue
        if new:
            remote_calls.enqueue_call(call)
        calls.append(call)
    return calls


def watched(titolare) -> bool:
    return Monitor.objects.filter(titolare=titolare, stopped_at=None).exists()


def stop(titolare, *, user) -> tuple[list[MonitorCall], bool]:
    """Stop watching the company (DELETE /monitor/{id} of each of its monitors, once per
    monitor and round whatever the clicks). Returns the stop intents and whether a monitor
    still being created was left alone (it can be stopped once Openapi has it)."""
    calls, busy = [], False
    for monitor in Monitor.objects.filter(titolare=titolare, stopped_at=None):
        with transaction.atomic():
            m = Monitor.objects.select_for_update().get(pk=monitor.pk)
            if m.stopped_at is not None:
                continue
            created = m.calls.filter(kind=KIND).order_by("-pk").first()
            if created is not None and created.is_open:
                busy = True
                continue
            if not m.remote_id:
                # never created at Openapi (refused): nothing to delete there
                Monitor.objects.filter(pk=m.pk).update(stopped_at=timezone.now())
                continue
            call, new = MonitorCall.objects.get_or_create(
                intent_key=f"compliance:monitor:{m.pk}:stop:{created.pk if created else 0}",
                defaults={
                    "monitor": m,
                    "kind": STOP,
                    "requested_by": user,
                    "params": {"remote_id": m.remote_id},
                },
            )
        if new:
            remote_calls.enqueue_call(call)
        calls.append(call)
    return calls, busy


class CreateMonitorHandler(CallHandler):
    """POST /monitor (paid)."""

    def perform(self, call):
        m = call.monitor
        url = callback_url(m)
        callback = (
            types.MonitorCallback(url=url, method="JSON", data={"monitor": m.pk}) if url else None
        )
        return get_company_client().create_monitor(
            company_code(m.titolare), m.dataset, WATCHED[m.dataset], callback, autorenew=True
        )

    def confirm(self, call):
        """Settled by the account's monitors: one for this company and dataset that no
        other local monitor has."""
        m = call.monitor
        client = get_company_client()
        linked = set(Monitor.objects.exclude(remote_id=None).values_list("remote_id", flat=True))
        code = normalize_code(company_code(m.titolare))
        for item in client.list_monitors():
            if item.id in linked:
                continue
            remote = client.get_monitor(item.id)
            if normalize_code(remote.code) == code and str(remote.dataset) == m.dataset:
                return Confirmed(remote)
        return NotPerformed()

    def summarize(self, result):
        return {"id": result.id}

    def apply(self, call, result):
        Monitor.objects.filter(pk=call.monitor_id).update(remote_id=result.id)


class StopMonitorHandler(CallHandler):
    """DELETE /monitor/{id} (free). A monitor Openapi no longer has (deleted from its console,
    or by an attempt whose answer was lost) is stopped all the same."""

    def perform(self, call):
        try:
            return get_company_client().delete_monitor(call.params["remote_id"])
        except errors.NotFound:
            return "gone"

    def confirm(self, call):
        try:
            get_company_client().get_monitor(call.params["remote_id"])
        except errors.NotFound:
            return Confirmed("gone")
        return NotPerformed()

    def apply(self, call, result):
        Monitor.objects.filter(pk=call.monitor_id, remote_id=call.params["remote_id"]).update(
            remote_id=None, stopped_at=timezone.now()
        )


HANDLERS = {KIND: CreateMonitorHandler(), STOP: StopMonitorHandler()}


def handler_for(kind: str) -> CallHandler:
    return HANDLERS[kind]


# --- Callbacks ---------------------------------------------------------------------------------


def _queued_key(pk: int) -> str:
    return f"compliance_monitor:callback-refresh:queued:{pk}"


def handle_callback(pk: int, token: str) -> bool | None:
    """Openapi says a watched field changed: queue one re-read of the monitor (however many
    callbacks arrive). None: wrong secret or unknown monitor; False: a read is queued already."""
    if not check_callback_token(RESOURCE, pk, token):
        return None
    if not Monitor.objects.filter(pk=pk).exclude(remote_id=None).exists():
        return None
    if not cache.add(_queued_key(pk), 1, timeout=REFRESH_QUEUED_SECONDS):
        return False
    enqueue_on_commit("compliance.monitor_changed", pk)
    return True


def reread(pk: int) -> str:
    """The worker's side: read the monitor at Openapi (free) and apply what it says it saw,
    then recompute the findings."""
    cache.delete(_queued_key(pk))
    m = Monitor.objects.select_related("titolare").filter(pk=pk).first()
    if m is None or not m.remote_id:
        return "gone"
    remote = get_company_client().get_monitor(m.remote_id)
    latest = remote.latest_dataset or {}
    if not latest:
        return "unchanged"
    check, _created = CompanyCheck.objects.get_or_create(titolare=m.titolare)
    fields = []
    if m.dataset == types.Dataset.IT_PEC.value and "pec" in latest:
        check.registered_pec = str(latest.get("pec") or "").strip().lower()
        fields.append("registered_pec")
    if m.dataset == types.Dataset.IT_CLOSED.value and "taxCodeCeased" in latest:
        check.ceased = latest.get("taxCodeCeased") is True
        fields.append("ceased")
    if not fields:
        return "unchanged"
    now = timezone.now()
    check.watched_at = now
    check.save(update_fields=[*fields, "watched_at"])
    Monitor.objects.filter(pk=pk).update(last_change_at=now)
    compute_findings()
    return "changed"
