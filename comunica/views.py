"""Pages of the comunica flow. Office staff only (accountants and users without a role: 403)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import office_required
from portal.forms import IntentForm
from portal.mirror_pages import MirrorPages, pdf_from_openapi
from portal.openapi import get_client
from portal.params import object_id
from portal.remote_calls import PENDING, repeat_message

from . import files, selectors, tasks
from .forms import (
    DIRECTOR_RULE,
    InviaComunqueForm,
    ProcuraUploadForm,
    RichiestaConfermaForm,
    RichiestaForm,
    SearchForm,
)
from .models import ComunicaCallKind, ProcuraFirmata, StatoRichiesta
from .services import creation, polling
from .services.procura_upload import send_anyway, upload_procura

PREFILL_FIELDS = ("titolare", "casella")


def _richiesta(request, pk):
    return get_object_or_404(selectors.richieste_visible_to(request.user), pk=pk)


@office_required
@require_GET
def richiesta_list(request):
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.search_richieste(
        request.user,
        q=filters.get("q", ""),
        stato=filters.get("stato", ""),
        tipo=filters.get("tipo", ""),
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "comunica/richiesta_list.html",
        {"form": form, "page": page, "richieste": page.object_list, "query": query.urlencode()},
    )


def _prefill(request) -> tuple[dict, object, object]:
    titolare = selectors.titolare_for_prefill(request.user, object_id(request.GET.get("titolare")))
    casella = selectors.casella_for_prefill(request.user, object_id(request.GET.get("casella")))
    if casella is not None and titolare is None:
        titolare = casella.titolare
    if titolare is not None and casella is None:
        # the holder's box, when it has an active one
        casella = titolare.caselle.filter(stato="evasa").order_by("-created_at").first()
    initial: dict = {}
    if titolare is not None:
        initial.update(
            titolare=titolare.pk,
            ragione_sociale=titolare.denominazione or titolare.display_name,
            cf_piva=titolare.partita_iva or titolare.codice_fiscale,
            comune=titolare.comune,
            provincia=titolare.provincia,
        )
        if titolare.is_person:
            initial.update(nome=titolare.nome, cognome=titolare.cognome, cf=titolare.codice_fiscale)
        if titolare.email:
            initial["email"] = titolare.email
    if casella is not None:
        initial.update(casella=casella.pk, casella_pec=casella.casella_pec)
        initial["pec_impresa"] = casella.casella_pec
        richiedente = getattr(casella, "richiedente", None)
        if richiedente is not None:
            initial.update(
                nome=initial.get("nome") or richiedente.nome,
                cognome=initial.get("cognome") or richiedente.cognome,
                cf=initial.get("cf") or richiedente.codice_fiscale,
                email=initial.get("email") or richiedente.email,
                cellulare=getattr(richiedente, "cellulare", "") or richiedente.telefono,
            )
    return initial, titolare, casella


def _links(request, data):
    """The holder and box named in the form, re-checked against what the user may see."""
    titolare = selectors.titolare_for_prefill(request.user, data.get("titolare"))
    casella = selectors.casella_for_prefill(request.user, data.get("casella"))
    return titolare, casella


def _intent_key(data) -> str:
    try:
        return str(uuid.UUID(data.get("intent_key", "")))
    except ValueError:
        return ""


def _what(richiesta) -> str:
    return _("Comunicazione PEC di %(pec)s") % {"pec": richiesta.casella_pec}


def _created(request, created):
    """The request's page (its live status), for the submit that recorded the intent and for
    any repeat of it."""
    if created.new:
        messages.info(request, _("Richiesta registrata: invio a Openapi in corso."), PENDING)
    else:
        messages.add_message(request, *repeat_message(created.call, _what(created.richiesta)))
    return redirect("comunica:richiesta_detail", pk=created.richiesta.pk)


def _model_data(cleaned: dict) -> dict:
    return {k: v for k, v in cleaned.items() if k not in (*PREFILL_FIELDS, "intent_key")}


@office_required
def richiesta_new(request):
    price = creation.price()
    if request.method == "POST" and "conferma" in request.POST:
        form = RichiestaConfermaForm(request.POST)
        same = creation.create_intent(_intent_key(request.POST))
        if same:  # a repeated submit: the same intent
            return _created(request, creation.Created(same))
        if form.is_valid():
            titolare, casella = _links(request, form.cleaned_data)
            try:
                created = creation.create_richiesta(
                    data=_model_data(form.cleaned_data),
                    user=request.user,
                    intent_key=str(form.cleaned_data["intent_key"]),
                    titolare=titolare,
                    casella=casella,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return render(
                    request,
                    "comunica/richiesta_form.html",
                    {"form": RichiestaForm(request.POST), "price": price, "rule": DIRECTOR_RULE},
                )
            return _created(request, created)
        # tampered hidden fields: back to the editable form with the errors
        form = RichiestaForm(request.POST)
        form.is_valid()
        return render(
            request,
            "comunica/richiesta_form.html",
            {"form": form, "price": price, "rule": DIRECTOR_RULE},
        )
    if request.method == "POST" and "modifica" in request.POST:
        form = RichiestaForm(request.POST)
        return render(
            request,
            "comunica/richiesta_form.html",
            {"form": form, "price": price, "rule": DIRECTOR_RULE},
        )
    if request.method == "POST":
        form = RichiestaForm(request.POST)
        if form.is_valid():
            titolare, casella = _links(request, form.cleaned_data)
            initial = {
                **form.cleaned_data,
                "pec_amministratore": "1" if form.cleaned_data["pec_amministratore"] else "0",
            }
            confirm = RichiestaConfermaForm(initial=initial)
            return render(
                request,
                "comunica/richiesta_confirm.html",
                {
                    "form": confirm,
                    "data": form.cleaned_data,
                    "qualifica": dict(form.fields["qualifica"].choices).get(
                        form.cleaned_data["qualifica"], ""
                    ),
                    "titolare": titolare,
                    "casella": casella,
                    "price": price,
                },
            )
        return render(
            request,
            "comunica/richiesta_form.html",
            {"form": form, "price": price, "rule": DIRECTOR_RULE},
        )
    initial, titolare, casella = _prefill(request)
    return render(
        request,
        "comunica/richiesta_form.html",
        {
            "form": RichiestaForm(initial=initial),
            "titolare": titolare,
            "casella": casella,
            "titolari": selectors.titolari_for_picker(request.user),
            "price": price,
            "rule": DIRECTOR_RULE,
        },
    )


def _status_context(request, richiesta, *, upload_form=None, send_form=None):
    procura = selectors.latest_procura(richiesta)
    open_create = selectors.open_call(richiesta, ComunicaCallKind.CREATE)
    open_upload = selectors.open_call(richiesta, ComunicaCallKind.UPLOAD)
    last_upload = selectors.last_call(richiesta, ComunicaCallKind.UPLOAD)
    last_create = selectors.last_call(richiesta, ComunicaCallKind.CREATE)
    pending_warning = (
        procura is not None
        and procura.has_warnings
        and not procura.calls.exists()
        and richiesta.can_upload
    )
    moving = richiesta.is_moving or open_create is not None or open_upload is not None
    return {
        "richiesta": richiesta,
        "procura": procura,
        "procure": richiesta.procure.all(),
        "eventi": richiesta.eventi.select_related("user").all(),
        "open_create": open_create,
        "open_upload": open_upload,
        "last_upload": last_upload,
        "last_create": last_create,
        "pending_warning": pending_warning,
        "moving": moving,
        "upload_form": upload_form or ProcuraUploadForm(),
        "send_form": send_form or InviaComunqueForm(),
        "retry_form": IntentForm(),
        "price": creation.price(),
    }


@office_required
@require_GET
def procura_pdf(request, pk):
    """The power of attorney to sign, fetched from Openapi through the portal."""
    richiesta = _richiesta(request, pk)
    if not richiesta.remote_id or richiesta.stato in (
        StatoRichiesta.NUOVA,
        StatoRichiesta.CODICE_IN_RICHIESTA,
    ):
        messages.error(
            request, _("La procura non è ancora disponibile: Openapi la sta preparando.")
        )
        return redirect("comunica:richiesta_detail", pk=richiesta.pk)
    return pdf_from_openapi(
        request,
        lambda: get_client().procura_registro_imprese(richiesta.remote_id),
        filename=f"procura-registro-imprese-{richiesta.remote_id}.pdf",
        refused=_("Openapi non ha fornito la procura: %(msg)s"),
        back=redirect("comunica:richiesta_detail", pk=richiesta.pk),
    )


@office_required
@require_POST
def procura_upload(request, pk):
    richiesta = _richiesta(request, pk)
    form = ProcuraUploadForm(request.POST, request.FILES)
    if not richiesta.can_upload:
        messages.error(
            request, _("La procura si carica solo quando la richiesta è in attesa dei documenti.")
        )
        return redirect("comunica:richiesta_detail", pk=richiesta.pk)
    if form.is_valid():
        try:
            procura = upload_procura(
                richiesta=richiesta,
                info=form.p7m,
                original_name=form.cleaned_data["file"].name,
                user=request.user,
                intent_key=str(form.cleaned_data["intent_key"]),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("comunica:richiesta_detail", pk=richiesta.pk)
        if procura.has_warnings:
            messages.warning(
                request,
                _("Procura caricata ma NON inviata: controllare gli avvisi sul firmatario."),
            )
        else:
            messages.info(request, _("Procura accettata: invio a Openapi in corso."), PENDING)
        return redirect("comunica:richiesta_detail", pk=richiesta.pk)
    context = _status_context(request, richiesta, upload_form=form)
    return render(request, "comunica/richiesta_detail.html", context, status=400)


@office_required
@require_POST
def procura_send_anyway(request, pk, doc):
    richiesta = _richiesta(request, pk)
    procura = get_object_or_404(ProcuraFirmata, pk=doc, richiesta=richiesta)
    form = InviaComunqueForm(request.POST)
    if not form.is_valid():
        context = _status_context(request, richiesta, send_form=form)
        return render(request, "comunica/richiesta_detail.html", context, status=400)
    try:
        send_anyway(
            procura=procura, user=request.user, intent_key=str(form.cleaned_data["intent_key"])
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Procura inviata a Openapi nonostante gli avvisi."))
    return redirect("comunica:richiesta_detail", pk=richiesta.pk)


@office_required
@require_GET
def procura_file(request, pk, doc):
    """The uploaded .p7m, through a checked view (never a public URL)."""
    richiesta = _richiesta(request, pk)
    procura = get_object_or_404(ProcuraFirmata, pk=doc, richiesta=richiesta)
    try:
        return files.serve(
            procura.file, filename=f"procura-{richiesta.remote_id or richiesta.pk}.p7m"
        )
    except FileNotFoundError:
        raise Http404 from None


PAGES = MirrorPages(
    resource="comunica",
    noun="richiesta",
    get=_richiesta,
    context=_status_context,
    status_template="comunica/_status.html",
    refresh=polling.refresh_richiesta,
    retry=lambda richiesta, **intent: creation.retry_create(richiesta=richiesta, **intent),
    retried=gettext_lazy("Nuovo invio a Openapi in corso."),
    what=_what,
    sync_task=tasks.sync_account,
    synced=gettext_lazy(
        "Sincronizzazione con Openapi avviata: le richieste compariranno tra pochi secondi."
    ),
    viewer=office_required,
    office=office_required,
)
