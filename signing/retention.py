"""How long the signing links are kept. A link names a person's e-mail address and what they
were asked to sign: SIGNING_LINK_RETENTION_DAYS after it ended (used, revoked or expired) the
row is deleted, like the ID documents (mailboxes/services/retention.py). What happened stays
in the history of its box or comunica request."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import LinkFirma


def links_due(*, now: dt.datetime | None = None):
    """The links that ended more than SIGNING_LINK_RETENTION_DAYS ago."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.SIGNING_LINK_RETENTION_DAYS)
    return LinkFirma.objects.filter(
        Q(used_at__lt=cutoff) | Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    )


def purge_links(*, now: dt.datetime | None = None) -> int:
    """Delete them; returns how many."""
    deleted, _by_model = links_due(now=now).delete()
    return deleted
