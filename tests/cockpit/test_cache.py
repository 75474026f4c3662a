"""The cockpit's office-wide totals (boxes per status, renewal plan, expiry buckets) are
counted once for the whole office per COCKPIT_CACHE_SECONDS; an accountant's are counted on
every page; the entries under the counters are always read."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
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
