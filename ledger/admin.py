from django.contrib import admin

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
class AddebitoAdmin(admin.ModelAdmin):
    """The ledger is written by the intents: read only here."""

    list_display = ("addebitato_il", "titolare", "indirizzo", "operazione", "prezzo", "movimento")
    list_filter = ("operazione", "fonte")
    date_hierarchy = "addebitato_il"
    search_fields = ("indirizzo", "titolare__denominazione", "titolare__codice_fiscale")
    list_select_related = ("titolare", "movimento")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MovimentoConto)
class MovimentoContoAdmin(admin.ModelAdmin):
    list_display = ("at", "importo", "descrizione", "remote_id")
    date_hierarchy = "at"
    search_fields = ("remote_id", "descrizione")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LetturaConto)
class LetturaContoAdmin(admin.ModelAdmin):
    list_display = ("dal", "al", "movimenti")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
