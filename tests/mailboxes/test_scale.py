"""At an office's scale: the list's cost does not grow with the boxes, a polling cycle costs at
most 2 Openapi calls whatever the number of pending boxes, the sync writes only what changed.
(Behaviour only: the timings are in bench/.)"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mailboxes import selectors
from mailboxes.models import Casella, Evento, Stato, Titolare
from mailboxes.services import sync as box_sync
from mailboxes.services.polling import BOXES
from portal.polling import poll_due

pytestmark = pytest.mark.django_db

LIST = "/caselle/"


def _holders(n, start=0):
    Titolare.objects.bulk_create(
        [
            Titolare(
                tipo_cliente="IM",
                denominazione=f"Impresa {i:04d} Srl",
                codice_fiscale=f"{i:011d}",
                partita_iva=f"{i:011d}",
                indirizzo="Via Roma 1",
                comune="Roma",
                cap="00100",
                provincia="RM",
            )
            for i in range(start, start + n)
        ]
    )
    return list(Titolare.objects.order_by("pk"))


def _boxes(n, start=0):
    holders = list(Titolare.objects.order_by("pk")) or _holders(5)
    today = dt.date.today()
    Casella.objects.bulk_create(
        [
            Casella(
                titolare=holders[i % len(holders)] if i % 4 else None,
                casella_pec=f"box{i:04d}@legalmail.it",
                tipo_casella="STANDARD" if i % 3 else "GOLD",
                stato=[Stato.EVASA, Stato.REGISTRATA, Stato.IN_EVASIONE][i % 3],
                data_scadenza=today + dt.timedelta(days=i % 17) if i % 5 else None,
            )
            for i in range(start, start + n)
        ]
    )


def _queries(client, url):
    client.get(url)  # warm (session, caches)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def _next(html):
    m = re.search(r'href="\?([^"]*dopo=[^"&]+)"', html)
    return "?" + m.group(1).replace("&amp;", "&") if m else None


URLS = ["", "?stato=evasa", "?sort=indirizzo", "?sort=-scadenza", "?q=box00", "?q=Impresa"]


@pytest.mark.parametrize("query", URLS)
def test_the_list_costs_the_same_queries_with_10_and_200_boxes(office_client, query):
    _boxes(10)
    small, _html = _queries(office_client, LIST + query)
    _boxes(190, start=10)
    large, html_large = _queries(office_client, LIST + query)
    assert small == large
    nxt = _next(html_large)
    if nxt:  # a later page: the same again (no COUNT, no OFFSET)
        deep, _html = _queries(office_client, LIST + nxt)
        assert deep == large


def test_the_list_issues_no_count_and_no_offset(office_client):
    _boxes(120)
    with CaptureQueriesContext(connection) as ctx:
        html = office_client.get(LIST).content.decode()
        office_client.get(LIST + _next(html))
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "COUNT(" not in sql and "OFFSET" not in sql


@pytest.mark.parametrize(
    "sort", ["", "-creata", "indirizzo", "-indirizzo", "scadenza", "-scadenza", "titolare", "stato"]
)
def test_keyset_pages_walk_every_box_once_both_ways(office_user, sort):
    _boxes(57)
    expected = [c.pk for c in selectors.search_caselle(office_user, sort=sort)]
    assert len(expected) == 57
    seen, pages, after = [], [], ""
    while True:
        page = selectors.keyset_page(
            selectors.filter_caselle(office_user), sort=sort, after=after, size=10
        )
        pages.append(page)
        seen += [c.pk for c in page.object_list]
        if not page.has_next:
            break
        after = page.next_cursor
    assert seen == expected
    assert not pages[0].has_previous and pages[1].has_previous
    back = selectors.keyset_page(
        selectors.filter_caselle(office_user), sort=sort, before=pages[3].prev_cursor, size=10
    )
    assert [c.pk for c in back.object_list] == [c.pk for c in pages[2].object_list]
    assert back.has_next and back.has_previous


def test_a_forged_cursor_is_ignored(office_client):
    _boxes(30)
    response = office_client.get(LIST + "?dopo=not-a-cursor&prima=%ff%fe")
    assert response.status_code == 200
    assert "box0029@legalmail.it" in response.content.decode()  # the first page
    # a NUL character (PostgreSQL refuses it) is answered 400 before any query
    assert office_client.get(LIST + "?prima=%00%ff").status_code == 400


def test_search_finds_by_address_holder_name_and_tax_code(office_client):
    _holders(3)
    _boxes(12)
    html = office_client.get(LIST + "?q=box0005").content.decode()
    assert "box0005@legalmail.it" in html and "box0004@" not in html
    html = office_client.get(LIST + "?q=impresa 0001").content.decode()
    assert "box0001@legalmail.it" in html and "box0002@" not in html
    html = office_client.get(LIST + "?q=00000000002").content.decode()
    assert "box0002@legalmail.it" in html and "box0001@" not in html


def test_with_many_holders_the_holder_filter_offers_only_the_chosen_one(office_client):
    holders = _holders(205)
    html = office_client.get(LIST).content.decode()
    assert holders[100].denominazione not in html
    html = office_client.get(LIST + f"?titolare={holders[100].pk}").content.decode()
    assert holders[100].denominazione in html


# --------------------------------------------------------------------------- polling


def _pending(pec, n):
    """n boxes in_evasione at the sandbox and in the portal, due a poll now."""
    ids = pec._post("seed", {"n": n, "stato": "in_evasione", "prefix": "poll"})["ids"]
    past = timezone.now() - dt.timedelta(seconds=1)
    Casella.objects.bulk_create(
        [
            Casella(
                remote_id=rid,
                casella_pec=f"poll{i:07d}@legalmail.it",
                tipo_casella="STANDARD",
                stato=Stato.IN_EVASIONE,
                next_poll_at=past,
                poll_interval=2.0,
                # As a previous cycle left them (the seed's time is in the id's first digits).
                ts_registrazione=dt.datetime.fromtimestamp(int(rid[:8], 16), tz=dt.UTC),
                ts_ultima_modifica=dt.datetime.fromtimestamp(int(rid[:8], 16), tz=dt.UTC),
            )
            for i, rid in enumerate(ids)
        ]
    )
    return ids


def _api_calls(pec, since):
    return [c for c in pec.calls()[since:] if not c["path"].startswith("/tokens")]


@pytest.mark.parametrize("n", [1, 2, 60])
def test_a_polling_cycle_makes_at_most_two_openapi_calls(pec, n):
    ids = _pending(pec, n)
    for rid in ids[: max(1, n // 10)]:
        pec.set_stato("casella", rid, "evasa")
    before = len(pec.calls())
    figures = poll_due(BOXES)
    assert figures["objects"] == n
    assert len(_api_calls(pec, before)) <= 2
    assert Casella.objects.filter(stato=Stato.EVASA).count() == max(1, n // 10)
    # The unchanged ones back off, and a second cycle right now has nothing to do.
    assert not Casella.objects.filter(stato=Stato.IN_EVASIONE, poll_interval__lte=2.0).exists()
    before = len(pec.calls())
    assert poll_due(BOXES)["objects"] == 0
    assert _api_calls(pec, before) == []


def test_polling_many_boxes_claims_them_in_a_few_queries(pec):
    _pending(pec, 80)
    with CaptureQueriesContext(connection) as ctx:
        poll_due(BOXES)
    assert len(ctx.captured_queries) < 15  # not one per box


# --------------------------------------------------------------------------- sync


def test_the_sync_writes_only_the_rows_that_changed(pec):
    ids = pec._post("seed", {"n": 40, "stato": "evasa", "prefix": "sync"})["ids"]
    figures = box_sync.sync_account()
    assert figures["imported"] == 40 and Casella.objects.filter(importata=True).count() == 40
    assert Evento.objects.filter(tipo="import").count() == 40
    stamp = timezone.now() - dt.timedelta(days=3)
    Casella.objects.update(updated_at=stamp, last_synced_at=stamp)

    figures = box_sync.sync_account()
    assert figures == {"remote": 40, "imported": 0, "updated": 0, "unchanged": 40}
    assert Casella.objects.filter(updated_at=stamp, last_synced_at=stamp).count() == 40

    for rid in ids[:3]:
        pec.set_stato("casella", rid, "revocata")
    figures = box_sync.sync_account()
    assert figures["updated"] == 3 and figures["unchanged"] == 37
    touched = Casella.objects.exclude(updated_at=stamp)
    assert sorted(touched.values_list("remote_id", flat=True)) == sorted(ids[:3])
    assert all(c.stato == Stato.REVOCATA and c.last_synced_at > stamp for c in touched)
    assert Evento.objects.filter(tipo="stato", a_stato="revocata").count() == 3


def test_the_sync_of_many_boxes_takes_a_few_queries_per_batch(pec):
    pec._post("seed", {"n": 300, "stato": "evasa", "prefix": "many"})
    box_sync.sync_account()
    with CaptureQueriesContext(connection) as ctx:
        assert box_sync.sync_account()["unchanged"] == 300
    assert len(ctx.captured_queries) <= 3
