"""A request's timeline is shown in the reader's language, whoever wrote it and in which
language, including the lines written as text before timeline lines were sentences."""

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from comunica.models import Evento
from comunica.services import creation

from .factories import model_data

pytestmark = pytest.mark.django_db

migration = importlib.import_module("comunica.migrations.0002_history_sentences")


def timeline(client, richiesta, language: str) -> str:
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("comunica:richiesta_detail", args=[richiesta.pk])).content.decode()
    return re.sub(r"\s+", " ", re.search(r'<ul class="timeline">(.*?)</ul>', page, re.S).group(1))


def test_lines_follow_the_readers_language(office_client, office_user, queued):
    with translation.override("en"):
        richiesta = creation.create_richiesta(
            data=model_data(), user=office_user, intent_key="k"
        ).richiesta

    italian = timeline(office_client, richiesta, "it")
    assert "Richiesta creata; invio a Openapi (costo " in italian
    assert "Request created" not in italian
    english = timeline(office_client, richiesta, "en")
    assert "Request created; sending to Openapi (cost €" in english
    assert "Richiesta creata" not in english


OLD_LINES = [
    ("Comunicazione evasa", "Notice completed"),
    (
        "Comunicazione evasa: codice Registro Imprese RI-42",
        "Notice completed: Registro Imprese code RI-42",
    ),
    ("Procura firmata inviata a Openapi.", "Signed power of attorney sent to Openapi."),
    (
        "Richiesta creata; invio a Openapi (costo 15,70 €).",
        "Request created; sending to Openapi (cost €15.70).",
    ),
]


def test_lines_written_before_are_shown_in_the_readers_language(office_client, office_user, queued):
    richiesta = creation.create_richiesta(
        data=model_data(), user=office_user, intent_key="k"
    ).richiesta
    richiesta.eventi.all().delete()
    for italian, english in OLD_LINES:
        for text in (italian, english):
            Evento.objects.create(richiesta=richiesta, tipo=Evento.Tipo.STATO, messaggio=text)
    Evento.objects.create(richiesta=richiesta, tipo=Evento.Tipo.ERRORE, messaggio="Testo libero")

    migration.to_sentences(apps, None)

    english = timeline(office_client, richiesta, "en")
    italian = timeline(office_client, richiesta, "it")
    for it_text, en_text in OLD_LINES:
        assert english.count(en_text) >= 2 and f"{it_text}<" not in english
        assert italian.count(it_text) >= 2 and f"{en_text}<" not in italian
    assert "Testo libero" in english and "Testo libero" in italian
