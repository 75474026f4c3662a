"""The cost pages: the clients' costs of a period, the office's ledger reconciled with the
wallet, a client's statement (page, CSV, XLSX, PDF) and the printable client summary."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import office_required, portal_user_required
from openapi_pec import errors
from portal.openapi import get_client
from portal.params import object_id
from portfolio.services import export

from . import selectors
from .forms import PeriodoForm
from .services import pdf, reconcile, recording, statement

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Entries shown on the ledger page (the export has them all).
PAGE = 500


def _periodo(request) -> tuple[PeriodoForm, statement.Periodo]:
    """The period the page asks for; the charges are recorded up to now before it is read."""
    form = PeriodoForm(request.GET or None)
    recording.record_charges()
    return form, form.periodo()


def _period_query(periodo: statement.Periodo) -> str:
    return urlencode({"dal": periodo.dal.isoformat(), "al": periodo.al.isoformat()})


def _table_response(table, name: str, title: str, formato: str):
    if formato == "xlsx":
        return FileResponse(
            export.xlsx_file(table, title),
            as_attachment=True,
            filename=f"{name}.xlsx",
            content_type=XLSX,
        )
    response = StreamingHttpResponse(export.csv_chunks(table), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _pdf_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@portal_user_required
@require_GET
def index(request):
    """The clients charged something in the period, with the list total of each."""
    form, periodo = _periodo(request)
    holders = list(selectors.holders_with_costs(request.user, periodo)[:1000])
    return render(
        request,
        "ledger/index.html",
        {
            "form": form,
            "periodo": periodo,
            "holders": holders,
            "query": _period_query(periodo),
            "totale": sum((h.costo for h in holders), statement.ZERO),
        },
    )


@office_required
@require_GET
def registro(request):
    """Every charge of the period, reconciled with the wallet's movements."""
    form, periodo = _periodo(request)
    titolare = object_id(request.GET.get("titolare"))
    solo = request.GET.get("solo", "")
    qs = selectors.ledger(request.user, periodo, titolare=titolare, solo=solo)
    formato = request.GET.get("formato")
    if formato in ("csv", "xlsx"):
        table = selectors.ledger_rows(qs, for_csv=formato == "csv")
        name = f"costi-{periodo.dal:%Y%m%d}-{periodo.al:%Y%m%d}"
        return _table_response(table, name, _("Costi"), formato)
    entries = list(qs[:PAGE])
    return render(
        request,
        "ledger/registro.html",
        {
            "form": form,
            "periodo": periodo,
            "entries": entries,
            "count": qs.count() if len(entries) == PAGE else len(entries),
            "totale": selectors.totals(qs),
            "senza_movimento": selectors.ledger(
                request.user, periodo, solo="senza_movimento"
            ).count(),
            "senza_titolare": selectors.ledger(
                request.user, periodo, solo="senza_titolare"
            ).count(),
            "non_spiegati": selectors.unexplained(periodo),
            "lettura": selectors.last_read(),
            "solo": solo,
            "query": request.GET.urlencode(),
        },
    )


@office_required
@require_POST
def riconcilia(request):
    """Read the wallet's movements over the period and pair them with the charges."""
    form = PeriodoForm(request.POST)
    if not form.is_valid():
        # a period the page never offers (tampered or typed): nothing read, nothing paired
        reasons = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, _("Periodo non valido: %(reason)s") % {"reason": reasons})
        return redirect("ledger:registro")
    periodo = form.periodo()
    try:
        esito = reconcile.reconcile(get_client(), periodo.start)
    except errors.AuthError:
        messages.error(
            request,
            _("Le credenziali configurate non permettono di leggere i movimenti del conto."),
        )
    except errors.OpenapiError:
        messages.error(request, _("Openapi non risponde: movimenti del conto non letti, riprova."))
    else:
        messages.success(
            request,
            _(
                "Letti %(letti)d movimenti del conto (%(nuovi)d nuovi); %(abbinati)d addebiti "
                "abbinati."
            )
            % {"letti": esito.letti, "nuovi": esito.nuovi, "abbinati": esito.abbinati},
        )
    return redirect(f"{reverse('ledger:registro')}?{_period_query(periodo)}")


def _statement(request, pk: int):
    """The client (if the user may see it), the period asked for and the client's statement."""
    titolare = get_object_or_404(selectors.titolari_for(request.user), pk=pk)
    form, periodo = _periodo(request)
    return titolare, form, periodo, statement.prospetto(titolare, periodo)


@portal_user_required
@require_GET
def prospetto(request, pk: int):
    """A client's statement for the period: page, CSV, XLSX or PDF (``formato``)."""
    titolare, form, periodo, p = _statement(request, pk)
    formato = request.GET.get("formato")
    name = (
        f"prospetto-{slugify(titolare.display_name)[:40]}-{periodo.dal:%Y%m%d}-{periodo.al:%Y%m%d}"
    )
    if formato in ("csv", "xlsx"):
        table = statement.statement_rows(p, for_csv=formato == "csv")
        return _table_response(table, name, _("Prospetto"), formato)
    if formato == "pdf":
        return _pdf_response(pdf.statement_pdf(p), name)
    return render(
        request,
        "ledger/prospetto.html",
        {"form": form, "p": p, "titolare": titolare, "query": _period_query(periodo)},
    )


@portal_user_required
@require_GET
def riepilogo(request, pk: int):
    """The printable client summary (PDF): boxes, what is left to sign, the period's costs."""
    titolare, _form, _period, p = _statement(request, pk)
    content = pdf.summary_pdf(p, selectors.boxes_of(titolare), selectors.to_sign(titolare))
    return _pdf_response(content, f"riepilogo-{slugify(titolare.display_name)[:40]}")
