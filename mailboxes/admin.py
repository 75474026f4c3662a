from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.admin_base import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    RemoteCallAdmin,
    RemoteCallInline,
    refresh_action,
)
from portal.mirror import SYNC_FIELDS

from . import admin_operations, tasks
from .forms import TitolareForm
from .models import Casella, CasellaCall, Documento, Evento, Richiedente, Titolare
from .services.sync import refresh_casella

#: Fields that mirror Openapi: read-only in admin (Openapi is the source of truth).
REMOTE_FIELDS = (
    "remote_id",
    "stato",
    "data_scadenza",
    "data_attivazione",
    "spazio_disco",
    "spazio_storico",
    "spazio_conservazione",
    "conservazione",
    "ts_registrazione",
    "ts_ultima_modifica",
    "ts_evasione",
    "ts_scadenza",
    "ts_revoca",
    "evasa_at",
    *SYNC_FIELDS,
    "importata",
    "created_at",
    "updated_at",
)


@admin.register(Titolare)
class TitolareAdmin(admin.ModelAdmin):
    form = TitolareForm  # the same checks as the portal's form (CF, subtype pairs, CAP...)
    list_display = ("display_name", "tipo_cliente", "codice_fiscale", "comune", "provincia")
    list_filter = ("tipo_cliente", "provincia", "commercialisti")
    search_fields = ("denominazione", "cognome", "nome", "codice_fiscale", "partita_iva")
    filter_horizontal = ("commercialisti",)
    readonly_fields = ("created_at", "updated_at")


class EventoInline(ReadOnlyInline):
    model = Evento
    fields = ("at", "tipo", "da_stato", "a_stato", "testo", "user")
    ordering = ("-at",)


class DocumentoInline(ReadOnlyInline):
    model = Documento
    fields = (
        "tipo",
        "nome_originale",
        "pagine",
        "dimensione",
        "uploaded_at",
        "sent_at",
        "deleted_at",
    )


class CallInline(RemoteCallInline):
    model = CasellaCall


@admin.register(Casella)
class CasellaAdmin(admin.ModelAdmin):
    list_display = (
        "casella_pec",
        "titolare",
        "tipo_casella",
        "stato",
        "data_scadenza",
        "importata",
        "last_synced_at",
    )
    list_filter = ("stato", "tipo_casella", "importata", "autorinnovo")
    search_fields = (
        "casella_pec",
        "remote_id",
        "titolare__denominazione",
        "titolare__cognome",
        "titolare__codice_fiscale",
    )
    list_select_related = ("titolare",)
    date_hierarchy = "created_at"
    readonly_fields = (*REMOTE_FIELDS, "casella_pec", "tipo_casella", "registered_by")
    fields = (
        "titolare",
        "casella_pec",
        "tipo_casella",
        "autorinnovo",
        "registered_by",
        *REMOTE_FIELDS,
    )
    inlines = (DocumentoInline, CallInline, EventoInline)

    @property
    def actions(self):
        # The operations' actions come from their registry, read when the page is built.
        return ("refresh_status", "sync_now", *admin_operations.actions())

    def has_add_permission(self, request):
        return False  # boxes are registered through the portal (POST /pec) or imported

    refresh_status = refresh_action(refresh_casella, _("Aggiorna lo stato da Openapi"))

    @admin.action(description=_("Sincronizza ora con Openapi (GET /pec)"))
    def sync_now(self, request, queryset):
        tasks.sync_account.delay()
        self.message_user(request, _("Sincronizzazione avviata."), messages.SUCCESS)


@admin.register(Documento)
class DocumentoAdmin(admin.ModelAdmin):
    list_display = (
        "casella",
        "tipo",
        "pagine",
        "dimensione",
        "uploaded_at",
        "sent_at",
        "deleted_at",
    )
    list_filter = ("tipo", "deleted_at")
    search_fields = ("casella__casella_pec",)
    list_select_related = ("casella",)
    exclude = ("file",)  # never a link to the file from admin: the portal view checks access
    readonly_fields = (
        "casella",
        "tipo",
        "nome_originale",
        "dimensione",
        "pagine",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "sent_at",
        "deleted_at",
        "deleted_reason",
    )

    def has_add_permission(self, request):
        return False


@admin.register(Evento)
class EventoAdmin(ReadOnlyAdmin):
    list_display = ("at", "casella", "tipo", "da_stato", "a_stato", "testo", "user")
    list_filter = ("tipo", "a_stato")
    search_fields = ("casella__casella_pec", "messaggio")
    list_select_related = ("casella", "user")
    date_hierarchy = "at"
    readonly_fields = ("casella", "at", "tipo", "da_stato", "a_stato", "testo", "dati", "user")
    fields = readonly_fields  # the line's text, not its stored msgid and parameters


@admin.register(CasellaCall)
class CasellaCallAdmin(RemoteCallAdmin):
    list_display = (
        "pk",
        "casella",
        "kind",
        "state",
        "attempts",
        "price",
        "created_at",
        "finished_at",
    )
    search_fields = ("casella__casella_pec", "intent_key")
    list_select_related = ("casella",)


@admin.register(Richiedente)
class RichiedenteAdmin(admin.ModelAdmin):
    list_display = ("casella", "cognome", "nome")
    search_fields = ("casella__casella_pec", "cognome")
    readonly_fields = ("casella",)
