"""The directors' PEC campaign: choose the companies, fill in what a box registration needs
for the directors who have no PEC yet, see the total, confirm once; then its progress."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.roles import office_required
from comunica.models import ComunicaCall
from comunica.services import creation
from mailboxes.models import CasellaCall, TipoCasellaChoices
from portal.remote_calls import CallState

from . import selectors
from .forms import DirectorBoxForm, director_initial
from .models import Campaign
from .services import director_boxes, filing
from .views import _enabled_only


def _tipo(request) -> str:
    tipo = request.POST.get("tipo_casella", "")
    return tipo if tipo in TipoCasellaChoices.values else director_boxes.DEFAULT_TIPO


def _key(request) -> str | None:
    try:
        return str(uuid.UUID(request.POST.get("key", "")))
    except ValueError:
        return None


@office_required
@_enabled_only
def campaign_new(request):
    """Many directors' PECs at once: those with a box are filed now; those without get one
    registered first (the office fills in what the Registro Imprese does not give)."""
    holders = selectors.company_holders_for(request.user)
    filings = filing.candidates(holders)
    new_boxes = director_boxes.candidates(holders)
    tipo = _tipo(request)
    chosen = {int(p) for p in request.POST.getlist("imprese") if p.isdigit()}
    selected = [f for f in filings if f.ok and f.titolare.pk in chosen]
    to_register = [b for b in new_boxes if b.titolare.pk in chosen]
    confirming = request.method == "POST" and "conferma" in request.POST
    if confirming:
        key = _key(request)
        if key is None:
            return redirect("compliance:campaign_new")
        if done := Campaign.objects.filter(key=key).first():  # a double submit
            return redirect("compliance:campaign", pk=done.pk)
    if request.method == "POST" and (selected or to_register):
        forms = [
            DirectorBoxForm(
                request.POST if confirming else None,
                prefix=f"d{b.titolare.pk}",
                initial=director_initial(b.director, tipo),
                tipo_casella=tipo,
            )
            for b in to_register
        ]
        valid = [f.is_valid() for f in forms] if confirming else [False]
        if confirming and all(valid):
            for new, form in zip(to_register, forms, strict=True):
                new.requester = form.requester()
                new.details = form.holder_details()
                new.casella_pec = form.cleaned_data["casella_pec"]
            campaign = filing.start_campaign(
                titolari=[f.titolare for f in selected],
                user=request.user,
                key=key,
                boxes=to_register,
                tipo_casella=tipo,
            )
            return redirect("compliance:campaign", pk=campaign.pk)
        count = len(selected) + len(to_register)
        return render(
            request,
            "compliance/campaign_confirm.html",
            {
                "selected": selected,
                "directors": list(zip(to_register, forms, strict=True)),
                "tipo": tipo,
                "tipo_label": TipoCasellaChoices.label_of(tipo),
                "price": creation.price(),
                "box_price": director_boxes.box_price(tipo),
                "count": count,
                "total": filing.total_cost(count, len(to_register), tipo),
                "key": request.POST.get("key") if confirming else uuid.uuid4(),
            },
            status=400 if confirming else 200,
        )
    if request.method == "POST":
        messages.error(request, _("Scegliere almeno un'impresa."))
    return render(
        request,
        "compliance/campaign_new.html",
        {
            "filings": filings,
            "new_boxes": new_boxes,
            "price": creation.price(),
            "tipi": [
                (code, label, director_boxes.box_price(code))
                for code, label in TipoCasellaChoices.choices
            ],
            "tipo": tipo,
        },
    )


def _charged(campaign: Campaign):
    """What the campaign's done intents cost (boxes registered and requests filed)."""
    prefix = f"compliance:{campaign.key}:"
    done = Q(state=CallState.DONE)
    boxes = CasellaCall.objects.filter(done, intent_key__startswith=prefix)
    filings = ComunicaCall.objects.filter(done, intent_key__startswith=f"comunica:create:{prefix}")
    # summed here, not by the database: SQLite's SUM of decimals comes back as a float
    prices = [*boxes.values_list("price", flat=True), *filings.values_list("price", flat=True)]
    return sum((p for p in prices if p), Decimal("0.00"))


@office_required
@require_GET
def campaign(request, pk):
    """A campaign's progress: per company, the director's box being registered and activated
    (when the campaign registers it), then the comunica request and its status."""
    campaign = get_object_or_404(Campaign, pk=pk)
    visible = selectors.company_holders_for(request.user).values("pk")
    items = list(
        campaign.items.filter(titolare__in=visible).select_related(
            "titolare", "richiesta", "casella"
        )
    )
    sent = [i for i in items if i.richiesta_id]
    done = [i for i in sent if i.richiesta.is_done]
    waiting = [i for i in items if not i.richiesta_id and i.casella_id and not i.problem]
    template = "compliance/_campaign_items.html" if request.htmx else "compliance/campaign.html"
    return render(
        request,
        template,
        {
            "campaign": campaign,
            "items": items,
            "sent": len(sent),
            "done": len(done),
            "boxes": sum(1 for i in items if i.casella_id),
            "total": _charged(campaign),
            "moving": bool(waiting) or any(i.richiesta.is_moving for i in sent),
        },
    )
