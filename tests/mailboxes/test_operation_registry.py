"""An operation added through the registry alone: a throwaway paid operation, declared by one
spec in this test (its "client call" charges a counter), is offered on the box page, has its
admin action, states its price on its confirmation page and is run at most once."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django import forms
from django.db import IntegrityError, transaction
from django.urls import clear_url_caches, reverse
from django.utils import timezone

from mailboxes.models import CasellaCall, Stato
from mailboxes.operations import rules
from mailboxes.operations.forms import AdminBatchForm
from mailboxes.operations.handlers import OperationHandler
from mailboxes.operations.intents import record_intent
from mailboxes.operations.registry import OperationSpec, register, unregister
from mailboxes.operations.rules import ALLOWED, Verdict
from openapi_pec import errors

from .conftest import run_calls
from .operations_support import *  # noqa: F403 (the active_box fixture)

pytestmark = pytest.mark.django_db

KIND = "prova"
PRICE = Decimal("7.50")
#: The calls the throwaway operation "sent": what Openapi would have charged.
CHARGED: list[int] = []


class ProvaHandler(OperationHandler):
    kind = KIND
    lose_answers = 0

    def send(self, client, call, casella):
        CHARGED.append(call.pk)
        if self.lose_answers:
            self.lose_answers -= 1
            raise errors.OutcomeUnknown(None, "answer lost")
        return client.get_casella(casella.remote_id)

    def reached(self, call, current) -> bool:
        return call.pk in CHARGED


class ProvaForm(forms.Form):
    nota = forms.CharField(max_length=50)

    def __init__(self, *args, casella, **kwargs):
        super().__init__(*args, **kwargs)

    def summary(self):
        return [("Nota", self.cleaned_data["nota"])]


class ProvaAdminForm(AdminBatchForm):
    nota = forms.CharField(max_length=50, initial="admin")


def start(casella, values, *, intent_key, user):
    return record_intent(
        casella=casella,
        kind=KIND,
        params={"nota": values["nota"]},
        price=PRICE,
        intent_key=intent_key,
        user=user,
        message="Prova richiesta.",
    )


def _reload_urls():
    """The URL patterns are generated from the registry when the URLconf is imported: build
    them again for an operation registered after start-up."""
    for name in ("mailboxes.urls_operations", "mailboxes.urls", "portal.urls"):
        importlib.reload(importlib.import_module(name))
    clear_url_caches()


@pytest.fixture
def throwaway():
    handler = ProvaHandler()
    spec = register(
        OperationSpec(
            kind=KIND,
            label="Prova",
            call_label="Prova (test)",
            title="Prova una cosa",
            path="prova",
            order=99,
            allowed=lambda c: ALLOWED if c.stato == Stato.EVASA else Verdict(False, "No."),
            price=lambda casella, values: PRICE,
            start=start,
            handler=handler,
            form=ProvaForm,
            admin_form=ProvaAdminForm,
            admin_action="op_prova",
            admin_description="Prova…",
        )
    )
    CHARGED.clear()
    _reload_urls()
    yield spec
    unregister(KIND)
    _reload_urls()


def test_an_operation_added_through_the_registry_alone(
    pec, active_box, office_client, admin_client, throwaway
):
    casella = active_box()
    detail = reverse("mailboxes:casella_detail", args=[casella.pk])
    assert 'id="op-prova"' in office_client.get(detail).content.decode()

    # Priced on its confirmation page; nothing recorded until confirmed.
    url = reverse("mailboxes:prova", args=[casella.pk])
    assert url == f"/caselle/{casella.pk}/prova/"
    confirm = office_client.post(url, {"nota": "uno", "step": "riepilogo"}).content.decode()
    assert "7,50 € + IVA" in confirm and "Prova una cosa" in confirm
    assert not CasellaCall.objects.filter(kind=KIND).exists()

    # A double submit is one intent, sent once.
    intent = confirm.split('name="intent_key" value="', 1)[1].split('"', 1)[0]
    data = {"nota": "uno", "step": "conferma", "intent_key": intent}
    assert office_client.post(url, data).status_code == 302
    assert office_client.post(url, data).status_code == 302
    call = CasellaCall.objects.get(kind=KIND)
    assert call.price == PRICE
    assert run_calls(casella) == ["done"]
    assert run_calls(casella) == []
    assert [call.pk] == CHARGED
    page = office_client.get(detail).content.decode()
    assert "Ultima operazione, «Prova»: eseguita" in page

    # In admin: the action is offered, and its page states the price per box.
    changelist = reverse("admin:mailboxes_casella_changelist")
    assert 'value="op_prova"' in admin_client.get(changelist).content.decode()
    page = admin_client.post(changelist, {"action": "op_prova", "_selected_action": [casella.pk]})
    assert page.status_code == 200 and "7,50 € + IVA" in page.content.decode()


def test_a_lost_answer_of_the_new_operation_is_settled_not_sent_again(
    pec, active_box, office_user, throwaway
):
    casella = active_box()
    throwaway.handler.lose_answers = 1
    call = start(casella, {"nota": "due"}, intent_key="prova-lost", user=office_user)
    assert run_calls(casella) == ["unclear"]
    CasellaCall.objects.filter(pk=call.pk).update(next_attempt_at=timezone.now())
    assert run_calls(casella) == ["done"]
    assert [call.pk] == CHARGED  # settled by reading the box: sent once


def test_the_database_keeps_one_open_operation_per_box_for_a_new_kind(
    pec, active_box, office_user, throwaway
):
    casella = active_box()
    start(casella, {"nota": "tre"}, intent_key="prova-1", user=office_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        CasellaCall.objects.create(casella=casella, kind=KIND, intent_key="prova-2")
    verdict = rules.check(casella, "rinnovo")
    assert not verdict and "«Prova»" in verdict.reason
