"""Notices that tell the truth (issue 16, item 3): a started operation is announced as pending,
not as a success, and the notice goes once the outcome shows; a repeated confirmation says it
was already asked and costs nothing new; the expiry page reloads, on the same tab, when a batch
of renewals ends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from mailboxes.models import Casella

from .conftest import run_calls
from .operations_support import *  # noqa: F403 (the active_box fixture)


def renew(office_client, casella, intent="0b9c2c1e-64c8-4b0e-9a51-7f3f0a6f1e11"):
    url = reverse("mailboxes:rinnovo", args=[casella.pk])
    return office_client.post(
        url, {"anni": 1, "step": "conferma", "intent_key": intent}, follow=True
    ).content.decode()


@pytest.mark.django_db
def test_started_is_pending_not_green_and_a_repeat_costs_nothing(pec, active_box, office_client):
    casella = active_box()
    page = renew(office_client, casella)
    assert 'class="message pending info"' in page and "richiesta: la inviamo" in page
    assert "message success" not in page
    again = renew(office_client, casella)  # the same confirmation, submitted again
    assert "già richiesta il" in again and "nessun nuovo addebito" in again
    assert "richiesta: la inviamo" not in again
    run_calls(casella)
    done = renew(office_client, casella)
    assert "già richiesta il" in done and "eseguita il" in done and "nessun nuovo addebito" in done
    assert [c["operation"] for c in pec.charges()].count("rinnovo") == 1


@pytest.mark.django_db
def test_expiry_progress_reloads_the_page_on_the_same_tab_when_the_batch_ends(
    pec, active_box, office_client
):
    a = active_box()
    Casella.objects.filter(pk=a.pk).update(data_scadenza=dt.date.today() + dt.timedelta(days=20))
    url = reverse("mailboxes:scadenze") + "?entro=30"
    confirm = office_client.post(url, {"caselle": [a.pk], "anni": 1, "step": "riepilogo"})
    batch = confirm.content.decode().split('name="batch" value="', 1)[1].split('"', 1)[0]
    done = office_client.post(
        url, {"caselle": [a.pk], "anni": 1, "step": "conferma", "batch": batch}
    )
    assert done["Location"].endswith(f"?entro=30&batch={batch}")  # the chosen tab kept
    page = office_client.get(done["Location"]).content.decode()
    assert f"batch={batch}&amp;entro=30" in page  # the progress polls with the tab
    poll = reverse("mailboxes:scadenze_avanzamento") + f"?batch={batch}&entro=30"
    assert "HX-Refresh" not in office_client.get(poll, HTTP_HX_REQUEST="true")
    run_calls(a)
    ended = office_client.get(poll, HTTP_HX_REQUEST="true")
    assert ended["HX-Refresh"] == "true"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_pending_notice_goes_when_the_outcome_shows(pec, active_box, page, login, office_user):
    casella = active_box()
    login(page, office_user)
    page.goto(f"/caselle/{casella.pk}/rinnovo/")
    page.click("#continua")
    page.click("#conferma")
    # pending while in progress (test_started_is_pending_not_green... checks the page itself); a
    # worker of the test session (CI) may have sent the renewal already: then the outcome is
    # there at once and the notice must be gone all the same
    page.wait_for_selector('#operazione-in-corso, #operazione-esito[data-kind="rinnovo"]')
    run_calls(casella)  # the worker's part, done here when no worker took it
    page.wait_for_selector('#operazione-esito[data-kind="rinnovo"]', timeout=20_000)
    page.wait_for_function("document.querySelectorAll('article.message.pending').length === 0")
