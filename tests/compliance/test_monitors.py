"""Opt-in monitors: created once (paid, at most once even when the answer is lost); a callback
with the monitor's secret makes the portal re-read the monitor at Openapi, and a PEC changed or
a company closed elsewhere becomes a finding."""

import datetime as dt
from collections import Counter
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import tasks
from compliance.models import CompanyCheck, Finding, Monitor, MonitorCall
from compliance.services import monitors
from portal.callbacks import callback_token
from portal.remote_calls import CallState, run_intent, settle_grace

from .conftest import piva

pytestmark = pytest.mark.django_db

CODE = piva(4000001)
PARTNER = {"name": "Paolo", "surname": "Neri", "tax_code": "NREPLA60A01H501X", "roles": ["SOA"]}


@pytest.fixture
def watched(company_api, holder, box, settings, office):
    settings.PORTAL_PUBLIC_URL = "https://portale.example"
    company = holder("Kappa snc", CODE)
    box(company, "kappa@legalmail.it")
    company_api.set_company(
        CODE, pec="kappa@legalmail.it", history=[], legalForm="SN", ceased=False,
        directors=[PARTNER],
    )  # fmt: skip
    tasks.refresh()
    assert not Finding.objects.exists()
    with mock.patch("portal.tasks.run_call.delay"):
        calls = monitors.watch(company, user=office)
        assert monitors.watch(company, user=office) == calls  # once per company and dataset
    return company, calls


def _monitor_charges(sandbox):
    return Counter(c["operation"] for c in sandbox.charges())["monitor"]


def test_monitor_created_once_even_when_the_answer_is_lost(watched, company_api):
    _company, calls = watched
    assert len(calls) == 2 and MonitorCall.objects.count() == 2
    company_api.set_faults(lost_next=1, methods=["POST"])
    states = [run_intent("compliance.MonitorCall", c.pk) for c in calls]
    assert sorted(states) == [CallState.DONE, CallState.UNCLEAR]
    later = timezone.now() + settle_grace() + dt.timedelta(seconds=1)
    for c in calls:
        assert run_intent("compliance.MonitorCall", c.pk, now=later) == CallState.DONE
    assert _monitor_charges(company_api) == 2
    remote = {m.dataset: m.remote_id for m in Monitor.objects.all()}
    assert all(remote.values()) and len(set(remote.values())) == 2


def _callback(client, monitor, token=None):
    token = token or callback_token(monitors.RESOURCE, monitor.pk)
    url = reverse("compliance:monitor_callback", args=[monitor.pk, token])
    # the body claims anything: it is trusted for nothing
    return client.post(url, {"data": {"pec": "fake@evil.example"}}, content_type="application/json")


def test_a_changed_pec_and_a_closure_become_findings(watched, company_api, client):
    _company, calls = watched
    for c in calls:
        run_intent("compliance.MonitorCall", c.pk)
    before = len(company_api.charges())
    company_api.set_company(CODE, pec="altra@pec.it")  # changed elsewhere
    pec_monitor = Monitor.objects.get(dataset="IT-pec")
    assert _callback(client, pec_monitor, token="x" * 40).status_code == 403
    with mock.patch("compliance.tasks.monitor_changed.delay"):
        assert _callback(client, pec_monitor).json() == {"ok": True, "queued": True}
        # a second callback before the read: nothing more queued
        assert _callback(client, pec_monitor).json() == {"ok": True, "queued": False}
    assert tasks.monitor_changed(pec_monitor.pk) == "changed"
    assert CompanyCheck.objects.get().registered_pec == "altra@pec.it"
    assert list(Finding.objects.values_list("kind", flat=True)) == ["pec_not_managed"]
    # the periodic check keeps the monitor's news over its older cached answer, at no cost
    tasks.refresh()
    assert CompanyCheck.objects.get().registered_pec == "altra@pec.it"
    assert len(company_api.charges()) == before
    # a closure elsewhere
    company_api.set_company(CODE, ceased=True)
    closed_monitor = Monitor.objects.get(dataset="IT-closed")
    with mock.patch("compliance.tasks.monitor_changed.delay"):
        _callback(client, closed_monitor)
    tasks.monitor_changed(closed_monitor.pk)
    assert list(Finding.objects.values_list("kind", flat=True)) == ["ceased"]


def test_no_monitor_without_a_public_url(company_api, holder, settings, office, client):
    settings.PORTAL_PUBLIC_URL = ""
    company = holder("Lambda snc", piva(4000002))
    client.force_login(office)
    page = client.get(reverse("compliance:holder", args=[company.pk])).content.decode()
    assert "PORTAL_PUBLIC_URL" in page and 'id="sorveglia"' not in page
    client.post(reverse("compliance:watch", args=[company.pk]))
    assert not Monitor.objects.exists() and not MonitorCall.objects.exists()


def test_stop_watching_deletes_each_monitor_once_even_when_the_answer_is_lost(
    watched, company_api, client, office, queued
):
    company, calls = watched
    for c in calls:
        run_intent("compliance.MonitorCall", c.pk)
    remote_ids = set(Monitor.objects.values_list("remote_id", flat=True))
    client.force_login(office)
    page = client.get(reverse("compliance:holder", args=[company.pk])).content.decode()
    assert 'id="smetti-sorveglianza"' in page and 'id="sorveglia"' not in page
    url = reverse("compliance:unwatch", args=[company.pk])
    client.post(url)
    client.post(url)  # a double submit: the same two intents
    stops = list(MonitorCall.objects.filter(kind=monitors.STOP))
    assert len(stops) == 2
    page = client.get(reverse("compliance:holder", args=[company.pk])).content.decode()
    assert "in chiusura" in page
    company_api.set_faults(lost_next=1, methods=["DELETE"])
    states = [run_intent("compliance.MonitorCall", c.pk) for c in stops]
    assert sorted(states) == [CallState.DONE, CallState.UNCLEAR]
    later = timezone.now() + settle_grace() + dt.timedelta(seconds=1)
    for c in stops:
        assert run_intent("compliance.MonitorCall", c.pk, now=later) == CallState.DONE
    deletes = [c for c in company_api.calls() if c["method"] == "DELETE"]
    assert len(deletes) == 2  # the lost one was found gone at Openapi, not sent again
    assert company_api.company_client().list_monitors() == []
    assert all(m.stopped_at and not m.remote_id for m in Monitor.objects.all())
    page = client.get(reverse("compliance:holder", args=[company.pk])).content.decode()
    assert 'id="sorveglia"' in page and 'id="monitors"' not in page
    # a late callback of a stopped monitor is refused
    assert _callback(client, Monitor.objects.first()).status_code == 403
    # watching again is a new (paid) request
    again = monitors.watch(company, user=office)
    assert len(again) == 2 and not {c.pk for c in again} & {c.pk for c in calls}
    for c in again:
        assert run_intent("compliance.MonitorCall", c.pk) == CallState.DONE
    assert _monitor_charges(company_api) == 4
    assert not set(Monitor.objects.values_list("remote_id", flat=True)) & remote_ids
