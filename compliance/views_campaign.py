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
from comunica.models import ComunicaCall, ComunicaCallKind
from comunica.services import creation
from mailboxes.models import CallKind, CasellaCall, TipoCasellaChoices
from portal.params import object_id
from portal.remote_calls import CallState

from . import selectors
from .forms import CampaignChoiceForm, DirectorBoxForm, director_initial
from .models import Campaign
from .services import director_boxes, filing
from .views import _enabled_only


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
    choice = CampaignChoiceForm(
        request.POST if request.method == "POST" else None,
        initial={"tipo_casella": director_boxes.DEFAULT_TIPO},
    )
    chosen = {pk for pk in map(object_id, request.POST.getlist("imprese")) if pk}
    selected = [f for f in filings if f.ok and f.titolare.pk in chosen]
    to_register = [b for b in new_boxes if b.titolare.pk in chosen]
    confirming = request.method == "POST" and "conferma" in request.POST
    if confirming:
        key = _key(request)
        if key is None:
            messages.error(request, _("Conferma non valida: scegliere di nuovo le imprese."))
            return redirect("compliance:campaign_new")
        if done := Campaign.objects.filter(key=key).first():  # a double submit
            return redirect("compliance:campaign", pk=done.pk)
        mine = holders.filter(pk__in=chosen)
        if same := filing.campaign_of(mine):  # the same confirmation from another tab
            return redirect("compliance:campaign", pk=same.pk)
    if request.method == "POST" and to_register and not choice.is_valid():
        return _choose(request, filings, new_boxes, choice, status=400)
    tipo = choice.cleaned_data["tipo_casella"] if to_register else director_boxes.DEFAULT_TIPO
    autorinnovo = bool(to_register) and choice.cleaned_data["autorinnovo"]
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
        offered = {f.titolare.pk for f in selected} | {b.titolare.pk for b in to_register}
        if confirming and chosen - offered:
            # taken by another campaign (or solved) since the summary was shown: the total
            # confirmed would not be the one charged
            messages.error(
                request,
                _(
                    "Alcune imprese non sono più da comunicare (già in un'altra campagna): "
                    "riepilogo e costo sono aggiornati, confermare di nuovo."
                ),
            )
        elif confirming and all(valid) and _distinct_addresses(to_register, forms):
            for new, form in zip(to_register, forms, strict=True):
                new.requester = form.requester()
                new.details = form.holder_details()
                new.casella_pec = form.cleaned_data["casella_pec"]
            try:
                campaign = filing.start_campaign(
                    titolari=[f.titolare for f in selected],
                    user=request.user,
                    key=key,
                    boxes=to_register,
                    tipo_casella=tipo,
                    autorinnovo=autorinnovo,
                )
            except director_boxes.Refused as refused:
                form = forms[[b.titolare.pk for b in to_register].index(refused.titolare_pk)]
                form.add_error(None, refused.messages)
            else:
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
                "autorinnovo": autorinnovo,
                "price": creation.price(),
                "box_price": director_boxes.box_price(tipo),
                "yearly_price": director_boxes.yearly_price(tipo),
                "count": count,
                "boxes": len(to_register),
                "total": filing.total_cost(count, len(to_register), tipo),
                "key": request.POST.get("key") if confirming else uuid.uuid4(),
            },
            status=400 if confirming else 200,
        )
    if request.method == "POST":
        messages.error(request, _("Scegliere almeno un'impresa."))
    return _choose(request, filings, new_boxes, choice)


def _distinct_addresses(to_register, forms) -> bool:
    """Two directors (different people) given the same new address: the later one is told,
    before anything is recorded."""
    seen: dict[str, str] = {}
    ok = True
    for new, form in zip(to_register, forms, strict=True):
        address = form.cleaned_data["casella_pec"]
        cf = new.director["codice_fiscale"].upper()
        if seen.setdefault(address, cf) != cf:
            form.add_error(
                "casella_pec", _("Questo indirizzo è già indicato per un altro amministratore.")
            )
            ok = False
    return ok


def _choose(request, filings, new_boxes, choice, status=200):
    """The first step: the companies, and the type and renewal of the directors' boxes."""
    return render(
        request,
        "compliance/campaign_new.html",
        {
            "filings": filings,
            "new_boxes": new_boxes,
            "price": creation.price(),
            "choice": choice,
        },
        status=status,
    )


def _charged(campaign: Campaign):
    """What the campaign's requests cost so far: the done registrations of the boxes it
    registered and the done POSTs of the requests it filed, a refused one retried from its
    page included (its retry is another intent on the same box or request)."""
    prefix = f"compliance:{campaign.key}:"
    done = Q(state=CallState.DONE)
    own_boxes = CasellaCall.objects.filter(intent_key__startswith=prefix).values("casella")
    own_requests = ComunicaCall.objects.filter(
        intent_key__startswith=f"comunica:create:{prefix}"
    ).values("richiesta")
    boxes = CasellaCall.objects.filter(done, casella__in=own_boxes, kind=CallKind.REGISTRAZIONE)
    filings = ComunicaCall.objects.filter(
        done, richiesta__in=own_requests, kind=ComunicaCallKind.CREATE
    )
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
            "tipo_label": TipoCasellaChoices.label_of(campaign.tipo_casella),
            "yearly_price": director_boxes.yearly_price(campaign.tipo_casella)
            if campaign.tipo_casella
            else None,
            "moving": bool(waiting) or any(i.richiesta.is_moving for i in sent),
        },
    )
