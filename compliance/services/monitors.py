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

from openapi_company import normalize_code, types
from portal import remote_calls
from portal.callbacks import (
    REFRESH_QUEUED_SECONDS,
    callback_token,
    check_callback_token,
    public_url,
)
from portal.remote_calls import CallHandler, Confirmed, NotPerformed, enqueue_on_commit

from ..company import get_company_client
from ..models import CompanyCheck, Monitor, MonitorCall
from .checks import company_code
from .findings import compute_findings

#: What is watched: the registered PEC, and whether the company ceased.
WATCHED = {types.Dataset.IT_PEC.value: ["pec"], types.Dataset.IT_CLOSED.value: ["taxCodeCeased"]}
#: The callbacks' secret is portal/callbacks.py's, under this name.
RESOURCE = SimpleNamespace(name="compliance_monitor")
KIND = "create"


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
                call, new = MonitorCall.objects.get_or_create(
                    intent_key=f"compliance:monitor:{monitor.pk}",
                    defaults={"monitor": monitor, "kind": KIND, "requested_by": user},
                )
        except IntegrityError:
            continue
        if new:
            remote_calls.enqueue_call(call)
        calls.append(call)
    return calls


def watched(titolare) -> bool:
    return Monitor.objects.filter(titolare=titolare).exists()


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


def handler_for(kind: str) -> CallHandler:
    return CreateMonitorHandler()


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
