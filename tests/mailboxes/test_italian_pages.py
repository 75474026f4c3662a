"""Openapi answers in English; the pages a user reads say it in Italian (issue 16, item 1). The
sandbox's own error messages are driven through the flows and looked for on the pages, outside
the "dettagli tecnici" that keep the original for support."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from mailboxes.models import Stato
from mailboxes.operations import rinnovo

from .conftest import run_calls
from .operations_support import *  # noqa: F403 (the active_box fixture)
from .operations_support import key

pytestmark = pytest.mark.django_db

SANDBOX = Path(__file__).resolve().parents[2] / "pec_sandbox"


def openapi_phrases() -> set[str]:
    """Every English message the sandbox answers with (the literal part before a value)."""
    phrases = set()
    for path in SANDBOX.glob("*.py"):
        for literal in re.findall(r'ApiError\(\s*\d+,\s*f?"([^"]+)"', path.read_text()):
            head = literal.split("{")[0].strip(" :")
            if len(head.split()) >= 2:
                phrases.add(head)
    assert "Insufficient Credit in Wallet" in phrases and len(phrases) > 30
    return phrases


def visible(html: str) -> str:
    """The page without its technical details (nor scripts and styles)."""
    html = re.sub(r'<details class="dettagli-tecnici">.*?</details>', "", html, flags=re.S)
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)


def assert_italian(html: str) -> None:
    text = visible(html)
    leaks = [p for p in openapi_phrases() if p.lower() in text.lower()]
    assert not leaks, leaks


def test_refused_registration_is_explained_in_italian(pec, office_client, make_casella):
    pec.set_credit("1.00")
    casella = make_casella()
    run_calls(casella)
    casella.refresh_from_db()
    assert casella.stato == Stato.NON_REGISTRATA
    assert "Insufficient Credit" in casella.last_error  # stored as Openapi said it
    page = office_client.get(reverse("mailboxes:casella_detail", args=[casella.pk])).content
    page = page.decode()
    assert "Credito Openapi insufficiente (1,00 €): ricarica il conto e riprova." in page
    assert "dettagli tecnici" in page and "Insufficient Credit in Wallet: 1.00" in page
    assert_italian(page)
    assert_italian(office_client.get("/").content.decode())


def test_failed_operation_is_explained_in_italian_everywhere(
    pec, active_box, office_user, office_client, mailoutbox
):
    casella = active_box(tipo="GOLD")
    pec.set_credit("10.00")
    rinnovo.renew(casella=casella, anni=1, intent_key=key(), user=office_user)
    assert run_calls(casella) == ["failed"]
    page = office_client.get(reverse("mailboxes:casella_detail", args=[casella.pk])).content
    page = page.decode()
    assert "Credito Openapi insufficiente (10,00 €)" in page
    assert_italian(page)
    assert "GET /pec" not in visible(page)  # the calls table names the operation, not the path
    assert_italian(office_client.get("/").content.decode())
    assert_italian(mailoutbox[-1].body)
    assert "Credito Openapi insufficiente" in mailoutbox[-1].body


def test_the_english_page_explains_in_english(pec, office_client, make_casella):
    pec.set_credit("1.00")
    casella = make_casella()
    run_calls(casella)
    office_client.cookies["django_language"] = "en"
    page = office_client.get(
        reverse("mailboxes:casella_detail", args=[casella.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Insufficient Openapi credit (1.00 €)" in page
