"""The expiry page and the reminders, for a set of boxes with known expiry dates."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from mailboxes import expiry, tasks
from mailboxes.models import Casella, CasellaCall, PromemoriaScadenza

from .conftest import run_calls
from .operations_support import *  # noqa: F403 (the active_box fixture)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def boxes(make_titolare):
    """Boxes of two holders expiring at known offsets from today (not linked to the sandbox)."""
    alfa = make_titolare(denominazione="Alfa Srl", codice_fiscale="00743110157")
    beta = make_titolare(denominazione="Beta Spa", codice_fiscale="01114601006")
    made = {}

    def box(name, days, titolare, stato="evasa", tipo="STANDARD"):
        made[name] = Casella.objects.create(
            titolare=titolare,
            remote_id=uuid.uuid4().hex[:24],
            casella_pec=f"{name}@testcert.legalmail.it",
            tipo_casella=tipo,
            stato=stato,
            data_scadenza=None if days is None else TODAY + dt.timedelta(days=days),
        )

    box("scaduta", -5, alfa)
    box("oggi", 0, alfa)
    box("dieci", 10, beta, tipo="GOLD")
    box("trenta", 30, beta)
    box("trentuno", 31, alfa)
    box("sessanta", 60, beta)
    box("sessantuno", 61, alfa, tipo="DOMICILIODIGITALE")
    box("novanta", 90, beta)
    box("novantuno", 91, alfa)
    box("lontana", 400, alfa)
    box("revocata", 10, alfa, stato="revocata")
    box("senza_data", None, beta)
    box("chiusa", -40, beta, stato="chiusa")
    return made


def listed(html: str) -> dict[str, str]:
    """address local part -> bucket, as the page shows them."""
    rows = re.findall(r'<tr class="[^"]*" id="riga-(\d+)" data-bucket="(\w+)"', html)
    names = {str(c.pk): c.casella_pec.split("@")[0] for c in Casella.objects.all()}
    return {names[pk]: bucket for pk, bucket in rows}


def test_expiry_page_lists_the_right_boxes(pec, boxes, office_client):
    page = office_client.get(reverse("mailboxes:scadenze")).content.decode()
    assert listed(page) == {
        "chiusa": "scadute",
        "scaduta": "scadute",
        "oggi": "30",
        "dieci": "30",
        "trenta": "30",
        "trentuno": "60",
        "sessanta": "60",
        "sessantuno": "90",
        "novanta": "90",
    }
    assert re.search(r'id="conta-scadute">2<', page) and re.search(r'id="conta-30">3<', page)
    assert page.index("Beta Spa") < page.index("Alfa Srl")  # by holder, most urgent first (-40)
    # Total of the renewable ones for one year (the closed box cannot be renewed).
    total = 11 * 6 + 64 + Decimal("4.50")  # 6 STANDARD, dieci GOLD, sessantuno DD
    assert f"{total:.2f}".replace(".", ",") + " € + IVA" in page
    assert "1000,00 €" in page or "1.000,00 €" in page  # the sandbox wallet's credit
    assert 'id="credito-insufficiente"' not in page

    within30 = office_client.get(reverse("mailboxes:scadenze") + "?entro=30").content.decode()
    assert set(listed(within30)) == {"chiusa", "scaduta", "oggi", "dieci", "trenta"}
    within60 = office_client.get(reverse("mailboxes:scadenze") + "?entro=60").content.decode()
    assert set(listed(within60)) == set(listed(within30)) | {"trentuno", "sessanta"}


def test_expiry_page_warns_when_the_credit_is_short(pec, boxes, office_client):
    pec.set_credit("50.00")
    page = office_client.get(reverse("mailboxes:scadenze")).content.decode()
    assert 'id="credito-insufficiente"' in page
    movements = page[page.index('id="movimenti"') :]
    assert "Rettifica del conto" in movements  # the recent transactions, in Italian
    details = r'<details class="dettagli-tecnici">.*?</details>'
    assert "Wallet adjustment" not in re.sub(details, "", movements, flags=re.S)


def test_expiry_page_without_wallet_access(pec, boxes, office_client, settings):
    from django.core.cache import cache

    settings.OPENAPI_TOKEN = "not-a-valid-token"
    cache.clear()
    response = office_client.get(reverse("mailboxes:scadenze"))
    assert response.status_code == 200
    assert "non permettono di leggere il credito" in response.content.decode()


def test_accountant_cannot_open_the_expiry_page(pec, client, accountant_user):
    client.force_login(accountant_user)
    assert client.get(reverse("mailboxes:scadenze")).status_code == 403


def test_renew_several_at_once_with_progress(pec, active_box, office_client):
    a, b, c = active_box(), active_box(tipo="GOLD"), active_box()
    Casella.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(
        data_scadenza=TODAY + dt.timedelta(days=20)
    )
    url = reverse("mailboxes:scadenze")
    confirm = office_client.post(url, {"caselle": [a.pk, b.pk], "anni": 2, "step": "riepilogo"})
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "150,00 € + IVA" in body  # (11 + 64) x 2
    assert not CasellaCall.objects.filter(kind="rinnovo").exists()
    batch = body.split('name="batch" value="', 1)[1].split('"', 1)[0]
    data = {"caselle": [a.pk, b.pk], "anni": 2, "step": "conferma", "batch": batch}
    done = office_client.post(url, data)
    assert done.status_code == 302 and f"batch={batch}" in done["Location"]
    office_client.post(url, data)  # a double submit: the same intents
    assert CasellaCall.objects.filter(kind="rinnovo").count() == 2

    progress_url = reverse("mailboxes:scadenze_avanzamento") + f"?batch={batch}"
    live = office_client.get(progress_url).content.decode()
    assert 'hx-trigger="every 2s"' in live and "Eseguiti 0 su 2" in live
    run_calls(a)
    run_calls(b)
    settled = office_client.get(progress_url).content.decode()
    assert "Eseguiti 2 su 2" in settled and "every 2s" not in settled
    assert [ch["operation"] for ch in pec.charges()].count("rinnovo") == 2
    a.refresh_from_db()
    assert a.data_scadenza.year == TODAY.year + 3 or a.data_scadenza > TODAY + dt.timedelta(700)
    page = office_client.get(done["Location"]).content.decode()
    assert 'id="avanzamento"' in page and str(c.pk) in page  # c was not selected, still listed


def test_renew_several_refuses_boxes_that_cannot_be_renewed(pec, boxes, office_client):
    url = reverse("mailboxes:scadenze")
    response = office_client.post(
        url,
        {
            "caselle": [boxes["chiusa"].pk, boxes["revocata"].pk],
            "anni": 1,
            "step": "conferma",
            "batch": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400
    assert not CasellaCall.objects.exists()


# --------------------------------------------------------------------------- reminders


def test_reminders_go_once_per_box_and_threshold(pec, boxes, office_user, mailoutbox, settings):
    settings.EXPIRY_REMINDER_DAYS = [60, 30, 7]
    assert expiry.send_reminders(today=TODAY) == {"boxes": 5, "emails": 1}
    # oggi (0 -> 7), dieci (10 -> 30), trenta (30), trentuno (31 -> 60), sessanta (60)
    reminded = dict(
        PromemoriaScadenza.objects.values_list("casella__casella_pec", "soglia").order_by()
    )
    assert {k.split("@")[0]: v for k, v in reminded.items()} == {
        "oggi": 7,
        "dieci": 30,
        "trenta": 30,
        "trentuno": 60,
        "sessanta": 60,
    }
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [office_user.email]
    body = mailoutbox[0].body
    assert "dieci@testcert.legalmail.it" in body and "64,00 €" in body
    assert "scaduta@" not in body and "revocata@" not in body and "novanta@" not in body

    assert expiry.send_reminders(today=TODAY) == {"boxes": 0, "emails": 0}
    assert tasks.send_expiry_reminders() == {"boxes": 0, "emails": 0}  # the beat task
    assert len(mailoutbox) == 1

    # 25 days later: dieci is 7 days away -> its 7-day reminder; trenta (5) -> 7;
    # sessanta (35) -> 60 again? no: already sent for 60; trentuno (6) -> 7; novanta (65): none.
    later = TODAY + dt.timedelta(days=25)
    result = expiry.send_reminders(today=later)
    assert result == {"boxes": 3, "emails": 1}
    assert len(mailoutbox) == 2
    assert expiry.send_reminders(today=later) == {"boxes": 0, "emails": 0}

    # A renewed box (new expiry date) is reminded again before its new date.
    dieci = boxes["dieci"]
    Casella.objects.filter(pk=dieci.pk).update(data_scadenza=later + dt.timedelta(days=50))
    assert expiry.send_reminders(today=later) == {"boxes": 1, "emails": 1}


def test_reminder_unique_per_box_threshold_and_date(boxes):
    c = boxes["trenta"]
    PromemoriaScadenza.objects.create(casella=c, soglia=30, data_scadenza=c.data_scadenza)
    with pytest.raises(IntegrityError):
        PromemoriaScadenza.objects.create(casella=c, soglia=30, data_scadenza=c.data_scadenza)


def test_failed_send_is_tried_again(boxes, office_user, mailoutbox, monkeypatch, settings):
    settings.EXPIRY_REMINDER_DAYS = [7]

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(expiry, "send_mail", broken)
    with pytest.raises(OSError):
        expiry.send_reminders(today=TODAY)
    assert not PromemoriaScadenza.objects.exists()  # nothing claimed: the next tick retries
    monkeypatch.undo()
    assert expiry.send_reminders(today=TODAY) == {"boxes": 1, "emails": 1}


def test_no_office_address_no_claim(boxes, mailoutbox):
    assert expiry.send_reminders(today=TODAY) == {"boxes": 0, "emails": 0}
    assert not PromemoriaScadenza.objects.exists()
