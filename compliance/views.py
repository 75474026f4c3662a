"""The compliance pages: the portfolio's findings and one company's, each with the link to
where it is fixed; the director's box (holder prefilled from the Registro Imprese) and its
filing, through the portal's own registration and comunica flows."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import office_required, portal_user_required
from comunica import selectors as comunica_selectors
from comunica.forms import DIRECTOR_RULE, RichiestaForm
from comunica.services import creation
from mailboxes.forms import TitolareForm
from mailboxes.models import Titolare
from openapi_pec.types import TipoCliente
from portal.remote_calls import enqueue_on_commit
from portal.views_callback import CALLBACK_MAX_BYTES

from . import selectors
from .company import enabled
from .services import filing, monitors


def _disabled(request):
    return render(
        request,
        "compliance/disabled.html",
        {"demo": settings.OPENAPI_DEMO},
    )


def _holder(request, pk):
    """One of the companies the user sees (404 otherwise)."""
    return get_object_or_404(selectors.company_holders_for(request.user), pk=pk)


def _enabled_only(view):
    """The view, or the "Company API off" page while COMPANY_API_ENABLED is off."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not enabled():
            return _disabled(request)
        return view(request, *args, **kwargs)

    return wrapper


def _holder_view(view):
    """The view called with the user's company ``pk`` (404 otherwise), then as _enabled_only."""

    @wraps(view)
    def wrapper(request, pk):
        return _enabled_only(view)(request, _holder(request, pk))

    return wrapper


@portal_user_required
@require_GET
@_enabled_only
def portfolio(request):
    rows = selectors.findings_for(request.user)
    kind = request.GET.get("tipo", "")
    shown = [r for r in rows if r.kind == kind] if kind else rows
    return render(
        request,
        "compliance/_findings.html" if request.htmx else "compliance/portfolio.html",
        {
            "groups": selectors.by_company(shown),
            "counts": selectors.counts(rows),
            "kind": kind,
            "summary": selectors.summary(request.user),
        },
    )


@portal_user_required
@require_GET
@_holder_view
def holder(request, titolare):
    return render(
        request,
        "compliance/holder.html",
        {
            "titolare": titolare,
            "check": selectors.check_of(titolare),
            "findings": selectors.holder_findings(titolare),
            "monitors": selectors.monitors_of(titolare),
            "can_watch": monitors.callbacks_possible(),
        },
    )


@office_required
@require_POST
@_enabled_only
def refresh(request):
    """Check the portfolio now (a worker does it; the cache spares what was asked recently)."""
    enqueue_on_commit("compliance.refresh")
    messages.success(request, _("Verifica avviata: la pagina si aggiorna a lavoro concluso."))
    return redirect("compliance:portfolio")


@office_required
@require_POST
@_holder_view
def refresh_holder(request, titolare):
    """Check one company again, not from the cache (e.g. after fixing it elsewhere)."""
    enqueue_on_commit("compliance.check_holder", titolare.pk, True)
    messages.success(request, _("Nuova verifica dell'impresa avviata."))
    return redirect("compliance:holder", pk=titolare.pk)


def _director(request, pk):
    titolare = _holder(request, pk)
    check = selectors.check_of(titolare)
    if check is None or not check.director:
        messages.error(request, _("Nessun amministratore noto per questa impresa: verificarla."))
        return titolare, None
    return titolare, check


@office_required
@_enabled_only
def director_holder(request, pk):
    """The director as a holder (prefilled from the Registro Imprese's data), then the
    portal's registration of a box for them."""
    titolare, check = _director(request, pk)
    if check is None:
        return redirect("compliance:holder", pk=titolare.pk)
    director = check.director
    cf = director.get("codice_fiscale", "").upper()
    person = Titolare.objects.filter(codice_fiscale__iexact=cf).first() if cf else None
    if person is not None:
        return redirect(f"{reverse('mailboxes:casella_new')}?{urlencode({'titolare': person.pk})}")
    initial = {
        "tipo_cliente": TipoCliente.PRIVATO.value,
        "nome": director.get("nome", ""),
        "cognome": director.get("cognome", ""),
        "codice_fiscale": cf,
        "nazione": "IT",
        "note": _("Amministratore di %(company)s") % {"company": titolare.display_name},
    }
    form = TitolareForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        person = form.save()
        messages.success(request, _("Titolare %(name)s creato.") % {"name": person})
        return redirect(f"{reverse('mailboxes:casella_new')}?{urlencode({'titolare': person.pk})}")
    return render(
        request,
        "mailboxes/titolare_form.html",
        {"form": form, "next": ""},
        status=400 if request.method == "POST" else 200,
    )


@office_required
@require_GET
@_enabled_only
def director_file(request, pk):
    """The comunica request for the director's PEC (``pec_amministratore``), prefilled; it is
    sent by the comunica flow (its confirmation, its at-most-once intent)."""
    titolare, check = _director(request, pk)
    if check is None:
        return redirect("compliance:holder", pk=titolare.pk)
    prefilled = filing.filing_for(titolare)
    if prefilled.director_box is None:
        return redirect("compliance:director_holder", pk=titolare.pk)
    return render(
        request,
        "comunica/richiesta_form.html",
        {
            "form": RichiestaForm(initial=prefilled.data),
            "titolare": titolare,
            "casella": prefilled.director_box,
            "titolari": comunica_selectors.titolari_for_picker(request.user),
            "price": creation.price(),
            "rule": DIRECTOR_RULE,
        },
    )


@office_required
@require_POST
@_holder_view
def watch(request, titolare):
    """Opt in: Openapi watches the company's PEC and closure and calls back (paid, once)."""
    if not monitors.callbacks_possible():
        messages.error(
            request,
            _(
                "La sorveglianza richiede PORTAL_PUBLIC_URL: "
                "Openapi deve poter chiamare il portale."
            ),
        )
        return redirect("compliance:holder", pk=titolare.pk)
    monitors.watch(titolare, user=request.user)
    messages.success(request, _("Sorveglianza richiesta: i cambi arriveranno da Openapi."))
    return redirect("compliance:holder", pk=titolare.pk)


@office_required
@require_POST
@_holder_view
def unwatch(request, titolare):
    """Stop watching: Openapi deletes the company's monitors (at most once each)."""
    calls, busy = monitors.stop(titolare, user=request.user)
    if busy:
        messages.warning(
            request,
            _(
                "Sorveglianza ancora in attivazione: la si può terminare "
                "quando Openapi la conferma."
            ),
        )
    elif calls:
        messages.success(request, _("Sorveglianza in chiusura: Openapi smette di avvisare."))
    else:
        messages.info(request, _("L'impresa non è sorvegliata."))
    return redirect("compliance:holder", pk=titolare.pk)


@csrf_exempt
@require_POST
def monitor_callback(request, pk, token):
    """Openapi's monitor callback: refused without the monitor's secret or above
    CALLBACK_MAX_BYTES; otherwise one re-read of the monitor is queued (the body is unread)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = CALLBACK_MAX_BYTES + 1
    if length > CALLBACK_MAX_BYTES:
        return JsonResponse({"ok": False}, status=413)
    queued = monitors.handle_callback(pk, token)
    if queued is None:
        return JsonResponse({"ok": False}, status=403)
    return JsonResponse({"ok": True, "queued": queued})
