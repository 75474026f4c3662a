"""A box's history is shown in the reader's language, whoever wrote it and in which language,
including the lines written as text before history lines were sentences."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from mailboxes.models import Evento, Stato, TipoEvento
from mailboxes.services import history
from portal.history import Sentence

pytestmark = pytest.mark.django_db

migration = importlib.import_module("mailboxes.migrations.0005_history_sentences")


def history_on_page(client, casella, language: str) -> str:
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("mailboxes:casella_detail", args=[casella.pk])).content.decode()
    timeline = re.search(r'<ul class="timeline">(.*?)</ul>', page, re.DOTALL)
    return re.sub(r"\s+", " ", timeline.group(1))


def test_lines_follow_the_readers_language_whoever_wrote_them(office_client, make_casella):
    with translation.override("en"):
        casella = make_casella()  # its registration line, written by an English user
    with translation.override("it"):
        history.record(
            casella,
            TipoEvento.STATO,
            Sentence(gettext_lazy("Nuovo stato: %(stato)s."), stato=Stato.EVASA.label),
        )

    english = history_on_page(office_client, casella, "en")
    assert "Registration requested (cost €" in english
    assert "New status: Active." in english
    assert "Registrazione" not in english and "Nuovo stato" not in english

    italian = history_on_page(office_client, casella, "it")
    assert "Registrazione richiesta (costo " in italian
    assert "Nuovo stato: Attiva." in italian
    assert "Registration" not in italian and "New status" not in italian


def test_amounts_and_dates_are_formatted_for_the_reader(make_casella):
    casella = make_casella()
    line = casella.eventi.get(tipo=TipoEvento.REGISTRAZIONE)
    price = casella.calls.get().price
    with translation.override("it"):
        assert f"{price:.2f}".replace(".", ",") in line.testo
    with translation.override("en"):
        assert f"€{price:.2f}" in line.testo


OLD_LINES = [
    # (as written in Italian, as written in English) by the portal before this change
    (
        "Registrazione richiesta (costo 15,70 €).",
        "Registration requested (cost €15.70).",
    ),
    ("La casella è attiva.", "The mailbox is active."),
    ("Nuovo stato: Attiva.", "New status: Active."),
    (
        "Rinnovo di 2 anni richiesto (costo 30,00 € + IVA).",
        "Renewal for 2 years requested (cost 30.00 € + VAT).",
    ),
    (
        "Operazione «Rinnovo» non riuscita: credito esaurito",
        "Operation “Renewal” failed: credito esaurito",
    ),
    (
        "Aumento di spazio richiesto: spazio casella 2048 MB, spazio archivio 1024 MB (nessun "
        "costo).",
        "More space requested: inbox space 2048 MB, archive space 1024 MB (no cost).",
    ),
    ("Aggiornata da Openapi: scadenza, tipo.", "Updated from Openapi: expiry, type."),
]


def test_lines_written_before_are_shown_in_the_readers_language(office_client, make_casella):
    casella = make_casella()
    Evento.objects.filter(casella=casella).delete()
    for italian, english in OLD_LINES:
        for text in (italian, english):
            Evento.objects.create(casella=casella, tipo=TipoEvento.OPERAZIONE, messaggio=text)
    Evento.objects.create(casella=casella, tipo=TipoEvento.ERRORE, messaggio="Testo libero")

    migration.to_sentences(apps, None)

    english = history_on_page(office_client, casella, "en")
    italian = history_on_page(office_client, casella, "it")
    for it_text, en_text in OLD_LINES:
        assert english.count(en_text) == 2 and it_text not in english
        assert italian.count(it_text) == 2 and en_text not in italian
    # a line that matches no known sentence stays as it was written
    assert "Testo libero" in english and "Testo libero" in italian
    assert Evento.objects.get(messaggio="Testo libero").parametri is None


def test_the_conversion_keeps_the_values(make_casella):
    casella = make_casella()
    Evento.objects.create(
        casella=casella,
        tipo=TipoEvento.OPERAZIONE,
        messaggio="Renewed for 1 year: new expiry 31/12/2027.",
    )

    migration.to_sentences(apps, None)

    line = casella.eventi.get(tipo=TipoEvento.OPERAZIONE)
    assert line.messaggio == "Rinnovata per %(n)d anno: nuova scadenza %(d)s."
    assert line.parametri["p"] == {"n": 1, "d": {"date": "2027-12-31"}}
    with translation.override("it"):
        assert line.testo == "Rinnovata per 1 anno: nuova scadenza 31/12/2027."


def test_admin_shows_the_lines_in_the_readers_language(client, django_user_model, make_casella):
    with translation.override("it"):
        casella = make_casella()
    admin = django_user_model.objects.create_superuser("admin", "a@example.com", "pw-XYZ-123456")
    client.force_login(admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    line = casella.eventi.get(tipo=TipoEvento.REGISTRAZIONE)
    for url in (
        reverse("admin:mailboxes_evento_changelist"),
        reverse("admin:mailboxes_evento_change", args=[line.pk]),
        reverse("admin:mailboxes_casella_change", args=[casella.pk]),
    ):
        page = client.get(url).content.decode()
        assert "Registration requested (cost €" in page
        assert "Registrazione richiesta" not in page
