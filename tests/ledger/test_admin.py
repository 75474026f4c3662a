"""The ledger's admin pages: the markups are edited there; what the portal writes (entries,
wallet movements, wallet reads) is shown, never added or changed by hand."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Addebito, LetturaConto, MovimentoConto

pytestmark = pytest.mark.django_db


def _written_by_the_portal(entry, holder):
    now = timezone.now()
    return [
        entry(holder("Alfa Srl"), "11.00"),
        MovimentoConto.objects.create(remote_id="tx-1", importo="-11.00", at=now),
        LetturaConto.objects.create(dal=now, al=now, movimenti=1),
    ]


def test_what_the_portal_writes_is_shown_but_never_added_or_changed(admin_client, entry, holder):
    for row in _written_by_the_portal(entry, holder):
        name = type(row)._meta.model_name
        listing = admin_client.get(reverse(f"admin:ledger_{name}_changelist"))
        assert listing.status_code == 200
        assert admin_client.get(reverse(f"admin:ledger_{name}_add")).status_code == 403
        change = reverse(f"admin:ledger_{name}_change", args=[row.pk])
        page = admin_client.get(change)
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert admin_client.post(change, {}).status_code == 403
    assert Addebito.objects.get().prezzo == 11
