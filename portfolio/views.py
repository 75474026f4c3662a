"""The portfolio's pages: adopting the imported boxes, exporting the lists, importing holders."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import office_required, portal_user_required
from mailboxes import selectors as mailbox_selectors
from portal.params import object_id

from . import selectors
from .services import adoption, export


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
