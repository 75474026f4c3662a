"""Signing links are personal data (a client's e-mail, what they were asked to sign): deleted
SIGNING_LINK_RETENTION_DAYS after they were used, revoked or expired; usable ones are kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from mailboxes.models import Casella
from signing import tasks
from signing.models import LinkFirma, Scopo

pytestmark = pytest.mark.django_db


@pytest.fixture
def casella(make_titolare):
    return Casella.objects.create(
        titolare=make_titolare(), casella_pec="cliente@legalmail.it", tipo_casella="STANDARD"
    )


def test_ended_links_are_deleted_after_the_retention_usable_ones_kept(casella):
    now = timezone.now()
    days = dt.timedelta(days=settings.SIGNING_LINK_RETENTION_DAYS)
    long_ago, lately = now - days - dt.timedelta(days=1), now - days + dt.timedelta(days=1)

    def link(name, **kw):
        data = {"expires_at": now + dt.timedelta(days=7), "created_at": long_ago - days, **kw}
        return LinkFirma.objects.create(
            token_hash=name.ljust(64, "0"),
            scopo=Scopo.ATTIVAZIONE,
            casella=casella,
            email="cliente@example.com",
            **data,
        )

    link("used-long-ago", used_at=long_ago)
    link("revoked-long-ago", revoked_at=long_ago)
    link("expired-long-ago", expires_at=long_ago)
    kept = {
        link("used-lately", used_at=lately).pk,
        link("expired-lately", expires_at=lately).pk,
        link("usable").pk,
    }
    assert tasks.purge_links() == 3
    assert set(LinkFirma.objects.values_list("pk", flat=True)) == kept
    assert tasks.purge_links() == 0
    assert Casella.objects.filter(pk=casella.pk).exists()


def test_the_purge_is_a_periodic_task():
    from celery import current_app

    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "signing.purge_links" in beat and "signing.purge_links" in current_app.tasks
