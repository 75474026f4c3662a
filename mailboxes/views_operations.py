"""Pages of the operations on active boxes and of the expiry page (office staff only).

Each paid operation is two steps: the form (every choice with its price), then a confirmation
page stating the cost with a hidden UUID intent key (a double submit is one intent). Revoking is
one page where the user types the address. An operation the box cannot take is refused with
the reason, whatever the request says, and nothing changes.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import office_required
from openapi_pec import errors
from portal.remote_calls import repeat_message

from . import expiry, operations, selectors
from .forms_operations import (
    ConservazioneDocumentiForm,
    ConservazioneForm,
    IntentForm,
    ModificaForm,
    MultiutenzaForm,
    RevocaForm,
    RinnovoForm,
    RinnovoMultiploForm,
    TrasformazioneForm,
)
from .models import CallKind, Casella, CasellaCall
from .remote import get_client

TITLES = {
    CallKind.RINNOVO: gettext_lazy("Rinnova la casella"),
    CallKind.MODIFICA: gettext_lazy("Aumenta lo spazio"),
    CallKind.TRASFORMAZIONE: gettext_lazy("Cambia tipo di casella"),
    CallKind.MULTIUTENZA: gettext_lazy("Aggiungi un utente"),
    CallKind.CONSERVAZIONE: gettext_lazy("Attiva la conservazione a norma"),
    CallKind.REVOCA: gettext_lazy("Revoca la casella"),
}


def _casella(request, pk) -> Casella:
    return get_object_or_404(selectors.caselle_for(request.user), pk=pk)


def _refused(request, casella, kind, reason):
    return render(
        request,
        "mailboxes/operations/refused.html",
        {"casella": casella, "title": operations.LABELS[kind], "reason": reason},
        status=409,
    )


def _done(request, casella, call: CasellaCall):
    """The outcome page of an intent (the box's page, with the operation's live status), the
    same for the submit that recorded it and for any repeat of it."""
    if call.repeated:
        messages.add_message(request, *repeat_message(call, operations.LABELS[call.kind]))
    else:
        messages.success(
            request,
            _("Operazione «%(op)s» richiesta: la inviamo a Openapi, l'esito compare qui.")
            % {"op": operations.LABELS[call.kind]},
        )
    return redirect("mailboxes:casella_detail", pk=casella.pk)


def _unless_recorded(request, casella, kind, key, refusal):
    """A confirmation refused (the box busy, a choice no longer valid...) because a concurrent
    submit of the same confirmation recorded the intent meanwhile gets that intent's outcome;
    any other refusal stands."""
    same = operations.recorded(casella, kind, key) if key else None
    return _done(request, casella, same) if same else refusal


def _perform(kind, casella, form, intent_key, user) -> CasellaCall:
    d = form.cleaned_data
    if kind == CallKind.RINNOVO:
        return operations.renew(casella=casella, anni=d["anni"], intent_key=intent_key, user=user)
    if kind == CallKind.MODIFICA:
        return operations.enlarge(
            casella=casella,
            disco_add=d.get("disco_add") or 0,
            storico_add=d.get("storico_add") or 0,
            conservazione_add=d.get("conservazione_add") or 0,
            intent_key=intent_key,
            user=user,
        )
    if kind == CallKind.TRASFORMAZIONE:
        return operations.upgrade(casella=casella, tipo=d["tipo"], intent_key=intent_key, user=user)
    if kind == CallKind.MULTIUTENZA:
        return operations.add_user(
            casella=casella,
            nome=d["nome"],
            cognome=d["cognome"],
            descrizione=d["descrizione"],
            email_gestione_password=d["email_gestione_password"],
            intent_key=intent_key,
            user=user,
        )
    raise Http404


FORMS = {
    CallKind.RINNOVO: RinnovoForm,
    CallKind.MODIFICA: ModificaForm,
    CallKind.TRASFORMAZIONE: TrasformazioneForm,
    CallKind.MULTIUTENZA: MultiutenzaForm,
}


def _two_step(request, pk, kind):
    """Form -> confirmation (cost + hidden intent key) -> intent."""
    casella = _casella(request, pk)
    form_class = FORMS[kind]
    step = request.POST.get("step", "") if request.method == "POST" else ""
    intent = IntentForm(request.POST or None)
    key = ""
    if step == "conferma" and intent.is_valid():
        key = intent.cleaned_data["intent_key"]
    if key and (same := operations.recorded(casella, kind, key)):
        return _done(request, casella, same)  # a repeated submit: the same intent
    verdict = operations.check(casella, kind)
    if not verdict:
        return _unless_recorded(
            request, casella, kind, key, _refused(request, casella, kind, verdict.reason)
        )
    context = {"casella": casella, "kind": kind, "title": TITLES[kind], "users": None}
    if kind == CallKind.MULTIUTENZA:
        context["users"] = operations.users_of(casella)
        context["max_users"] = operations.MAX_USERS
    if request.method != "POST" or step == "modifica":
        form = form_class(casella=casella)
        if step == "modifica":  # back from the confirmation, with the user's values
            form = form_class(
                initial={k: request.POST.get(k) for k in form.fields}, casella=casella
            )
        return render(request, "mailboxes/operations/form.html", {**context, "form": form})
    form = form_class(request.POST, casella=casella)
    if not form.is_valid():
        return _unless_recorded(
            request,
            casella,
            kind,
            key,
            render(
                request, "mailboxes/operations/form.html", {**context, "form": form}, status=400
            ),
        )
    if not key:
        return render(
            request,
            "mailboxes/operations/confirm.html",
            {
                **context,
                "form": form,
                "summary": form.summary(),
                "price": form.price(),
                "price_text": operations.euro(form.price()),
                "assumed": operations.is_assumed(kind, casella.tipo_casella),
                "intent_key": str(uuid.uuid4()),
                "wallet": expiry.wallet_info(limit=0),
            },
        )
    try:
        call = _perform(kind, casella, form, key, request.user)
    except ValidationError as exc:
        form.add_error(None, " ".join(exc.messages))
        return render(
            request, "mailboxes/operations/form.html", {**context, "form": form}, status=400
        )
    return _done(request, casella, call)


@office_required
@require_http_methods(["GET", "POST"])
def rinnovo(request, pk):
    return _two_step(request, pk, CallKind.RINNOVO)


@office_required
@require_http_methods(["GET", "POST"])
def modifica(request, pk):
    return _two_step(request, pk, CallKind.MODIFICA)


@office_required
@require_http_methods(["GET", "POST"])
def trasformazione(request, pk):
    return _two_step(request, pk, CallKind.TRASFORMAZIONE)


@office_required
@require_http_methods(["GET", "POST"])
def multiutenza(request, pk):
    return _two_step(request, pk, CallKind.MULTIUTENZA)


@office_required
@require_http_methods(["GET", "POST"])
def revoca(request, pk):
    """Irreversible: one page, the user types the address; no cost."""
    casella = _casella(request, pk)
    kind = CallKind.REVOCA
    key = request.POST.get("intent_key", "") if request.method == "POST" else ""
    if key and (same := operations.recorded(casella, kind, key)):
        return _done(request, casella, same)  # a repeated submit: the same intent
    verdict = operations.check(casella, kind)
    if not verdict:
        return _unless_recorded(
            request, casella, kind, key, _refused(request, casella, kind, verdict.reason)
        )
    form = RevocaForm(request.POST or None, casella=casella)
    context = {"casella": casella, "kind": kind, "title": TITLES[kind], "form": form}
    if request.method == "POST":
        if form.is_valid():
            try:
                call = operations.revoke(
                    casella=casella,
                    conferma=form.cleaned_data["conferma"],
                    intent_key=form.cleaned_data["intent_key"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                return _done(request, casella, call)
        return _unless_recorded(
            request,
            casella,
            kind,
            key,
            render(request, "mailboxes/operations/revoca.html", context, status=400),
        )
    return render(request, "mailboxes/operations/revoca.html", context)


@office_required
@require_http_methods(["GET", "POST"])
def conservazione(request, pk):
    """Step 1: the space (each with its price). Step 2 (the confirmation): the cost, the form
    to download, the signed form and the ID document to upload, the hidden intent key."""
    casella = _casella(request, pk)
    kind = CallKind.CONSERVAZIONE
    step = request.POST.get("step", "") if request.method == "POST" else ""
    key = request.POST.get("intent_key", "") if step == "conferma" else ""
    if key and (same := operations.recorded(casella, kind, key)):
        return _done(request, casella, same)  # a repeated submit: the same intent
    verdict = operations.check(casella, kind)
    if not verdict:
        return _unless_recorded(
            request, casella, kind, key, _refused(request, casella, kind, verdict.reason)
        )
    context = {"casella": casella, "kind": kind, "title": TITLES[kind]}
    form = ConservazioneForm(request.POST or None, casella=casella)
    if request.method != "POST":
        return render(request, "mailboxes/operations/form.html", {**context, "form": form})
    if not form.is_valid():
        return _unless_recorded(
            request,
            casella,
            kind,
            key,
            render(
                request, "mailboxes/operations/form.html", {**context, "form": form}, status=400
            ),
        )
    intent = IntentForm(request.POST)
    documents = ConservazioneDocumentiForm(
        request.POST if step == "conferma" else None,
        request.FILES if step == "conferma" else None,
    )
    context.update(
        form=form,
        documents=documents,
        summary=form.summary(),
        price=form.price(),
        price_text=operations.euro(form.price()),
        assumed=operations.is_assumed(kind),
        wallet=expiry.wallet_info(limit=0),
        intent_key=request.POST.get("intent_key") or str(uuid.uuid4()),
    )
    if step != "conferma":
        return render(request, "mailboxes/operations/conservazione.html", context)
    if not (documents.is_valid() and intent.is_valid() and intent.cleaned_data["intent_key"]):
        return _unless_recorded(
            request,
            casella,
            kind,
            key,
            render(request, "mailboxes/operations/conservazione.html", context, status=400),
        )
    try:
        call = operations.enable_preservation(
            casella=casella,
            modulo=documents.cleaned_data["modulo"],
            identita=documents.cleaned_data["identita"],
            spazio=form.cleaned_data["spazio"],
            intent_key=intent.cleaned_data["intent_key"],
            user=request.user,
        )
    except ValidationError as exc:
        documents.add_error(None, " ".join(exc.messages))
        return render(request, "mailboxes/operations/conservazione.html", context, status=400)
    return _done(request, casella, call)


@office_required
@require_GET
def modulo_conservazione(request, pk):
    """The preservation form to sign, fetched from Openapi through the portal."""
    casella = _casella(request, pk)
    if not casella.remote_id:
        raise Http404
    try:
        content = get_client().modulo_conservazione(casella.remote_id)
    except errors.OpenapiError as exc:
        messages.error(
            request,
            _("Openapi non ha restituito il modulo: %(msg)s") % {"msg": exc.message or exc.status},
        )
        return redirect("mailboxes:conservazione", pk=casella.pk)
    response = HttpResponse(content, content_type="application/pdf")
    name = casella.casella_pec.replace("@", "_at_")
    response["Content-Disposition"] = f'attachment; filename="modulo-conservazione-{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


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
                return redirect(f"{reverse('mailboxes:scadenze')}?batch={batch}")
            lines = [(c, operations.renewal_price(c.tipo_casella, anni)) for c in chosen]
            total = sum((p for _c, p in lines), operations.Decimal("0"))
            return render(
                request,
                "mailboxes/operations/scadenze_confirm.html",
                {
                    "lines": lines,
                    "anni": anni,
                    "total": total,
                    "total_text": operations.euro(total),
                    "batch": str(uuid.uuid4()),
                    "wallet": expiry.wallet_info(limit=0),
                    "within": within,
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
            "total_text": operations.euro(view.total),
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
    return redirect(f"{reverse('mailboxes:scadenze')}?batch={batch}")


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
    return render(
        request, "mailboxes/operations/partials/progress.html", {"progress": _progress(batch)}
    )
