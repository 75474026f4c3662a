from django.contrib import admin

from portal.admin_base import ReadOnlyAdmin

from .models import Addebito, LetturaConto, MovimentoConto, Ricarico


@admin.register(Ricarico)
class RicaricoAdmin(admin.ModelAdmin):
    list_display = ("__str__", "titolare", "operazione", "percentuale", "fisso")
    list_filter = ("operazione",)
    list_editable = ("percentuale", "fisso")
    list_display_links = ("__str__",)
    autocomplete_fields = ("titolare",)
    search_fields = ("titolare__denominazione", "titolare__cognome", "titolare__codice_fiscale")


@admin.register(Addebito)
class AddebitoAdmin(ReadOnlyAdmin):
    """The ledger is written by the intents: read only here."""

    list_display = ("addebitato_il", "titolare", "indirizzo", "operazione", "prezzo", "movimento")
    list_filter = ("operazione", "fonte")
    date_hierarchy = "addebitato_il"
    search_fields = ("indirizzo", "titolare__denominazione", "titolare__codice_fiscale")
    list_select_related = ("titolare", "movimento")


@admin.register(MovimentoConto)
class MovimentoContoAdmin(ReadOnlyAdmin):
    list_display = ("at", "importo", "descrizione", "remote_id")
    date_hierarchy = "at"
    search_fields = ("remote_id", "descrizione")


@admin.register(LetturaConto)
class LetturaContoAdmin(ReadOnlyAdmin):
    list_display = ("dal", "al", "movimenti")
