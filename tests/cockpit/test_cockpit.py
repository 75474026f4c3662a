"""The cockpit: "Da fare" grouped by whose move it is, scoped for accountants; what is coming
(expiries, the 12-month renewal plan against the credit, reminders); trends; the boxes list's
"needs action" filter and status colours."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles

from . import portfolio

pytestmark = pytest.mark.django_db


def _keys_by_group(html: str) -> dict[str, list[str]]:
    """Entry keys under each group of the "Da fare" section."""
    out = {}
    for turno, body in re.findall(
        r'<article id="turno-(\w+)".*?>(.*?)</article>', html, flags=re.S
    ):
        out[turno] = re.findall(r'data-key="([\w-]+)"', body)
    return out


@pytest.fixture
def office(make_user):
    return make_user(roles.OFFICE, username="ufficio")


@pytest.fixture
def accountants(make_user):
    return make_user(roles.ACCOUNTANT, username="ragioniere"), make_user(
        roles.ACCOUNTANT, username="altro"
    )


def test_every_item_once_under_whose_move_it_is(client, office, accountants, credit):
    p = portfolio.seed(*accountants)
    client.force_login(office)
    html = client.get("/").content.decode()
    got = _keys_by_group(html)
    for turno in ("ufficio", "commercialista", "cliente", "openapi"):
        assert sorted(k for k in got[turno] if k != "credito") == sorted(p.expected[turno]), turno
    every = [k for keys in got.values() for k in keys]
    assert len(every) == len(set(every))  # each once
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts["commercialista"] == "2" and counts["cliente"] == "1"
    # links go where the item is resolved
    box = next(iter(p.expected["cliente"]))
    assert f'href="/caselle/{box.split("-")[1]}/"' in html


def test_accountant_sees_only_their_work(client, office, accountants, credit):
    mine, _other = accountants
    p = portfolio.seed(*accountants)
    client.force_login(mine)
    html = client.get("/").content.decode()
    shown = {k for keys in _keys_by_group(html).values() for k in keys}
    assert shown == p.accountant_boxes
    assert "Beta Srl" not in html and "Gamma Srl" not in html
    assert 'id="piano-rinnovi"' not in html and "Credito Openapi" not in html  # the office's


def test_stuck_and_waiting_days_are_said(client, office, accountants, credit):
    p = portfolio.seed(*accountants)
    client.force_login(office)
    html = client.get("/cruscotto/da-fare/").content.decode()
    stuck_call = next(k for k in p.expected["openapi"] if k.startswith("call-"))
    item = re.search(rf'<li data-key="{stuck_call}" class="stuck">(.*?)</li>', html, re.S)
    assert item and "Più lungo del normale" in item.group(1)
    assert "Firma del modulo attesa da 3 giorni" in html


def test_low_credit_is_an_office_item(client, office, accountants, credit):
    portfolio.seed(*accountants)
    client.force_login(office)
    credit["credit"] = Decimal("5.00")
    html = client.get("/").content.decode()
    assert 'data-key="credito"' in _keys_by_group(html)["ufficio"] or 'data-key="credito"' in html
    assert "Ricarica il conto Openapi" in html
    credit["credit"] = Decimal("100000")
    assert "Ricarica il conto Openapi" not in client.get("/").content.decode()


def test_renewal_plan_sums_prices_per_month_and_marks_the_uncovered(client, office, credit):
    from mailboxes.models import Casella, Stato
    from openapi_pec import prices

    today = timezone.localdate()
    owner = portfolio.holder()
    for days, tipo in [
        (5, "GOLD"),
        (40, "STANDARD"),
        (41, "PECMASSIVA"),
        (200, "SILVER"),
        (330, "DOMICILIODIGITALE"),
        (500, "GOLD"),
    ]:
        portfolio.box(owner, Stato.EVASA, tipo=tipo, scadenza=today + dt.timedelta(days=days))
    portfolio.box(owner, Stato.REVOCATA, tipo="GOLD", scadenza=today + dt.timedelta(days=10))
    # independently: each active box's 1-year renewal price, by the month of its expiry
    expected: dict[str, Decimal] = {}
    horizon = dt.date(today.year + (today.month + 11) // 12, (today.month + 11) % 12 + 1, 1)
    for c in Casella.objects.filter(stato=Stato.EVASA):
        if today <= c.data_scadenza and c.data_scadenza.replace(day=1) <= horizon:
            month = c.data_scadenza.strftime("%Y-%m")
            price = prices.price(prices.Operation.RINNOVO, c.tipo_casella, anni=1)
            expected[month] = expected.get(month, Decimal("0")) + price
    first_two = sorted(expected)[:2]
    credit["credit"] = expected[first_two[0]] + Decimal("0.01")
    client.force_login(office)
    html = client.get("/").content.decode()
    rows = re.findall(r'<tr data-month="([\d-]+)" data-cost="([\d.]+)"( class="uncovered")?', html)
    assert len(rows) == 12
    got = {m: Decimal(c) for m, c, _u in rows if Decimal(c)}
    assert got == expected
    uncovered = [m for m, _c, u in rows if u]
    assert uncovered and uncovered[0] == first_two[1]
    assert all(m >= first_two[1] for m in uncovered)


def test_expiry_buckets_and_reminders(client, office, accountants, credit):
    portfolio.seed(*accountants)
    client.force_login(office)
    html = client.get("/").content.decode()
    buckets = dict(re.findall(r'data-bucket="(\w+)"><strong>(\d+)</strong>', html))
    assert buckets == {"scadute": "0", "30": "3", "60": "0", "90": "0"}
    assert 'id="promemoria"' in html and "avviso a 30 giorni" in html


def test_cockpit_query_count_does_not_grow_with_the_portfolio(client, office, accountants, credit):
    client.force_login(office)
    portfolio.seed(*accountants)
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        client.get("/")
    portfolio.seed(*accountants)
    portfolio.seed(*accountants)
    with CaptureQueriesContext(connection) as large:
        client.get("/")
    assert len(large) == len(small)


def test_needs_action_filter_and_colours_on_the_boxes_list(client, office, accountants, credit):
    p = portfolio.seed(*accountants)
    client.force_login(office)
    html = client.get("/caselle/?azione=on").content.decode()
    listed = set(re.findall(r'href="/caselle/(\d+)/"', html))
    boxes = {
        k.split("-")[1]
        for t in ("ufficio", "commercialista", "cliente")
        for k in p.expected[t]
        if k.startswith("casella-")
    }
    assert listed == boxes
    colour = {}
    for stato in ("registrata", "revocata", "documenti_errati", "in_evasione", "evasa"):
        page = client.get(f"/caselle/?stato={stato}").content.decode()
        colour[stato] = set(re.findall(rf'class="badge ([\w-]*)" data-stato="{stato}"', page))
    # waiting for documents: the accountant's or the client's move, never the grey of "revoked"
    assert colour["registrata"] == {"turn-cliente", "turn-commercialista"}
    assert colour["revocata"] == {"off"} and colour["evasa"] == {"ok"}
    assert colour["documenti_errati"] == {"turn-ufficio"} and colour["in_evasione"] == {"moving"}


def test_trends_page_draws_svg_with_a_table(client, office, accountants, credit):
    p = portfolio.seed(*accountants)
    from mailboxes.models import CasellaCall

    CasellaCall.objects.filter(
        pk__in=[int(k.split("-")[1]) for k in p.expected["ufficio"] if k.startswith("call-")]
    ).update(price=Decimal("64.00"), state="done", finished_at=timezone.now())
    client.force_login(office)
    html = client.get("/cruscotto/andamento/").content.decode()
    assert html.count("<svg") == 4 and 'role="img"' in html
    for key in ("stato", "tipo", "registrazioni", "spesa"):
        assert f'id="tabella-{key}"' in html
    spend = re.search(r'id="tabella-spesa">(.*?)</table>', html, re.S).group(1)
    assert "64,00" in spend


def test_trends_of_an_accountant_leave_out_the_spend(client, accountants, credit):
    portfolio.seed(*accountants)
    client.force_login(accountants[0])
    html = client.get("/cruscotto/andamento/").content.decode()
    assert html.count("<svg") == 3 and "tabella-spesa" not in html


def test_documents_being_sent_are_openapis_move(client, office, accountants, credit):
    p = portfolio.seed(*accountants)
    key = sorted(p.expected["commercialista"])[0]
    from mailboxes.models import Casella

    portfolio.call(Casella.objects.get(pk=int(key.split("-")[1])), "attivazione", "pending")
    client.force_login(office)
    got = _keys_by_group(client.get("/cruscotto/da-fare/").content.decode())
    assert key not in got["commercialista"] and key in got["openapi"]
