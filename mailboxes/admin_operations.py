"""The operations on active boxes as Django admin actions on the boxes' changelist, one per
registered operation (mailboxes/operations/registry.py).

Each action shows an intermediate page (the boxes, whether each can take the operation and
why not, the cost, the parameters; for a revocation the address typed for each box), then runs
the same services as the portal's pages: one intent per box, keyed by a UUID of the page, so a
double submit is the same intents.
"""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from portal.admin_base import ReadOnlyAdmin
from portal.remote_calls import repeat_message

from .models import PromemoriaScadenza
from .operations.intents import recorded
from .operations.registry import OperationSpec, in_order
from .operations.rules import check

TEMPLATE = "mailboxes/operations/admin_confirm.html"


def _key(batch: str, casella) -> str:
    """The intent key of one box of an admin action's page."""
    return f"admin:{batch}:{casella.pk}"


def _apply(modeladmin, request, spec: OperationSpec, caselle, form, uploads) -> None:
    """Record one intent per box and tell what started, what was already asked, what not."""
    started, repeated, refused = 0, [], []
    batch = str(form.cleaned_data["batch"])
    for casella in caselle:
        values = form.values_for(casella)
        if uploads is not None:
            values.update(uploads.cleaned_data)
        try:
            call = spec.start(casella, values, intent_key=_key(batch, casella), user=request.user)
        except ValidationError as exc:
            # Refused because a concurrent submit of this page recorded the intent?
            call = recorded(casella, spec.kind, _key(batch, casella))
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
            _("Operazione «%(op)s» avviata per %(n)d caselle.") % {"op": spec.label, "n": started},
            messages.SUCCESS,
        )
    for casella, call in repeated:
        level, text, _tags = repeat_message(call, spec.label)
        modeladmin.message_user(request, f"{casella.casella_pec}: {text}", level)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


def _action(spec: OperationSpec):
    def action(modeladmin, request, queryset):
        caselle = list(queryset.select_related("titolare").order_by("casella_pec"))
        applying = "apply" in request.POST
        if applying:
            form = spec.admin_form(request.POST, caselle=caselle)
        else:
            form = spec.admin_form(initial={"batch": uuid.uuid4()}, caselle=caselle)
        uploads = None
        if spec.uploads is not None:
            if len(caselle) != 1:
                modeladmin.message_user(request, spec.admin_single_box, messages.ERROR)
                return None
            uploads = spec.uploads(
                request.POST if applying else None, request.FILES if applying else None
            )
        if applying and form.is_valid() and (uploads is None or uploads.is_valid()):
            _apply(modeladmin, request, spec, caselle, form, uploads)
            return None
        data = form.preview_values()
        rows = []
        for casella in caselle:
            verdict = check(casella, spec.kind)
            rows.append(
                {
                    "casella": casella,
                    "ok": verdict.ok,
                    "reason": verdict.reason,
                    "price": spec.price(casella, data) if verdict.ok else None,
                    "box_field": form.box_field(casella),
                }
            )
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": spec.label,
            "kind": spec.kind,
            "spec": spec,
            "action": spec.admin_action,
            "form": form,
            "documents": uploads,
            "rows": rows,
            "per_box": any(row["box_field"] is not None for row in rows),
            "box_fields": {row["box_field"].name for row in rows if row["box_field"] is not None},
            "queryset": queryset,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": modeladmin.media,
        }
        return TemplateResponse(request, TEMPLATE, context)

    action.__name__ = spec.admin_action
    return admin.action(description=spec.admin_description)(action)


def actions() -> tuple:
    """The admin action of each registered operation, in the box page's order."""
    return tuple(_action(spec) for spec in in_order())


@admin.register(PromemoriaScadenza)
class PromemoriaScadenzaAdmin(ReadOnlyAdmin):
    list_display = ("casella", "soglia", "data_scadenza", "sent_at", "destinatari")
    list_filter = ("soglia",)
    search_fields = ("casella__casella_pec",)
    list_select_related = ("casella",)
    readonly_fields = ("casella", "soglia", "data_scadenza", "sent_at", "destinatari")
