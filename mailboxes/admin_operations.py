"""The operations on active boxes as Django admin actions on the boxes' changelist.

Each action shows an intermediate page (the boxes, whether each can take the operation and
why not, the cost, the parameters; for a revocation the address typed for each box), then runs
the same services as the portal's pages: one intent per box, keyed by a UUID of the page, so a
double submit is the same intents.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.remote_calls import repeat_message

from . import operations
from .forms_operations import ConservazioneDocumentiForm
from .models import CallKind, PromemoriaScadenza, TipoCasellaChoices

TEMPLATE = "mailboxes/operations/admin_confirm.html"


class _Batch(forms.Form):
    batch = forms.UUIDField(widget=forms.HiddenInput)


class RinnovoAdminForm(_Batch):
    anni = forms.TypedChoiceField(label=gettext_lazy("Anni"), coerce=int, initial=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anni"].choices = [
            (n, ngettext("%(n)d anno", "%(n)d anni", n) % {"n": n})
            for n in range(1, operations.MAX_YEARS + 1)
        ]


class ModificaAdminForm(_Batch):
    disco_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio casella da aggiungere (MB)"), coerce=int, initial=0
    )
    storico_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio archivio da aggiungere (MB)"), coerce=int, initial=0
    )
    conservazione_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio di conservazione da aggiungere (MB)"), coerce=int, initial=0
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        gb = [(n * 1024, f"+{n * 1024}") for n in range(0, 11)]
        self.fields["disco_add"].choices = gb
        self.fields["storico_add"].choices = gb
        self.fields["conservazione_add"].choices = [(n * 512, f"+{n * 512}") for n in range(0, 11)]


class TrasformazioneAdminForm(_Batch):
    tipo = forms.ChoiceField(
        label=gettext_lazy("Nuovo tipo"),
        choices=[(t, TipoCasellaChoices(t).label) for t in ("BRONZE", "SILVER", "GOLD")],
    )


class MultiutenzaAdminForm(_Batch):
    nome = forms.CharField(label=gettext_lazy("Nome"), max_length=100)
    cognome = forms.CharField(label=gettext_lazy("Cognome"), max_length=100)
    descrizione = forms.CharField(label=gettext_lazy("Descrizione"), max_length=200)
    email_gestione_password = forms.EmailField(label=gettext_lazy("E-mail per la password"))


class ConservazioneAdminForm(_Batch):
    spazio = forms.TypedChoiceField(label=gettext_lazy("Spazio (MB)"), coerce=int, initial=512)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spazio"].choices = [(n * 512, str(n * 512)) for n in range(1, 11)]


class RevocaAdminForm(_Batch):
    def __init__(self, *args, caselle=(), **kwargs):
        super().__init__(*args, **kwargs)
        for c in caselle:
            self.fields[f"conferma_{c.pk}"] = forms.CharField(
                label=_("Scrivi %(address)s") % {"address": c.casella_pec},
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )


def _price(kind, casella, data) -> object:
    if kind == CallKind.RINNOVO:
        return operations.renewal_price(casella.tipo_casella, data.get("anni") or 1)
    if kind == CallKind.MODIFICA:
        return operations.modifica_price(
            disco_mb=data.get("disco_add") or 0,
            storico_mb=data.get("storico_add") or 0,
            conservazione_mb=data.get("conservazione_add") or 0,
        )
    if kind == CallKind.TRASFORMAZIONE:
        tipo = data.get("tipo")
        if tipo and operations.prices.is_upgrade(casella.tipo_casella, tipo):
            return operations.trasformazione_price(casella.tipo_casella, tipo)
        return None
    if kind == CallKind.MULTIUTENZA:
        return operations.multiutenza_price()
    if kind == CallKind.CONSERVAZIONE:
        return operations.conservazione_price(data.get("spazio") or 512)
    return None


def _key(batch: str, casella) -> str:
    """The intent key of one box of an admin action's page."""
    return f"admin:{batch}:{casella.pk}"


def _run(kind, casella, data, key, user, files=None):
    if kind == CallKind.RINNOVO:
        return operations.renew(casella=casella, anni=data["anni"], intent_key=key, user=user)
    if kind == CallKind.REVOCA:
        return operations.revoke(
            casella=casella,
            conferma=data.get(f"conferma_{casella.pk}", ""),
            intent_key=key,
            user=user,
        )
    if kind == CallKind.MODIFICA:
        return operations.enlarge(
            casella=casella,
            disco_add=data["disco_add"],
            storico_add=data["storico_add"],
            conservazione_add=data["conservazione_add"],
            intent_key=key,
            user=user,
        )
    if kind == CallKind.TRASFORMAZIONE:
        return operations.upgrade(casella=casella, tipo=data["tipo"], intent_key=key, user=user)
    if kind == CallKind.MULTIUTENZA:
        return operations.add_user(
            casella=casella,
            nome=data["nome"],
            cognome=data["cognome"],
            descrizione=data["descrizione"],
            email_gestione_password=data["email_gestione_password"],
            intent_key=key,
            user=user,
        )
    if kind == CallKind.CONSERVAZIONE:
        return operations.enable_preservation(
            casella=casella,
            modulo=files["modulo"],
            identita=files["identita"],
            spazio=data["spazio"],
            intent_key=key,
            user=user,
        )
    raise ValueError(kind)


FORMS = {
    CallKind.RINNOVO: RinnovoAdminForm,
    CallKind.REVOCA: RevocaAdminForm,
    CallKind.MODIFICA: ModificaAdminForm,
    CallKind.TRASFORMAZIONE: TrasformazioneAdminForm,
    CallKind.MULTIUTENZA: MultiutenzaAdminForm,
    CallKind.CONSERVAZIONE: ConservazioneAdminForm,
}


def _action(kind: str, name: str):
    def action(modeladmin, request, queryset):
        caselle = list(queryset.select_related("titolare").order_by("casella_pec"))
        form_class = FORMS[kind]
        extra = {"caselle": caselle} if kind == CallKind.REVOCA else {}
        applying = "apply" in request.POST
        form = form_class(request.POST if applying else None, **extra)
        if not applying:
            form = form_class(initial={"batch": uuid.uuid4()}, **extra)
        documents = None
        if kind == CallKind.CONSERVAZIONE:
            if len(caselle) != 1:
                modeladmin.message_user(
                    request,
                    _("La conservazione si attiva una casella alla volta: selezionane una."),
                    messages.ERROR,
                )
                return None
            documents = ConservazioneDocumentiForm(
                request.POST if applying else None, request.FILES if applying else None
            )
        if applying and form.is_valid() and (documents is None or documents.is_valid()):
            started, repeated, refused = 0, [], []
            batch = str(form.cleaned_data["batch"])
            for casella in caselle:
                try:
                    call = _run(
                        kind,
                        casella,
                        form.cleaned_data,
                        _key(batch, casella),
                        request.user,
                        files=documents.cleaned_data if documents else None,
                    )
                except ValidationError as exc:
                    # Refused because a concurrent submit of this page recorded the intent?
                    call = operations.recorded(casella, kind, _key(batch, casella))
                    if call is None:
                        refused.append(f"{casella.casella_pec}: {' '.join(exc.messages)}")
                        continue
                if call.repeated:
                    repeated.append((casella, call))
                else:
                    started += 1
            if started:
                modeladmin.message_user(
                    request,
                    _("Operazione «%(op)s» avviata per %(n)d caselle.")
                    % {"op": operations.LABELS[kind], "n": started},
                    messages.SUCCESS,
                )
            for casella, call in repeated:
                level, text = repeat_message(call, operations.LABELS[kind])
                modeladmin.message_user(request, f"{casella.casella_pec}: {text}", level)
            for line in refused:
                modeladmin.message_user(request, line, messages.ERROR)
            return None
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        if not data:
            data = {k: form[k].value() for k in form.fields}
            for k in ("anni", "disco_add", "storico_add", "conservazione_add", "spazio"):
                try:
                    data[k] = int(data.get(k) or 0)
                except (TypeError, ValueError):
                    data[k] = 0
        rows = []
        for casella in caselle:
            verdict = operations.check(casella, kind)
            rows.append(
                {
                    "casella": casella,
                    "ok": verdict.ok,
                    "reason": verdict.reason,
                    "price": _price(kind, casella, data) if verdict.ok else None,
                    "confirm_field": form[f"conferma_{casella.pk}"]
                    if kind == CallKind.REVOCA
                    else None,
                }
            )
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": operations.LABELS[kind],
            "kind": kind,
            "action": name,
            "form": form,
            "documents": documents,
            "rows": rows,
            "queryset": queryset,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": modeladmin.media,
        }
        return TemplateResponse(request, TEMPLATE, context)

    action.__name__ = name
    return action


rinnova = admin.action(description=gettext_lazy("Rinnova le caselle selezionate…"))(
    _action(CallKind.RINNOVO, "op_rinnova")
)
revoca = admin.action(description=gettext_lazy("Revoca le caselle selezionate…"))(
    _action(CallKind.REVOCA, "op_revoca")
)
modifica = admin.action(description=gettext_lazy("Aumenta lo spazio…"))(
    _action(CallKind.MODIFICA, "op_modifica")
)
trasformazione = admin.action(description=gettext_lazy("Cambia tipo (solo verso l'alto)…"))(
    _action(CallKind.TRASFORMAZIONE, "op_trasformazione")
)
multiutenza = admin.action(description=gettext_lazy("Aggiungi un utente…"))(
    _action(CallKind.MULTIUTENZA, "op_multiutenza")
)
conservazione = admin.action(description=gettext_lazy("Attiva la conservazione a norma…"))(
    _action(CallKind.CONSERVAZIONE, "op_conservazione")
)

ACTIONS = (rinnova, revoca, modifica, trasformazione, multiutenza, conservazione)


@admin.register(PromemoriaScadenza)
class PromemoriaScadenzaAdmin(admin.ModelAdmin):
    list_display = ("casella", "soglia", "data_scadenza", "sent_at", "destinatari")
    list_filter = ("soglia",)
    search_fields = ("casella__casella_pec",)
    list_select_related = ("casella",)
    readonly_fields = ("casella", "soglia", "data_scadenza", "sent_at", "destinatari")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
