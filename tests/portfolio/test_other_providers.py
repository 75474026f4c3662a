"""Boxes of other providers (Aruba, Register.it...): entered by hand, shown with the others and
marked as not managed through Openapi; no operation offered or accepted; their expiry in the
expiry page, the cockpit and the reminders (not in the wallet's renewal plan); never polled nor
linked by the sync."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from mailboxes import expiry
from mailboxes.models import Casella, Gestore, Stato
from mailboxes.operations import registry, rules
from mailboxes.services import polling
from portal.polling import due_polls
from portfolio.services import other_providers

from ..cockpit import portfolio

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def aruba_box(titolare, days=20, address="studio@pec.it"):
    return other_providers.add_box(
        titolare=titolare,
        casella_pec=address,
        gestore=Gestore.ARUBA,
        data_scadenza=TODAY + dt.timedelta(days=days),
        user=None,
    )


def test_entered_by_hand_and_listed_as_not_managed(client, office):
    holder = portfolio.holder(denominazione="Rossi Srl")
    client.force_login(office)
    assert 'id="altro-gestore"' in client.get("/caselle/").content.decode()
    page = client.get(f"/portafoglio/altro-gestore/?titolare={holder.pk}")
    assert page.status_code == 200
    response = client.post(
        "/portafoglio/altro-gestore/",
        {
            "titolare": holder.pk,
            "casella_pec": " Rossi@PEC.it ",
            "gestore": "aruba",
            "data_scadenza": (TODAY + dt.timedelta(days=40)).strftime("%d/%m/%Y"),
        },
    )
    box = Casella.objects.get()
    assert response.status_code == 302 and response.url == f"/caselle/{box.pk}/"
    assert (box.casella_pec, box.gestore, box.stato, box.remote_id) == (
        "rossi@pec.it",
        "aruba",
        Stato.EVASA,
        None,
    )
    assert not box.managed
    listing = client.get("/caselle/").content.decode()
    assert 'data-gestore="aruba"' in listing and "non gestita tramite Openapi" in listing
    detail = client.get(f"/caselle/{box.pk}/").content.decode()
    assert "non gestita tramite Openapi" in detail
    assert 'id="operazioni"' not in detail and "Aggiorna stato" not in detail
    assert "Registrata nel portale" in detail or "registrata nel portale" in detail

    # The same address again (any provider) is refused with the reason.
    again = client.post(
        "/portafoglio/altro-gestore/",
        {"titolare": holder.pk, "casella_pec": "rossi@pec.it", "gestore": "register",
         "data_scadenza": "2027-01-01"},
    )  # fmt: skip
    assert again.status_code == 400 and "è già nel portale" in again.content.decode()
    assert Casella.objects.count() == 1


def test_no_operation_is_offered_or_accepted(office):
    box = aruba_box(portfolio.holder())
    box.remote_id = "would-never-be-set"  # even so, the provider decides
    verdicts = rules.offered(box)
    assert set(verdicts) == set(registry.OPERATIONS)
    for verdict in verdicts.values():
        assert not verdict.ok
        assert "Aruba" in verdict.reason and "non tramite Openapi" in verdict.reason


def test_expiry_page_and_reminders(client, office, mailoutbox, settings):
    holder = portfolio.holder(denominazione="Verdi Srl")
    other = aruba_box(holder, days=5)
    ours = portfolio.box(holder, Stato.EVASA, scadenza=TODAY + dt.timedelta(days=6))
    view = expiry.overview(office, today=TODAY)
    rows = {r.casella.pk: r for g in view.groups for r in g.rows}
    assert not rows[other.pk].renewable and rows[other.pk].price == 0
    assert "presso il gestore" in rows[other.pk].reason
    assert rows[ours.pk].renewable and view.total == rows[ours.pk].price

    office.email = "ufficio@example.com"
    office.save()
    settings.EXPIRY_REMINDER_DAYS = [7]
    assert expiry.send_reminders(today=TODAY) == {"boxes": 2, "emails": 1}
    body = mailoutbox[0].body
    assert "studio@pec.it" in body and "rinnovala presso il gestore" in body
    assert f"Totale per rinnovarle di un anno: {expiry.euro(rows[ours.pk].price)} €" in body

    client.force_login(office)
    page = client.get("/caselle/scadenze/").content.decode()
    assert f'id="riga-{other.pk}"' in page and 'data-gestore="aruba"' in page


def test_cockpit_lists_it_but_not_in_the_wallet_plan(client, office, credit):
    holder = portfolio.holder()
    other = aruba_box(holder, days=10)
    client.force_login(office)
    response = client.get("/")
    coming = response.context["coming"]
    assert [c.pk for c in coming.other_providers] == [other.pk]
    assert dict((k, n) for k, _label, n in coming.buckets)["30"] == 1
    assert sum(m.boxes for m in coming.plan) == 0
    html = response.content.decode()
    assert 'id="altri-gestori"' in html and "studio@pec.it" in html


def test_never_polled_nor_linked_by_the_sync(office):
    box = aruba_box(portfolio.holder())
    box.next_poll_at = timezone.now() - dt.timedelta(hours=1)
    box.save(update_fields=["next_poll_at"])
    assert box.pk not in set(due_polls(polling.BOXES).values_list("pk", flat=True))
    assert box.pk not in set(polling.BOXES.moving().values_list("pk", flat=True))


def test_accountants_cannot_add_one(client, accountant):
    client.force_login(accountant)
    assert client.get("/portafoglio/altro-gestore/").status_code == 403


def test_operation_pages_refuse_it(client, office):
    box = aruba_box(portfolio.holder())
    client.force_login(office)
    for spec in registry.in_order():
        url = f"/caselle/{box.pk}/{spec.path}/"
        for response in (client.get(url), client.post(url, {"intent_key": "x"})):
            assert response.status_code in (200, 302, 400, 403, 409), (url, response.status_code)
            assert "non tramite Openapi" in client.get(url, follow=True).content.decode(), url
    assert not box.calls.exists()


def test_trends_count_them_apart(client, office):
    aruba_box(portfolio.holder())
    client.force_login(office)
    charts = client.get("/cruscotto/andamento/").context["charts"]
    by_type = next(s for s, _chart in charts if s.key == "tipo")
    assert ("Altri gestori", 1) in [(str(label), n) for label, n in by_type.points]
