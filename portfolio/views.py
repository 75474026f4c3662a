"""The portfolio's pages: adopting the imported boxes, exporting the lists, importing holders."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import office_required, portal_user_required
from mailboxes import expiry
from mailboxes import selectors as mailbox_selectors
from mailboxes.operations.pricing import euro
from portal.params import object_id

from . import selectors
from .forms import AltroGestoreForm
from .services import adoption, batch_registration, export, importing, other_providers


@office_required
@require_http_methods(["GET", "POST"])
def adopt(request):
    """The boxes without a holder: one click gives a box the holder its Openapi data names;
    the ticked ones get one holder (by codice fiscale or partita IVA) or each its proposed one."""
    if request.method == "POST":
        _adopt_post(request)
        return redirect("portfolio:adopt")
    qs = selectors.unassigned(request.user)
    boxes = list(qs[: selectors.ADOPT_PAGE])
    proposals = selectors.proposals(request.user, boxes)
    for box in boxes:
        box.proposal = proposals.get(box.pk)
    holders = mailbox_selectors.titolari_for(request.user).order_by("denominazione", "cognome")
    return render(
        request,
        "portfolio/adopt.html",
        {
            "boxes": boxes,
            "total": qs.count() if len(boxes) == selectors.ADOPT_PAGE else len(boxes),
            "holders": holders.only("codice_fiscale", "denominazione", "nome", "cognome")[:1000],
        },
    )


def _adopt_post(request) -> None:
    user = request.user
    one = object_id(request.POST.get("uno"))
    chosen = [
        pk
        for pk in (object_id(v) for v in request.POST.getlist("caselle")[: adoption.MAX_BULK])
        if pk
    ]
    if one:
        boxes = list(selectors.unassigned(user).filter(pk=one))
        proposal = selectors.proposals(user, boxes).get(one)
        if proposal is None:
            messages.error(request, _("Nessun titolare proposto per questa casella."))
            return
        adoption.adopt(user, [one], proposal.titolare)
        messages.success(
            request,
            _("%(casella)s collegata a %(titolare)s.")
            % {"casella": boxes[0].casella_pec, "titolare": proposal.titolare.display_name},
        )
        return
    if not chosen:
        messages.error(request, _("Seleziona almeno una casella."))
        return
    if request.POST.get("azione") == "proposti":
        boxes = list(selectors.unassigned(user).filter(pk__in=chosen))
        found = selectors.proposals(user, boxes)
        n = adoption.adopt_many(user, {pk: p.titolare for pk, p in found.items()})
        left = len(chosen) - n
    else:
        holders = selectors.holder_by_code(user, request.POST.get("titolare", "")[:40])
        if len(holders) != 1:
            messages.error(
                request,
                _("Nessun titolare con questo codice fiscale o partita IVA.")
                if not holders
                else _("Più titolari hanno questa partita IVA: scrivi il codice fiscale."),
            )
            return
        n = adoption.adopt(user, chosen, holders[0])
        left = len(chosen) - n
    messages.success(
        request,
        ngettext("%(n)d casella collegata.", "%(n)d caselle collegate.", n) % {"n": n},
    )
    if left:
        messages.warning(
            request,
            ngettext(
                "%(n)d casella senza titolare proposto (o già collegata) resta da collegare.",
                "%(n)d caselle senza titolare proposto (o già collegate) restano da collegare.",
                left,
            )
            % {"n": left},
        )


EXPORTS = {
    "caselle": (selectors.export_caselle, export.BOX_COLUMNS, gettext_lazy("Caselle")),
    "titolari": (selectors.export_titolari, export.HOLDER_COLUMNS, gettext_lazy("Titolari")),
    "scadenze": (selectors.export_scadenze, export.EXPIRY_COLUMNS, gettext_lazy("Scadenze")),
}


def _export(request, what: str):
    """The list ``what`` with the filters of the query string, as CSV or (formato=xlsx) XLSX."""
    select, columns, title = EXPORTS[what]
    table = export.rows(select(request.user, request.GET), columns)
    name = f"{what}-{timezone.localdate():%Y%m%d}"
    if request.GET.get("formato") == "xlsx":
        return FileResponse(
            export.xlsx_file(table, str(title)),
            as_attachment=True,
            filename=f"{name}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response = StreamingHttpResponse(export.csv_chunks(table), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@portal_user_required
@require_GET
def export_caselle(request):
    return _export(request, "caselle")


@portal_user_required
@require_GET
def export_titolari(request):
    return _export(request, "titolari")


@office_required
@require_GET
def export_scadenze(request):
    return _export(request, "scadenze")


# --------------------------------------------------------------------------- import

#: The uploaded file waits here between its preview and the user's choice.
PENDING_FOLDER = "importazioni"
SESSION_KEY = "portfolio_import"


@office_required
@require_http_methods(["GET", "POST"])
def import_holders(request):
    """Upload a file of holders; see every row's verdict; import all or only the valid rows."""
    if request.method == "GET":
        return render(request, "portfolio/import.html", {"max_mb": importing.MAX_BYTES >> 20})
    if "file" in request.FILES:
        upload = request.FILES["file"]
        if upload.size > importing.MAX_BYTES:
            return _import_error(request, importing.FileRefused(_too_big()))
        content = upload.read()
        try:
            result = importing.preview(content)
        except importing.FileRefused as exc:
            return _import_error(request, exc)
        _forget_pending(request)
        name = default_storage.save(f"{PENDING_FOLDER}/{uuid.uuid4().hex}", ContentFile(content))
        request.session[SESSION_KEY] = name
        return render(
            request,
            "portfolio/import.html",
            {
                "preview": result,
                "file_name": upload.name[:120],
                "max_mb": importing.MAX_BYTES >> 20,
            },
        )
    name = request.session.get(SESSION_KEY)
    if not name or not default_storage.exists(name):
        messages.error(request, _("Il file da importare non c'è più: caricalo di nuovo."))
        return redirect("portfolio:import")
    with default_storage.open(name) as f:
        content = f.read()
    try:
        outcome = importing.import_holders(
            content, only_valid=request.POST.get("modo") == "solo_valide", user=request.user
        )
    except importing.FileRefused as exc:
        return _import_error(request, exc)
    if outcome.refused:
        messages.error(
            request,
            _("Nulla importato: il file ha righe non valide. Correggile o importa solo le valide."),
        )
        return redirect("portfolio:import")
    messages.success(
        request,
        _("Titolari importati: %(created)d; già presenti o saltati: %(skipped)d.")
        % {"created": outcome.created, "skipped": outcome.skipped},
    )
    if outcome.boxes:
        messages.success(
            request,
            ngettext(
                "%(n)d casella di altri gestori registrata nel portale.",
                "%(n)d caselle di altri gestori registrate nel portale.",
                outcome.boxes,
            )
            % {"n": outcome.boxes},
        )
    if outcome.to_register:
        # The file stays until the batch registration is confirmed (or another file comes).
        return redirect("portfolio:register_batch")
    _forget_pending(request)
    return redirect("mailboxes:titolare_list")


def _pending_content(request) -> bytes | None:
    name = request.session.get(SESSION_KEY)
    if not name or not default_storage.exists(name):
        return None
    with default_storage.open(name) as f:
        return f.read()


def _batch_id(value: str) -> str:
    try:
        return str(uuid.UUID(value or ""))
    except ValueError:
        return ""


@office_required
@require_http_methods(["GET", "POST"])
def register_batch(request):
    """The imported rows that ask for a new Openapi box: their total price against the wallet
    credit, one confirmation; then (``?lotto=``) the live progress of their registrations."""
    if request.method == "GET" and (batch := _batch_id(request.GET.get("lotto", ""))):
        return render(
            request,
            "portfolio/register_batch.html",
            {"progress": batch_registration.progress(batch)},
        )
    if request.method == "POST":
        batch = _batch_id(request.POST.get("lotto", ""))
        if not batch:
            messages.error(request, _("Richiesta non valida: ricomincia."))
            return redirect("portfolio:import")
        done_url = f"{reverse('portfolio:register_batch')}?lotto={batch}"
        if calls := list(batch_registration.batch_calls(batch)):
            # A repeated confirmation (a double click, a second tab): nothing new recorded.
            messages.info(
                request,
                ngettext(
                    "Registrazione già richiesta con questa conferma per %(n)d casella: nessun "
                    "nuovo addebito.",
                    "Registrazioni già richieste con questa conferma per %(n)d caselle: nessun "
                    "nuovo addebito.",
                    len(calls),
                )
                % {"n": len(calls)},
            )
            return redirect(done_url)
        content = _pending_content(request)
        if content is None:
            if batch_registration.batch_calls(batch).exists():
                return redirect(done_url)  # a concurrent submit of this confirmation took it
            messages.error(request, _("Il file da importare non c'è più: caricalo di nuovo."))
            return redirect("portfolio:import")
        started = batch_registration.start(content, batch=batch, user=request.user)
        _forget_pending(request)
        if started.calls:
            messages.success(
                request,
                ngettext(
                    "Registrazione avviata per %(n)d casella: l'avanzamento è qui sotto.",
                    "Registrazione avviata per %(n)d caselle: l'avanzamento è qui sotto.",
                    len(started.calls),
                )
                % {"n": len(started.calls)},
            )
        for address, reason in started.refused:
            messages.error(request, f"{address}: {reason}")
        return redirect(done_url)
    content = _pending_content(request)
    if content is None:
        messages.error(request, _("Il file da importare non c'è più: caricalo di nuovo."))
        return redirect("portfolio:import")
    try:
        todo = batch_registration.plan(content)
    except importing.FileRefused as exc:
        return _import_error(request, exc)
    if not todo.rows:
        _forget_pending(request)
        messages.info(request, _("Nel file non ci sono caselle da registrare su Openapi."))
        return redirect("mailboxes:casella_list")
    wallet = expiry.wallet_info(limit=0)
    return render(
        request,
        "portfolio/register_batch.html",
        {
            "plan": todo,
            "total_text": euro(todo.total),
            "wallet": wallet,
            "short": wallet.available and wallet.credit < todo.total,
            "lotto": str(uuid.uuid4()),
        },
    )


@office_required
@require_GET
def register_progress(request):
    """htmx: the progress of a batch registration (polls itself while any is open)."""
    batch = _batch_id(request.GET.get("lotto", ""))
    if not batch:
        raise Http404
    return render(
        request,
        "portfolio/partials/register_progress.html",
        {"progress": batch_registration.progress(batch)},
    )


def _too_big() -> str:
    return _("Il file è troppo grande: al massimo %(mb)d MB; dividilo in più file.") % {
        "mb": importing.MAX_BYTES >> 20
    }


def _import_error(request, exc: Exception):
    return render(
        request,
        "portfolio/import.html",
        {"error": str(exc), "max_mb": importing.MAX_BYTES >> 20},
        status=400,
    )


def _forget_pending(request) -> None:
    name = request.session.pop(SESSION_KEY, None)
    if name and name.startswith(f"{PENDING_FOLDER}/"):
        default_storage.delete(name)


@office_required
@require_GET
def import_template(request):
    """The import template, as XLSX or (formato=csv) CSV."""
    if request.GET.get("formato") == "csv":
        response = StreamingHttpResponse(
            export.csv_chunks(importing.template_rows()), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="modello-titolari.csv"'
        return response
    return FileResponse(
        export.xlsx_file(importing.template_rows(), str(gettext_lazy("Titolari"))),
        as_attachment=True,
        filename="modello-titolari.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --------------------------------------------------------------------------- other providers


@office_required
@require_http_methods(["GET", "POST"])
def other_provider_new(request):
    """A box of another provider (Aruba, Register.it...) entered by hand: its expiry is watched
    with the others; nothing of it goes through Openapi."""
    titolari = mailbox_selectors.titolari_for(request.user).order_by("denominazione", "cognome")
    initial = {}
    if pk := object_id(request.GET.get("titolare")):
        initial["titolare"] = titolari.filter(pk=pk).first()
    form = AltroGestoreForm(request.POST or None, titolari=titolari, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            casella = other_providers.add_box(**form.cleaned_data, user=request.user)
        except ValidationError as exc:
            form.add_error("casella_pec", exc.messages[0])
        else:
            messages.success(
                request,
                _("Casella %(address)s di %(gestore)s registrata: il portale ne segue la scadenza.")
                % {"address": casella.casella_pec, "gestore": casella.get_gestore_display()},
            )
            return redirect("mailboxes:casella_detail", pk=casella.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portfolio/other_provider.html", {"form": form}, status=status)
