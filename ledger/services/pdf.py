"""The printable documents of a client, made with ReportLab: the statement of a period (to
send with the office's invoice) and the client summary (boxes, what is left to sign, costs).

Amounts are written the Italian way (1.234,56 €); the PDF's text is extractable (tests read it
back with pypdf)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .statement import Prospetto, euro, it_number

_STYLES = getSampleStyleSheet()
H1 = _STYLES["Heading1"]
H2 = _STYLES["Heading2"]
BODY = _STYLES["BodyText"]
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10, textColor=colors.grey)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=9, leading=11)

_TABLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f4f6")]),
    ]
)


def _p(text: str, style=CELL) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _date(moment) -> str:
    return date_format(moment, "d/m/Y") if moment else "—"


def _holder_block(titolare) -> list:
    lines = [
        f"<b>{escape(titolare.display_name)}</b>",
        escape(_("Codice fiscale: %(cf)s") % {"cf": titolare.codice_fiscale}),
    ]
    if titolare.partita_iva:
        lines.append(escape(_("Partita IVA: %(piva)s") % {"piva": titolare.partita_iva}))
    lines.append(
        escape(f"{titolare.indirizzo}, {titolare.cap} {titolare.comune} ({titolare.provincia})")
    )
    return [Paragraph("<br/>".join(lines), BODY), Spacer(1, 6 * mm)]


def _build(story: list, title: str) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=str(settings.PORTAL_NAME),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(
            18 * mm,
            10 * mm,
            f"{settings.PORTAL_NAME} · {_('pagina %(n)d') % {'n': document.page}}",
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _costs_table(p: Prospetto) -> list:
    rows = [[_("Data"), _("Casella"), _("Operazione"), _("Importo")]]
    for r in p.righe:
        rows.append(
            [
                _date(timezone.localtime(r.entry.addebitato_il)),
                _p(r.entry.indirizzo or "—"),
                _p(r.entry.get_operazione_display()),
                euro(r.netto),
            ]
        )
    rows += [
        ["", "", _("Totale imponibile"), euro(p.netto)],
        ["", "", _("IVA %(rate)s%%") % {"rate": it_number(p.iva_percent)}, euro(p.iva)],
        ["", "", _("Totale"), euro(p.lordo)],
    ]
    table = Table(rows, colWidths=[24 * mm, 70 * mm, 50 * mm, 30 * mm], repeatRows=1)
    style = TableStyle(_TABLE.getCommands())
    n = len(rows)
    style.add("ALIGN", (3, 0), (3, -1), "RIGHT")
    style.add("LINEABOVE", (2, n - 3), (-1, n - 3), 0.6, colors.black)
    style.add("FONTNAME", (2, n - 1), (-1, n - 1), "Helvetica-Bold")
    style.add("ROWBACKGROUNDS", (0, n - 3), (-1, -1), [colors.white])
    table.setStyle(style)
    return [table]


def statement_pdf(p: Prospetto) -> bytes:
    """The statement of ``p``: the holder, the period, each charge with its billed net, the
    totals net, VAT and gross."""
    title = _("Prospetto dei costi PEC")
    story = [
        Paragraph(escape(str(settings.PORTAL_NAME)), SMALL),
        Paragraph(escape(title), H1),
        Paragraph(escape(_("Periodo: %(periodo)s") % {"periodo": p.periodo}), BODY),
        Spacer(1, 4 * mm),
        *_holder_block(p.titolare),
    ]
    if p.righe:
        story += _costs_table(p)
    else:
        story.append(Paragraph(escape(_("Nessun costo nel periodo.")), BODY))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(
            escape(_("Importi in euro. Documento allegato alla fattura: non è una fattura.")),
            SMALL,
        ),
    ]
    return _build(story, f"{title} – {p.titolare.display_name}")


def summary_pdf(p: Prospetto, boxes: Iterable, to_sign: list[str]) -> bytes:
    """The client summary: their boxes with expiry and status, what they still have to sign,
    and the costs of the period."""
    title = _("Riepilogo del cliente")
    story = [
        Paragraph(escape(str(settings.PORTAL_NAME)), SMALL),
        Paragraph(escape(title), H1),
        Paragraph(
            escape(_("Aggiornato al %(date)s") % {"date": _date(timezone.localdate())}), BODY
        ),
        Spacer(1, 4 * mm),
        *_holder_block(p.titolare),
        Paragraph(escape(_("Caselle PEC")), H2),
    ]
    rows = [[_("Indirizzo"), _("Tipo"), _("Stato"), _("Scadenza")]]
    for c in boxes:
        rows.append(
            [
                _p(c.casella_pec),
                _p(c.get_tipo_casella_display()),
                _p(c.get_stato_display()),
                _date(c.data_scadenza),
            ]
        )
    if len(rows) > 1:
        table = Table(rows, colWidths=[75 * mm, 30 * mm, 45 * mm, 24 * mm], repeatRows=1)
        table.setStyle(_TABLE)
        story.append(table)
    else:
        story.append(Paragraph(escape(_("Nessuna casella.")), BODY))
    story.append(Paragraph(escape(_("Da firmare")), H2))
    if to_sign:
        for item in to_sign:
            story.append(Paragraph("• " + escape(item), BODY))
    else:
        story.append(Paragraph(escape(_("Nulla da firmare.")), BODY))
    story.append(Paragraph(escape(_("Costi del periodo %(periodo)s") % {"periodo": p.periodo}), H2))
    if p.righe:
        story += _costs_table(p)
    else:
        story.append(Paragraph(escape(_("Nessun costo nel periodo.")), BODY))
    return _build(story, f"{title} – {p.titolare.display_name}")
