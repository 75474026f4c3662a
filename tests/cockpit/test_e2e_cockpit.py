"""End to end in headless Chromium: a portfolio seeded through the sandbox (60 holders, 300
boxes in every state, failed intents, low credit). Every "Da fare" item appears once under the
right owner with a working link; uploading the documents of one takes it off the accountant's
list without a reload; an accountant sees only their own work."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts import roles

from ..mailboxes.conftest import pdf_bytes
from . import portfolio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REMOTE_STATI = [
    "registrata",
    "in_evasione",
    "evasa",
    "documenti_errati",
    "revocata",
    "chiusa",
    "registrazione_annullata",
]


def _seed(pec, accountant, other):
    """Boxes seeded at the sandbox and imported by the portal's sync; holders assigned in the
    portal (a third with an accountant); the local statuses, failed renewals and expiries set
    on some of them. Returns the expected entry keys per group."""
    from mailboxes.models import Casella, Stato
    from mailboxes.services import sync

    for stato in REMOTE_STATI:
        pec._post("seed", {"n": 40, "stato": stato, "prefix": f"cp-{stato[:4]}-"})
    assert sync.sync_account()["imported"] == 280
    holders = [
        portfolio.holder(commercialisti=[accountant] if i < 12 else [other] if i < 20 else [])
        for i in range(60)
    ]
    boxes = list(Casella.objects.order_by("pk"))
    for i, box in enumerate(boxes):
        box.titolare = holders[i % 60] if i % 9 else None
    Casella.objects.bulk_update(boxes, ["titolare"])
    extra = [portfolio.box(holders[i % 60], Stato.NUOVA) for i in range(10)]
    extra += [portfolio.box(holders[(i * 7) % 60], Stato.NON_REGISTRATA) for i in range(10)]
    today = timezone.localdate()
    active = list(Casella.objects.filter(stato=Stato.EVASA).order_by("pk"))
    for box in active[:15]:
        box.data_scadenza = today + dt.timedelta(days=10)
    Casella.objects.bulk_update(active[:15], ["data_scadenza"])
    failed = [
        portfolio.call(
            box, "rinnovo", "failed", last_error="Credito insufficiente", finished_at=timezone.now()
        )
        for box in active[:6]
    ]
    pec.set_credit("1.00")

    expected: dict[str, set[str]] = {
        t: set() for t in ("ufficio", "commercialista", "cliente", "openapi")
    }
    owner_of: dict[str, int | None] = {}
    for box in Casella.objects.select_related("titolare").prefetch_related(
        "titolare__commercialisti"
    ):
        key = f"casella-{box.pk}"
        helped = bool(box.titolare and box.titolare.commercialisti.all())
        turno = {
            Stato.NON_REGISTRATA: "ufficio",
            Stato.DOCUMENTI_ERRATI: "ufficio",
            Stato.REGISTRATA: "commercialista" if helped else "cliente",
            Stato.NUOVA: "openapi",
            Stato.IN_EVASIONE: "openapi",
        }.get(box.stato)
        if box.stato == Stato.EVASA and box.titolare is None:
            turno = "ufficio"
        if turno:
            expected[turno].add(key)
            owner_of[key] = box.titolare_id
    for call in failed:
        expected["ufficio"].add(f"call-{call.pk}")
        owner_of[f"call-{call.pk}"] = call.casella.titolare_id
    expected["ufficio"].add("credito")
    assert all(expected.values())
    return expected, owner_of


def _shown(page) -> dict[str, list[tuple[str, str]]]:
    """(entry key, link) under each group, as the page shows them."""
    out = {}
    for article in page.query_selector_all("#da-fare article.turn"):
        out[article.get_attribute("data-turno")] = [
            (li.get_attribute("data-key"), li.query_selector("a").get_attribute("href"))
            for li in article.query_selector_all("li[data-key]")
        ]
    return out


def test_cockpit_lists_each_item_once_and_updates_itself(
    pec, live_server, page, login, make_user, monkeypatch, tmp_path
):
    from cockpit import views
    from cockpit.selectors import common

    monkeypatch.setattr(common, "SHOWN", 1000)  # every entry on the page, not the oldest few
    monkeypatch.setattr(views, "REFRESH_SECONDS", 2)
    office = make_user(roles.OFFICE, username="operatrice")
    accountant = make_user(roles.ACCOUNTANT, username="ragioniere")
    other = make_user(roles.ACCOUNTANT, username="collega")
    expected, owner_of = _seed(pec, accountant, other)

    login(page, office)
    page.goto("/")
    shown = _shown(page)
    keys = [k for entries in shown.values() for k, _url in entries]
    assert len(keys) == len(set(keys)), "an item is listed twice"
    for turno, want in expected.items():
        assert {k for k, _u in shown[turno]} == want, turno
        assert page.inner_text(f'[data-count="{turno}"]') == str(len(want))
    for key, url in {u for entries in shown.values() for u in entries}:
        response = page.request.get(url)
        assert response.ok, (key, url, response.status)

    # The accountant: only the items of their holders.
    page.context.clear_cookies()
    login(page, accountant)
    page.goto("/")
    mine = _shown(page)
    theirs = {h.pk for h in accountant.titolari_assegnati.all()}
    want = {k for keys in expected.values() for k in keys if owner_of.get(k) in theirs}
    assert {k for entries in mine.values() for k, _u in entries} == want
    assert page.query_selector("#piano-rinnovi") is None

    # Uploading the documents of one of them takes it off their list, without a reload.
    key, url = mine["commercialista"][0]
    page.evaluate("window.__noReload = true")
    before = int(page.inner_text('[data-count="commercialista"]'))
    other_tab = page.context.new_page()
    other_tab.goto(url)
    modulo, identita = tmp_path / "modulo.pdf", tmp_path / "identita.pdf"
    modulo.write_bytes(pdf_bytes("Modulo di attivazione firmato"))
    identita.write_bytes(pdf_bytes("Carta d'identita"))
    other_tab.set_input_files("#id_modulo", str(modulo))
    other_tab.set_input_files("#id_identita", str(identita))
    other_tab.click("#invia-documenti")
    other_tab.wait_for_selector("#casella-live")
    page.wait_for_selector(f'#turno-commercialista li[data-key="{key}"]', state="detached")
    assert page.evaluate("window.__noReload === true")
    assert int(page.inner_text('[data-count="commercialista"]')) == before - 1
    assert page.query_selector(f'#turno-openapi li[data-key="{key}"]') is not None
    assert re.search(r"\d", page.inner_text("#turno-openapi"))
