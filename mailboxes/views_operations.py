"""Pages of the operations on active boxes and of the expiry page (office staff only).

One view serves every operation, driven by its spec (mailboxes/operations/registry.py). A paid
operation is two steps: the form (every choice with its price), then a confirmation page stating
the cost with a hidden UUID intent key (a double submit is one intent); files the operation
needs are uploaded on the confirmation page. An irreversible one (revoking) is one page where
the user types the address. An operation the box cannot take is refused with the reason,
whatever the request says, and nothing changes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import office_required
from portal.forms import IntentForm
from portal.remote_calls import PENDING, repeat_message

from . import expiry, hooks, selectors
from .forms_operations import RinnovoMultiploForm
from .models import Casella, CasellaCall
from .operations import rinnovo
from .operations.intents import recorded
from .operations.pricing import euro, is_assumed
from .operations.registry import OPERATIONS, OperationSpec
from .operations.rules import check, label_of
from .views import box_form_pdf


def _casella(request, pk) -> Casella:
    return get_object_or_404(selectors.caselle_for(request.user), pk=pk)


def _refused(request, casella, spec: OperationSpec, reason):
    return render(
        request,
        "mailboxes/operations/refused.html",
        {"casella": casella, "title": spec.label, "reason": reason},
        status=409,
    )


def _done(request, casella, call: CasellaCall):
    """The outcome page of an intent (the box's page, with the operation's live status), the
    same for the submit that recorded it and for any repeat of it."""
    if call.repeated:
        messages.add_message(request, *repeat_message(call, label_of(call.kind)))
    else:
        messages.info(
            request,
            _("Operazione «%(op)s» richiesta: la inviamo a Openapi, l'esito compare qui.")
            % {"op": label_of(call.kind)},
            PENDING,
        )
    return redirect("mailboxes:casella_detail", pk=casella.pk)


def _unless_recorded(request, casella, kind, key, refusal):
    """A confirmation refused (the box busy, a choice no longer valid...) because a concurrent
    submit of the same confirmation recorded the intent meanwhile gets that intent's outcome;
    any other refusal stands."""
    same = recorded(casella, kind, key) if key else None
    return _done(request, casella, same) if same else refusal


def _invalid(request, casella, spec: OperationSpec, key, template: str, context):
    """The page again with its errors (400), unless a concurrent submit recorded the intent."""
    return _unless_recorded(
        request, casella, spec.kind, key, render(request, template, context, status=400)
    )


@office_required
@require_http_methods(["GET", "POST"])
def operation(request, pk, kind):
    """The page of operation ``kind`` (from the URL pattern its spec generated)."""
    spec = OPERATIONS.get(kind)
    if spec is None:
        raise Http404
    casella = _casella(request, pk)
    flow = _typed if spec.irreversible else _two_step
    return flow(request, casella, spec)


def _context(casella, spec: OperationSpec) -> dict:
    return {
        "casella": casella,
        "kind": spec.kind,
        "spec": spec,
        "title": spec.title,
        "intro": spec.intro(casella) if spec.intro else "",
        "warnings": hooks.operation_warnings(casella, spec.kind),
    }


def _answered(request, casella, spec: OperationSpec, key: str):
    """The answer before any form: for a repeated submit, the intent it recorded then; for a box
    that cannot take the operation now, the refusal. None: go on."""
    if key and (same := recorded(casella, spec.kind, key)):
        return _done(request, casella, same)
    verdict = check(casella, spec.kind)
    if not verdict:
        return _unless_recorded(
            request, casella, spec.kind, key, _refused(request, casella, spec, verdict.reason)
        )
    return None


def _two_step(request, casella, spec: OperationSpec):
    """Form -> confirmation (cost, uploads if any, hidden intent key) -> intent."""
    kind = spec.kind
    step = request.POST.get("step", "") if request.method == "POST" else ""
    intent = IntentForm(request.POST or None)
    key = ""
    if step == "conferma" and intent.is_valid():
        key = intent.cleaned_data["intent_key"]
    if answer := _answered(request, casella, spec, key):
        return answer
    context = _context(casella, spec)
    if request.method != "POST" or step == "modifica":
        form = spec.form(casella=casella)
        if step == "modifica":  # back from the confirmation, with the user's values
            form = spec.form(initial={k: request.POST.get(k) for k in form.fields}, casella=casella)
        return render(request, spec.form_template, {**context, "form": form})
    form = spec.form(request.POST, casella=casella)
    if not form.is_valid():
        return _invalid(request, casella, spec, key, spec.form_template, {**context, "form": form})
    values = dict(form.cleaned_data)
    price = spec.price(casella, values)
    uploads = None
    if spec.uploads is not None:
        sent = step == "conferma"
        uploads = spec.uploads(request.POST if sent else None, request.FILES if sent else None)
    context.update(
        form=form,
        documents=uploads,
        summary=form.summary(),
        price=price,
        price_text=euro(price),
        assumed=is_assumed(kind, casella.tipo_casella if spec.priced_by_type else ""),
        intent_key=key or str(uuid.uuid4()),
        wallet=expiry.wallet_info(limit=0),
    )
    if step != "conferma" or (not key and uploads is None):
        return render(request, spec.confirm_template, context)
    if uploads is not None:
        if not (uploads.is_valid() and key):
            return _invalid(request, casella, spec, key, spec.confirm_template, context)
        values.update(uploads.cleaned_data)
    try:
        call = spec.start(casella, values, intent_key=key, user=request.user)
    except ValidationError as exc:
        if uploads is not None:
            uploads.add_error(None, " ".join(exc.messages))
            return render(request, spec.confirm_template, context, status=400)
        form.add_error(None, " ".join(exc.messages))
        return render(request, spec.form_template, {**context, "form": form}, status=400)
    return _done(request, casella, call)


def _typed(request, casella, spec: OperationSpec):
    """Irreversible and free: one page, the user types the address; no cost step."""
    key = request.POST.get("intent_key", "") if request.method == "POST" else ""
    if answer := _answered(request, casella, spec, key):
        return answer
    form = spec.form(request.POST or None, casella=casella)
    context = {**_context(casella, spec), "form": form}
    if request.method == "POST":
        if form.is_valid():
            try:
                call = spec.start(
                    casella,
                    form.cleaned_data,
                    intent_key=form.cleaned_data["intent_key"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                return _done(request, casella, call)
        return _invalid(request, casella, spec, key, spec.form_template, context)
    return render(request, spec.form_template, context)


@office_required
@require_GET
def modulo_conservazione(request, pk):
    """The preservation form to sign, fetched from Openapi through the portal."""
    casella = _casella(request, pk)
    return box_form_pdf(request, casella, "conservazione", back="mailboxes:conservazione")


# --------------------------------------------------------------------------- expiry


def _within(request) -> int:
    try:
        value = int(request.GET.get("entro", 90))
    except ValueError:
        value = 90
    return value if value in expiry.WINDOWS else 90


@office_required
@require_http_methods(["GET", "POST"])
def scadenze(request):
    """Boxes expiring within 30/60/90 days and already expired, by holder; renew several."""
    within = _within(request)
    view = expiry.overview(request.user, within=within)
    renewable = [r.casella for g in view.groups for r in g.rows if r.renewable]
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if request.method == "POST":
        if step == "conferma":
            batch = request.POST.get("batch", "")
            try:
                batch = str(uuid.UUID(batch))
            except ValueError:
                messages.error(request, _("Richiesta non valida: ricomincia."))
                return redirect("mailboxes:scadenze")
            if repeat := _batch_repeat(request, batch):
                return repeat
        form = RinnovoMultiploForm(request.POST, renewable=renewable)
        if form.is_valid():
            chosen = form.selected()
            anni = form.cleaned_data["anni"]
            if step == "conferma":
                result = expiry.renew_many(
                    caselle=chosen, anni=anni, batch=batch, user=request.user
                )
                new = [c for c in result.started if not c.repeated]
                if new:
                    messages.success(
                        request,
                        _("Rinnovo avviato per %(n)d caselle: l'avanzamento è qui sotto.")
                        % {"n": len(new)},
                    )
                if len(new) < len(result.started):
                    _tell_batch_repeat(request, [c for c in result.started if c.repeated])
                for casella, reason in result.refused:
                    messages.error(request, f"{casella.casella_pec}: {reason}")
                return redirect(f"{reverse('mailboxes:scadenze')}?entro={within}&batch={batch}")
            lines = [(c, rinnovo.renewal_price(c.tipo_casella, anni)) for c in chosen]
            total = sum((p for _c, p in lines), Decimal("0"))
            return render(
                request,
                "mailboxes/operations/scadenze_confirm.html",
                {
                    "lines": lines,
                    "anni": anni,
                    "total": total,
                    "total_text": euro(total),
                    "batch": str(uuid.uuid4()),
                    "wallet": expiry.wallet_info(limit=0),
                    "within": within,
                    "warnings": [
                        w for c in chosen for w in hooks.operation_warnings(c, rinnovo.KIND)
                    ],
                },
            )
        if step == "conferma" and (repeat := _batch_repeat(request, batch)):
            return repeat  # the boxes are busy with this very batch, sent meanwhile
        status = 400
    else:
        form = RinnovoMultiploForm(renewable=renewable)
        status = 200
    batch = request.GET.get("batch", "")
    try:
        batch = str(uuid.UUID(batch)) if batch else ""
    except ValueError:
        batch = ""
    wallet = expiry.wallet_info()
    return render(
        request,
        "mailboxes/operations/scadenze.html",
        {
            "view": view,
            "form": form,
            "within": within,
            "windows": expiry.WINDOWS,
            "labels": expiry.BUCKET_LABELS,
            "wallet": wallet,
            "short": wallet.available and wallet.credit < view.total,
            "total_text": euro(view.total),
            "batch": batch,
            "progress": _progress(batch) if batch else None,
        },
        status=status,
    )


def _tell_batch_repeat(request, calls) -> None:
    first = min(c.created_at for c in calls)
    messages.info(
        request,
        _(
            "Rinnovo già richiesto il %(when)s per %(n)d caselle con questa conferma: nessun "
            "nuovo addebito. L'avanzamento è qui sotto."
        )
        % {"when": date_format(timezone.localtime(first), "d/m/Y H:i"), "n": len(calls)},
    )


def _batch_repeat(request, batch: str):
    """A repeated confirmation of a batch of renewals: its progress, nothing new recorded."""
    calls = list(expiry.batch_calls(batch))
    if not calls:
        return None
    _tell_batch_repeat(request, calls)
    within = _within(request)
    return redirect(f"{reverse('mailboxes:scadenze')}?entro={within}&batch={batch}")


def _progress(batch: str) -> dict:
    calls = list(expiry.batch_calls(batch))
    return {
        "batch": batch,
        "calls": calls,
        "open": any(c.is_open for c in calls),
        "done": sum(1 for c in calls if c.state == "done"),
        "failed": sum(1 for c in calls if c.state == "failed"),
    }


@office_required
@require_GET
def scadenze_avanzamento(request):
    """htmx: the progress of a batch of renewals (polls itself while any is open)."""
    batch = request.GET.get("batch", "")
    try:
        batch = str(uuid.UUID(batch))
    except ValueError:
        raise Http404 from None
    progress = _progress(batch)
    response = render(
        request,
        "mailboxes/operations/partials/progress.html",
        {"progress": progress, "within": _within(request)},
    )
    if request.htmx and not progress["open"]:
        # the batch has ended: the whole page again (table, counters, credit), same tab
        response["HX-Refresh"] = "true"
    return response
