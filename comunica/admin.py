from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils.translation import gettext_lazy as _

from openapi_pec import errors
from portal.admin_base import ReadOnlyInline, RemoteCallAdmin, RemoteCallInline, refresh_action
from portal.mirror import SYNC_FIELDS

from .models import ComunicaCall, Evento, ProcuraFirmata, RichiestaComunicazione
from .services.polling import refresh_richiesta
from .services.sync import sync_account

REMOTE_FIELDS = (
    "remote_id",
    "stato",
    "codice_registro_imprese",
    "documenti_registro_imprese",
    "remote_timestamp",
    "owner",
    *SYNC_FIELDS,
    "evasa_at",
    "importata",
    "created_by",
    "created_at",
    "updated_at",
)


class EventoInline(ReadOnlyInline):
    model = Evento
    fields = ("at", "tipo", "stato", "testo", "user")


class ProcuraInline(ReadOnlyInline):
    model = ProcuraFirmata
    fields = (
        "uploaded_at",
        "firmatario",
        "firmatario_cf",
        "valido_al",
        "firma_verificata",
        "cf_diverso",
        "certificato_scaduto",
        "conferma_forzata",
        "inviata_at",
    )


class CallInline(RemoteCallInline):
    model = ComunicaCall


@admin.register(RichiestaComunicazione)
class RichiestaAdmin(admin.ModelAdmin):
    list_display = (
        "casella_pec",
        "ragione_sociale",
        "cf_piva",
        "pec_amministratore",
        "stato",
        "codice_registro_imprese",
        "last_synced_at",
        "created_at",
    )
    list_filter = ("stato", "pec_amministratore", "qualifica", "importata", "provincia")
    search_fields = (
        "casella_pec",
        "pec_impresa",
        "ragione_sociale",
        "cf_piva",
        "cf",
        "nome",
        "cognome",
        "remote_id",
        "codice_registro_imprese",
    )
    readonly_fields = REMOTE_FIELDS
    raw_id_fields = ("titolare", "casella")
    date_hierarchy = "created_at"
    inlines = [ProcuraInline, CallInline, EventoInline]
    actions = ["refresh_selected", "sync_account"]
    fieldsets = (
        (_("PEC"), {"fields": ("casella_pec", "pec_amministratore", "pec_impresa")}),
        (_("Impresa"), {"fields": ("ragione_sociale", "cf_piva", "comune", "provincia")}),
        (
            _("Richiedente"),
            {"fields": ("nome", "cognome", "cf", "qualifica", "email", "cellulare")},
        ),
        (_("Collegamenti"), {"fields": ("titolare", "casella")}),
        (_("Openapi (sola lettura)"), {"fields": REMOTE_FIELDS}),
    )

    def has_add_permission(self, request):
        return False  # new requests go through the portal (cost confirmation, at most once)

    def changelist_view(self, request, extra_context=None):
        # "sync the account" needs no selection (it may even be the way the first rows arrive)
        if (
            request.method == "POST"
            and request.POST.get("action") == "sync_account"
            and not request.POST.getlist(ACTION_CHECKBOX_NAME)
        ):
            post = request.POST.copy()
            post.setlist(ACTION_CHECKBOX_NAME, ["0"])
            request.POST = post
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.remote_id:
            # once Openapi has it, local edits would only make the two disagree
            return [f.name for f in self.model._meta.fields if f.name != "id"] + [
                "titolare",
                "casella",
            ]
        return self.readonly_fields

    refresh_selected = refresh_action(
        refresh_richiesta, _("Aggiorna da Openapi le richieste selezionate")
    )

    @admin.action(description=_("Sincronizza tutto l'account da Openapi (GET /comunica_pec)"))
    def sync_account(self, request, queryset):
        try:
            result = sync_account()
        except errors.OpenapiError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            _("Importate: %(i)d, aggiornate: %(u)d, invariate: %(n)d.")
            % {"i": result.imported, "u": result.updated, "n": result.unchanged},
        )


@admin.register(ComunicaCall)
class ComunicaCallAdmin(RemoteCallAdmin):
    list_display = ("pk", "kind", "richiesta", "state", "attempts", "price", "created_at")
    search_fields = ("richiesta__casella_pec", "intent_key")

    def has_change_permission(self, request, obj=None):
        return False
