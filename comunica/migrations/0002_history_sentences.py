"""Timeline lines become sentences (msgid + parameters) made in the reader's language; the lines
written before, as text in the language of whoever triggered them, are read back where they
match a known msgid in Italian or English (the others stay as they are)."""

from django.db import migrations, models

from portal import history

AMOUNT = {"price": "amount"}
STATI = (
    "In invio a Openapi",
    "Invio non riuscito",
    "Richiesta inviata: procura in preparazione",
    "In attesa della procura firmata",
    "Procura caricata: in lavorazione",
    "Comunicazione evasa",
)

#: The msgids the timeline was written from until now, frozen here (a status change was the
#: status label alone).
KNOWN = [
    *STATI,
    "%(stato)s: codice Registro Imprese %(codice)s",
    "Ricevute del Registro Imprese disponibili: %(docs)s",
    {
        "msgid": "Richiesta accettata da Openapi (id %(id)s), costo %(price)s €.",
        "types": AMOUNT,
    },
    "Openapi ha rifiutato la richiesta: %(msg)s",
    "Credito Openapi insufficiente: nulla è stato addebitato. Ricaricare il "
    "portafoglio e riprovare. (%(msg)s)",
    "Procura firmata inviata a Openapi.",
    "Openapi ha rifiutato la procura: %(msg)s",
    {"msgid": "Richiesta creata; invio a Openapi (costo %(price)s €).", "types": AMOUNT},
    {"msgid": "Nuovo invio a Openapi (costo %(price)s €).", "types": AMOUNT},
    "Procura firmata caricata (firmatario: %(who)s, CF %(cf)s).",
    "Inviata nonostante gli avvisi sul firmatario.",
    "Importata da Openapi (avviata fuori dal portale).",
]


def to_sentences(apps, schema_editor):
    history.convert(apps.get_model("comunica", "Evento"), history.Known(KNOWN))


class Migration(migrations.Migration):
    dependencies = [
        ("comunica", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="evento",
            name="parametri",
            field=models.JSONField(blank=True, null=True, verbose_name="parametri"),
        ),
        migrations.AlterField(
            model_name="evento",
            name="messaggio",
            field=models.TextField(blank=True, verbose_name="descrizione"),
        ),
        migrations.RunPython(to_sentences, migrations.RunPython.noop),
    ]
