"""Pages of the mailboxes app: thin views over forms, selectors and services."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_office, office_required, portal_user_required
from portal.forms import IntentForm
from portal.history import Sentence
from portal.mirror_pages import MirrorPages, pdf_from_openapi
from portal.params import object_id
from portal.remote_calls import PENDING, repeat_message

from . import selectors, tasks
from .forms import (
    DocumentiForm,
    FiltriForm,
    IndirizzoForm,
    RichiedenteForm,
    TitolareForm,
)
from .models import (
    CallKind,
    Casella,
    Stato,
    TipoCasellaChoices,
    TipoDocumentoCaricato,
    TipoEvento,
)
from .remote import get_client
from .services import activation, history, registration
from .services import address as addresses
from .services import sync as box_sync

PAGE_SIZE = 25


def _page(request, qs):
    paginator = Paginator(qs, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _querystring(request, *drop) -> str:
    params = request.GET.copy()
    for key in ("page", *drop):
        params.pop(key, None)
    return params.urlencode()


# --------------------------------------------------------------------------- boxes


#: Up to this many holders, the list's holder filter is a select of all of them; beyond, it
#: offers only the chosen one (search by name instead: a select of 20,000 names helps no one).
HOLDER_SELECT_MAX = 200
#: What a row of the boxes list shows (and its sort keys): no JSON payload, no timestamps.
LIST_FIELDS = (
    "casella_pec",
    "gestore",
    "tipo_casella",
    "stato",
    "data_scadenza",
    "importata",
    "created_at",
    "titolare__denominazione",
    "titolare__cognome",
    "titolare__nome",
    "titolare__codice_fiscale",
)


@portal_user_required
@require_GET
def casella_list(request):
    """The boxes list: filters, sort, keyset pages ("after"/"before" cursors, no COUNT(*) and no
    OFFSET), so that page 1 and page 4,000 cost the same few queries at 100,000 boxes."""
    titolari = selectors.titolari_for(request.user).order_by("denominazione", "cognome", "pk")
    ids = list(titolari.values_list("pk", flat=True)[: HOLDER_SELECT_MAX + 1])
    if len(ids) > HOLDER_SELECT_MAX:
        chosen = object_id(request.GET.get("titolare"))
        ids = [chosen] if chosen else []
    choices = list(titolari.filter(pk__in=ids)) if ids else []
    form = FiltriForm(request.GET or None, titolari=choices)
    filters = form.cleaned_data if form.is_valid() else {}
    sort = request.GET.get("sort", "")
    if sort not in selectors.SORTS:
        sort = ""
    qs = selectors.caselle_filtered(request.user, filters)
    page = selectors.keyset_page(
        selectors.with_turno(qs.only(*LIST_FIELDS)),
        sort=sort,
        after=request.GET.get("dopo", ""),
        before=request.GET.get("prima", ""),
        size=PAGE_SIZE,
    )
    # Two links per row: one reverse() each for the whole page, not two per row.
    box_url = reverse("mailboxes:casella_detail", args=[0]).replace("/0/", "/{}/")
    holder_url = reverse("mailboxes:titolare_detail", args=[0]).replace("/0/", "/{}/")
    for c in page.object_list:
        c.detail_url = box_url.format(c.pk)
        c.titolare_url = holder_url.format(c.titolare_id) if c.titolare_id else ""
    return render(
        request,
        "mailboxes/casella_list.html",
        {
            "form": form,
            "page": page,
            "sort": sort,
            "qs_nopage": _querystring(request, "dopo", "prima"),
            "qs_nosort": _querystring(request, "sort", "dopo", "prima"),
        },
    )


def _casella_or_404(request, pk) -> Casella:
    return get_object_or_404(selectors.caselle_for(request.user), pk=pk)


def _registration_retried(casella) -> str:
    return _("Registrazione di %(address)s") % {"address": casella.casella_pec}


def _detail_context(request, casella, *, form=None):
    live = selectors.is_live(casella)
    context = {
        "casella": casella,
        "live": live,
        "eventi": casella.eventi.select_related("user")[:100],
        "documenti": casella.documenti.all(),
        "calls": casella.calls.all()[:20] if is_office(request.user) else [],
        "failed": selectors.last_failed_call(casella),
        "attivazione_in_corso": selectors.attivazione_in_corso(casella),
        "can_upload": casella.can_upload and not selectors.attivazione_in_corso(casella),
        "pdf_max_mb": f"{settings.PDF_MAX_BYTES / 1048576:g}",
        "retry_key": str(uuid.uuid4()),
        "price": registration.registration_price(casella.tipo_casella) if casella.managed else None,
    }
    if context["can_upload"]:
        context["upload_form"] = form or DocumentiForm(casella=casella)
    return context


@portal_user_required
@require_GET
def casella_badge(request, pk):
    casella = _casella_or_404(request, pk)
    return render(request, "mailboxes/partials/badge.html", {"c": casella})


@portal_user_required
@require_POST
def casella_upload(request, pk):
    casella = _casella_or_404(request, pk)
    form = DocumentiForm(request.POST, request.FILES, casella=casella)
    if form.is_valid():
        try:
            activation.upload_documents(
                casella=casella,
                modulo=form.cleaned_data["modulo"],
                identita=form.cleaned_data["identita"],
                intent_key=form.cleaned_data["intent_key"],
                user=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("mailboxes:casella_detail", pk=casella.pk)
        messages.info(request, _("Documenti caricati: li inviamo a Openapi."), PENDING)
        return redirect("mailboxes:casella_detail", pk=casella.pk)
    context = _detail_context(request, casella, form=form)
    context["upload_form"] = form
    return render(request, "mailboxes/casella_detail.html", context, status=400)


@portal_user_required
@require_GET
def modulo_attivazione(request, pk):
    """The activation form to sign, fetched from Openapi through the portal."""
    casella = _casella_or_404(request, pk)
    return box_form_pdf(request, casella, "attivazione", back="mailboxes:casella_detail")


def box_form_pdf(request, casella: Casella, which: str, *, back: str):
    """The form "modulo_<which>" Openapi makes for a box registered there, to be signed, as
    modulo-<which>-<address>.pdf; if Openapi fails, the page ``back`` (a URL name)."""
    if not casella.remote_id:
        raise Http404
    fetch = getattr(get_client(), f"modulo_{which}")  # modulo_attivazione, modulo_conservazione
    return pdf_from_openapi(
        request,
        lambda: fetch(casella.remote_id),
        filename=f"modulo-{which}-{casella.casella_pec.replace('@', '_at_')}.pdf",
        refused=_("Openapi non ha restituito il modulo: %(msg)s"),
        back=redirect(back, pk=casella.pk),
    )


@portal_user_required
@require_GET
def documento_download(request, pk):
    doc = get_object_or_404(selectors.documenti_for(request.user), pk=pk)
    if not doc.available:
        raise Http404
    # ID documents are personal data: who downloads one goes into the box's history.
    history.record(
        doc.casella,
        TipoEvento.DOCUMENTI,
        Sentence(
            gettext_lazy("Documento scaricato: %(tipo)s"),
            tipo=TipoDocumentoCaricato(doc.tipo).label,
        ),
        user=request.user,
        dati={"documento": doc.pk, "accesso": "download"},
    )
    response = FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=f"{doc.tipo}-{doc.pk}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- new box


@office_required
@require_GET
def check_address(request):
    """htmx: is this address right for this type, and free?"""
    tipo = request.GET.get("tipo_casella", "")
    address = request.GET.get("casella_pec", "")
    context = {"tipo": tipo}
    if tipo in TipoCasellaChoices.values:
        context["expected"] = addresses.expected_domain(tipo)
    if address.strip():
        context["result"] = addresses.check_address(tipo_casella=tipo, address=address)
    return render(request, "mailboxes/partials/address_answer.html", context)


def _registration_outcome(request, call):
    """The box's page (its live status), for the submit that recorded the registration and for
    any repeat of it."""
    address = call.casella.casella_pec
    if call.repeated:
        what = _("Registrazione di %(address)s") % {"address": address}
        messages.add_message(request, *repeat_message(call, what))
    else:
        messages.info(
            request, _("Registrazione di %(address)s avviata.") % {"address": address}, PENDING
        )
    return redirect("mailboxes:casella_detail", pk=call.casella_id)


def _new_context(indirizzo, richiedente, has_titolari=True) -> dict:
    tipo = indirizzo["tipo_casella"].value() or TipoCasellaChoices.STANDARD
    return {
        "indirizzo": indirizzo,
        "richiedente": richiedente,
        "has_titolari": has_titolari,
        "tipo": tipo,
        "expected": addresses.expected_domain(tipo) if tipo in TipoCasellaChoices.values else "",
    }


@office_required
def casella_new(request):
    titolari = selectors.titolari_for(request.user).order_by("denominazione", "cognome")
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if request.method != "POST":
        initial = {}
        richiedente_initial = {"nazione_nascita": "IT"}
        pk = object_id(request.GET.get("titolare"))
        if pk and (t := titolari.filter(pk=pk).first()):
            initial["titolare"] = t
            if t.is_person:
                richiedente_initial.update(
                    nome=t.nome, cognome=t.cognome, email=t.email, telefono=t.telefono
                )
                if len(t.codice_fiscale) == 16:
                    richiedente_initial["codice_fiscale"] = t.codice_fiscale
        if request.GET.get("tipo") in TipoCasellaChoices.values:
            initial["tipo_casella"] = request.GET["tipo"]
        indirizzo = IndirizzoForm(initial=initial, titolari=titolari)
        richiedente = RichiedenteForm(initial=richiedente_initial, prefix="r")
        return render(
            request,
            "mailboxes/casella_new.html",
            _new_context(indirizzo, richiedente, titolari.exists()),
        )

    conferma = IntentForm(request.POST) if step == "conferma" else None
    key = conferma.cleaned_data["intent_key"] if conferma and conferma.is_valid() else ""
    if key and (same := registration.registration_intent(key)):
        return _registration_outcome(request, same)  # a repeated submit: the same intent
    indirizzo = IndirizzoForm(request.POST, titolari=titolari, check_remote=step != "modifica")
    richiedente = RichiedenteForm(request.POST, prefix="r")
    if step == "modifica":
        return render(
            request,
            "mailboxes/casella_new.html",
            _new_context(indirizzo, richiedente),
        )
    if not (indirizzo.is_valid() and richiedente.is_valid()):
        # "Address already registered": by a concurrent submit of this very confirmation?
        if key and (same := registration.registration_intent(key)):
            return _registration_outcome(request, same)
        return render(
            request,
            "mailboxes/casella_new.html",
            _new_context(indirizzo, richiedente),
            status=400,
        )
    data = indirizzo.cleaned_data
    if key:
        try:
            call = registration.request_registration(
                titolare=data["titolare"],
                tipo_casella=data["tipo_casella"],
                casella_pec=data["casella_pec"],
                autorinnovo=data["autorinnovo"],
                richiedente=richiedente.cleaned_data,
                intent_key=key,
                user=request.user,
            )
        except ValidationError as exc:
            indirizzo.add_error("casella_pec", exc.messages[0])
            return render(
                request,
                "mailboxes/casella_new.html",
                _new_context(indirizzo, richiedente),
                status=400,
            )
        return _registration_outcome(request, call)
    return render(
        request,
        "mailboxes/casella_confirm.html",
        {
            "indirizzo": indirizzo,
            "richiedente": richiedente,
            "data": data,
            "r": richiedente.cleaned_data,
            "tipo_label": TipoCasellaChoices(data["tipo_casella"]).label,
            "price": registration.registration_price(data["tipo_casella"]),
            "intent_key": str(uuid.uuid4()),
        },
    )


# --------------------------------------------------------------------------- holders


@portal_user_required
@require_GET
def titolare_list(request):
    q = request.GET.get("q", "")
    qs = selectors.titolari_with_counts(request.user, q).order_by("denominazione", "cognome", "pk")
    return render(
        request,
        "mailboxes/titolare_list.html",
        {"page": _page(request, qs), "q": q, "qs_nopage": _querystring(request)},
    )


@portal_user_required
@require_GET
def titolare_detail(request, pk):
    titolare = get_object_or_404(selectors.titolari_for(request.user), pk=pk)
    return render(
        request,
        "mailboxes/titolare_detail.html",
        {
            "titolare": titolare,
            "caselle": selectors.caselle_for(request.user).filter(titolare=titolare),
            "commercialisti": titolare.commercialisti.all(),
        },
    )


@office_required
def titolare_new(request):
    form = TitolareForm(request.POST or None, initial={"nazione": "IT"})
    if request.method == "POST" and form.is_valid():
        titolare = form.save()
        messages.success(request, _("Titolare %(name)s creato.") % {"name": titolare})
        if request.POST.get("next") == "nuova":
            return redirect(f"{reverse('mailboxes:casella_new')}?titolare={titolare.pk}")
        return redirect("mailboxes:titolare_detail", pk=titolare.pk)
    return render(
        request,
        "mailboxes/titolare_form.html",
        {"form": form, "next": request.GET.get("next", request.POST.get("next", ""))},
        status=400 if request.method == "POST" else 200,
    )


@office_required
def titolare_edit(request, pk):
    titolare = get_object_or_404(selectors.titolari_for(request.user), pk=pk)
    form = TitolareForm(request.POST or None, instance=titolare)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Titolare aggiornato."))
        return redirect("mailboxes:titolare_detail", pk=titolare.pk)
    return render(
        request,
        "mailboxes/titolare_form.html",
        {"form": form, "titolare": titolare},
        status=400 if request.method == "POST" else 200,
    )


__all__ = ["CallKind", "Stato"]


PAGES = MirrorPages(
    resource="mailboxes",
    noun="casella",
    get=_casella_or_404,
    context=_detail_context,
    status_template="mailboxes/partials/stato.html",
    refresh=box_sync.refresh_casella,
    retry=lambda casella, **intent: registration.retry_registration(casella=casella, **intent),
    retried=gettext_lazy("Registrazione avviata di nuovo."),
    what=_registration_retried,
    sync_task=tasks.sync_account,
    synced=gettext_lazy(
        "Sincronizzazione con Openapi avviata: le caselle si aggiornano tra pochi secondi."
    ),
    viewer=portal_user_required,
    office=office_required,
)
