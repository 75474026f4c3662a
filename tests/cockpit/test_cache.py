"""The cockpit's office-wide totals (boxes per status, renewal plan, expiry buckets) are
counted once for the whole office per COCKPIT_CACHE_SECONDS; an accountant's are counted on
every page; the entries under the counters are always read."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from cockpit.selectors import common
from cockpit.tasks import recount_office_totals
from mailboxes.models import Stato

from . import portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    """The cache on, with keys of this test only (the cache may be shared with other tests)."""
    settings.COCKPIT_CACHE_SECONDS = 30
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"cockpit-{uuid.uuid4().hex}",
        }
    }
    yield
    cache.clear()


def _counts(html):
    return {
        "groups": dict(re.findall(r'data-count="(\w+)">(\d+)<', html)),
        "buckets": dict(re.findall(r'data-bucket="(\w+)"><strong>(\d+)</strong>', html)),
    }


def _page(client):
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/").content.decode()
    return _counts(html), len(ctx)


def test_the_office_counts_once_for_everyone_until_the_totals_expire(
    client, make_user, credit, cached
):
    portfolio.seed(
        make_user(roles.ACCOUNTANT, username="ragioniere"),
        make_user(roles.ACCOUNTANT, username="altro"),
    )
    first, second = make_user(roles.OFFICE, username="uno"), make_user(roles.OFFICE, username="due")
    client.force_login(first)
    before, queries_first = _page(client)
    client.force_login(second)
    same, queries_second = _page(client)
    assert same == before
    # the totals (boxes per status: 2 queries; renewal plan; expiry buckets) counted once
    assert queries_second == queries_first - 4

    # a new box to act on and one expiring: the totals say so once they are counted again
    holder = portfolio.holder()
    portfolio.box(holder, Stato.NON_REGISTRATA)
    portfolio.box(holder, Stato.EVASA, scadenza=timezone.localdate() + dt.timedelta(days=10))
    assert _page(client)[0] == before  # within COCKPIT_CACHE_SECONDS
    cache.clear()  # as when they expire
    after = _page(client)[0]
    assert int(after["buckets"]["30"]) == int(before["buckets"]["30"]) + 1
    assert int(after["groups"]["ufficio"]) == int(before["groups"]["ufficio"]) + 1


def test_an_accountants_totals_are_counted_on_every_page(client, make_user, credit, cached):
    accountant = make_user(roles.ACCOUNTANT, username="ragioniere")
    holder = portfolio.holder(commercialisti=[accountant])
    portfolio.box(holder, Stato.EVASA, scadenza=timezone.localdate() + dt.timedelta(days=10))
    client.force_login(accountant)
    before, _queries = _page(client)
    portfolio.box(holder, Stato.EVASA, scadenza=timezone.localdate() + dt.timedelta(days=12))
    after, _queries = _page(client)
    assert int(after["buckets"]["30"]) == int(before["buckets"]["30"]) + 1


@pytest.fixture
def queued(monkeypatch):
    """The tasks the cockpit sends to the worker (by name), kept here instead."""
    sent = []
    monkeypatch.setattr(
        "cockpit.selectors.common.current_app.send_task",
        lambda name, args=(), **kw: sent.append((name, list(args))),
    )
    return sent


def _later(monkeypatch, seconds):
    now = time.time() + seconds
    monkeypatch.setattr("cockpit.selectors.common.time.time", lambda: now)


def test_old_totals_are_shown_while_the_worker_counts_them_again(
    client, make_user, credit, cached, queued, monkeypatch, django_capture_on_commit_callbacks
):
    portfolio.seed(
        make_user(roles.ACCOUNTANT, username="ragioniere"),
        make_user(roles.ACCOUNTANT, username="altro"),
    )
    office = make_user(roles.OFFICE, username="uno")
    client.force_login(office)
    before, counting = _page(client)
    holder = portfolio.holder()
    portfolio.box(holder, Stato.NON_REGISTRATA)

    _later(monkeypatch, 31)  # the totals are now older than COCKPIT_CACHE_SECONDS
    with django_capture_on_commit_callbacks(execute=True):
        old, reading = _page(client)
        again, _queries = _page(client)
    # shown at once, without counting, and one recount asked of the worker for both pages
    assert old == again == before
    assert reading == counting - 4
    assert queued == [("cockpit.recount_office_totals", [office.pk])]

    recount_office_totals(office.pk)  # the worker's run
    after, queries = _page(client)
    assert int(after["groups"]["ufficio"]) == int(before["groups"]["ufficio"]) + 1
    assert queries == reading  # the new totals, read from the cache
    # the next time they are old, a recount is asked for again
    _later(monkeypatch, 62)
    with django_capture_on_commit_callbacks(execute=True):
        _page(client)
    assert len(queued) == 2


def test_totals_too_old_are_counted_by_the_page(
    client, make_user, credit, cached, queued, monkeypatch
):
    office = make_user(roles.OFFICE, username="uno")
    client.force_login(office)
    before, counting = _page(client)
    scadenza = timezone.localdate() + dt.timedelta(days=10)
    portfolio.box(portfolio.holder(), Stato.EVASA, scadenza=scadenza)
    _later(monkeypatch, 30 * common.STALE_FACTOR + 1)  # e.g. the worker down for five minutes
    after, queries = _page(client)
    assert queries == counting
    assert int(after["buckets"]["30"]) == int(before["buckets"]["30"]) + 1
    assert queued == []


def test_a_recount_for_someone_no_longer_on_staff_counts_nothing(
    client, make_user, credit, cached, queued, monkeypatch, django_capture_on_commit_callbacks
):
    office = make_user(roles.OFFICE, username="uno")
    client.force_login(office)
    before, _queries = _page(client)
    _later(monkeypatch, 31)
    with django_capture_on_commit_callbacks(execute=True):
        _page(client)
    office.is_active = False
    office.save()
    recount_office_totals(office.pk)
    # the next page still shows the old totals and asks again (another member's recount)
    other = make_user(roles.OFFICE, username="due")
    client.force_login(other)
    with django_capture_on_commit_callbacks(execute=True):
        assert _page(client)[0] == before
    assert queued[-1] == ("cockpit.recount_office_totals", [other.pk])


def test_the_recount_sent_by_name_is_a_task_the_worker_runs():
    from portal.celery import app

    app.loader.import_default_modules()  # what a worker does at start
    assert app.tasks[common.RECOUNT_TASK].name == recount_office_totals.name
