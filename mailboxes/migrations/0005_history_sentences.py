"""History lines become sentences (msgid + parameters) made in the reader's language; the lines
written before, as text in the language of whoever triggered them, are read back where they
match a known msgid in Italian or English (the others stay as they are)."""

from django.db import migrations, models

from portal import history

AMOUNT = {"price": "amount"}

#: The msgids the box history was written from until now, frozen here.
KNOWN = [
    {"msgid": "Registrazione richiesta (costo %(price)s €).", "types": AMOUNT},
    {"msgid": "Registrazione richiesta di nuovo (costo %(price)s €).", "types": AMOUNT},
    "Documenti caricati (%(n)d PDF): invio a Openapi in corso.",
    "Registrata presso Openapi: scarica il modulo, firmalo e caricalo "
    "con il documento d'identità.",
    "Documenti ricevuti da Openapi: attivazione in corso.",
    "La casella è attiva.",
    "Openapi ha respinto i documenti: carica di nuovo il modulo "
    "firmato e il documento d'identità.",
    "La casella è stata revocata.",
    "Nuovo stato: %(stato)s.",
    {"msgid": "Aggiornata da Openapi: %(fields)s.", "types": {"fields": "list"}},
    "Casella registrata fuori dal portale, importata da Openapi.",
    "Eliminato il file «%(tipo)s» (documento d'identità) dopo %(days)d giorni.",
    "Documento scaricato: %(tipo)s",
    "Openapi ha rifiutato la registrazione: %(msg)s",
    "Invio dei documenti non riuscito: %(msg)s",
    {
        "msgid": "Rinnovo di %(n)d anno richiesto (%(cost)s).",
        "plural": "Rinnovo di %(n)d anni richiesto (%(cost)s).",
        "count": "n",
    },
    "Revoca richiesta (irreversibile).",
    {"msgid": "Aumento di spazio richiesto: %(what)s (%(cost)s).", "types": {"what": "list"}},
    "Attivazione della conservazione a norma richiesta, %(mb)d MB (%(cost)s).",
    "Passaggio a %(tipo)s richiesto (%(cost)s).",
    "Utente aggiuntivo %(nome)s %(cognome)s richiesto (%(cost)s).",
    "Operazione «%(op)s» eseguita.",
    "Operazione «%(op)s» non riuscita: %(msg)s",
    {
        "msgid": "Rinnovata per %(n)d anno: nuova scadenza %(d)s.",
        "plural": "Rinnovata per %(n)d anni: nuova scadenza %(d)s.",
        "count": "n",
        "types": {"d": "date"},
    },
    "Revoca eseguita.",
    {"msgid": "Spazio aumentato: %(what)s.", "types": {"what": "list"}},
    "Conservazione a norma attiva (%(mb)s MB).",
    "La casella ora è %(tipo)s.",
    "Utente aggiuntivo %(nome)s %(cognome)s creato.",
    "Eliminato il documento d'identità della richiesta di conservazione.",
    # Parts of the lines above: costs, sizes, and the labels of states, documents, types,
    # operations and fields.
    {"msgid": "nessun costo", "part": True},
    {"msgid": "costo %(price)s € + IVA", "types": AMOUNT, "part": True},
    {"msgid": "%(what)s %(mb)d MB", "part": True},
    *(
        {"msgid": label, "part": True}
        for label in (
            "In registrazione",
            "Registrazione non riuscita",
            "Registrata: in attesa dei documenti",
            "Documenti inviati: in lavorazione",
            "Attiva",
            "Documenti da ricaricare",
            "Revocata",
            "Chiusa",
            "Registrazione annullata",
            "Modulo di attivazione firmato",
            "Documento d'identità",
            "Modulo firmato e documento d'identità (PDF unico)",
            "Modulo di conservazione firmato",
            "Documento d'identità (conservazione)",
            "Legalmail Standard",
            "Legalmail Bronze",
            "Legalmail Silver",
            "Legalmail Gold",
            "Domicilio Digitale",
            "PEC Massiva",
            "Rinnovo",
            "Revoca",
            "Aumento spazio",
            "Conservazione a norma",
            "Cambio tipo",
            "Utente aggiuntivo",
            "spazio casella",
            "spazio archivio",
            "spazio conservazione",
            "scadenza",
            "tipo",
            "id Openapi",
        )
    ),
]


def to_sentences(apps, schema_editor):
    history.convert(apps.get_model("mailboxes", "Evento"), history.Known(KNOWN))


class Migration(migrations.Migration):
    dependencies = [
        ("mailboxes", "0004_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="evento",
            name="parametri",
            field=models.JSONField(blank=True, null=True, verbose_name="parametri"),
        ),
        migrations.RunPython(to_sentences, migrations.RunPython.noop),
    ]
