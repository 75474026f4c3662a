"""Filing the director's PEC (comunica_pec with ``pec_amministratore``) through the comunica
app's own creation service, one company at a time or as a campaign for many: one
at-most-once intent per company (ComunicaCall, portal/remote_calls.py), the total cost shown
before, the progress read from the requests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from comunica.forms import RichiestaForm
from comunica.services import creation
from mailboxes.models import Casella, Stato, Titolare
from openapi_pec.types import Qualifica

from ..choices import Kind
from ..models import Campaign, CampaignItem, CompanyCheck, Finding
from . import director_boxes
from .findings import LIVE


@dataclass
class Filing:
    """What the comunica request for one company's director would hold."""

    titolare: Titolare
    director_box: Casella | None
    data: dict
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def director_box(check: CompanyCheck) -> tuple[Titolare | None, Casella | None]:
    cf = (check.director or {}).get("codice_fiscale", "")
    person = Titolare.objects.filter(codice_fiscale__iexact=cf).first() if cf else None
    box = None
    if person is not None:
        box = person.caselle.filter(stato__in=LIVE).order_by("-created_at").first()
    return person, box


def filing_for(titolare: Titolare, box: Casella | None = None) -> Filing:
    """The request's fields, prefilled from the company, its registered PEC, the director
    (from the Registro Imprese) and the director's box (``box``, else the one found) and
    holder in the portal."""
    check = CompanyCheck.objects.filter(titolare=titolare).first()
    if check is None or not check.director:
        return Filing(titolare, None, {}, _("Nessun amministratore noto: verificare l'impresa."))
    director = check.director
    if box is None:
        person, box = director_box(check)
    else:
        person = box.titolare
    if box is None:
        return Filing(titolare, None, {}, _("L'amministratore non ha ancora una PEC nel portale."))
    company_box = titolare.caselle.filter(stato="evasa").order_by("-created_at").first()
    requester = getattr(box, "richiedente", None)
    data = {
        "pec_amministratore": "1",
        "titolare": titolare.pk,
        "casella": box.pk,
        "casella_pec": box.casella_pec,
        "pec_impresa": check.registered_pec or (company_box.casella_pec if company_box else ""),
        "ragione_sociale": titolare.denominazione or titolare.display_name,
        "cf_piva": titolare.partita_iva or titolare.codice_fiscale,
        "comune": titolare.comune,
        "provincia": titolare.provincia,
        "nome": director.get("nome", ""),
        "cognome": director.get("cognome", ""),
        "cf": director.get("codice_fiscale", ""),
        "qualifica": Qualifica.AMMINISTRATORE.value,
        "email": person.email or (requester.email if requester else "") or titolare.email,
        "cellulare": person.telefono
        or (requester and (requester.cellulare or requester.telefono))
        or "",
    }
    return Filing(titolare, box, data)


def validated(filing: Filing) -> tuple[dict | None, str]:
    """The request's model data as the comunica form accepts it, or why not."""
    form = RichiestaForm(filing.data)
    if not form.is_valid():
        fields = ", ".join(str(form.fields[f].label) for f in form.errors if f in form.fields)
        return None, _("Dati mancanti o non validi: %(fields)s.") % {"fields": fields or "—"}
    return {k: v for k, v in form.cleaned_data.items() if k not in ("titolare", "casella")}, ""


def candidates(holders) -> list[Filing]:
    """The companies whose director has a PEC of their own in the portal, not filed yet."""
    pks = (
        Finding.objects.filter(kind=Kind.DIRECTOR_PEC_TO_FILE, titolare__in=holders)
        .exclude(titolare__in=director_boxes.waiting_holders())
        .values_list("titolare", flat=True)
    )
    out = []
    for titolare in Titolare.objects.filter(pk__in=pks).order_by("denominazione"):
        filing = filing_for(titolare)
        if filing.ok:
            _data, filing.problem = validated(filing)
        out.append(filing)
    return out


def total_cost(count: int, boxes: int = 0, tipo_casella: str = "") -> Decimal:
    """``count`` filings, ``boxes`` of them with a box of ``tipo_casella`` to register first."""
    total = creation.price() * count
    if boxes:
        total += director_boxes.box_price(tipo_casella) * boxes
    return total


def campaign_of(titolari) -> Campaign | None:
    """The campaign already handling every one of these companies (the same confirmation sent
    from a second tab, with its own key), or None."""
    pks = {t.pk for t in titolari}
    if not pks:
        return None
    live = director_boxes.live_items().filter(titolare__in=pks)
    for campaign_pk in live.values_list("campaign", flat=True).distinct():
        if set(live.filter(campaign=campaign_pk).values_list("titolare", flat=True)) == pks:
            return Campaign.objects.get(pk=campaign_pk)
    return None


def start_campaign(
    *,
    titolari: list[Titolare],
    user,
    key: str,
    boxes: list[director_boxes.NewBox] = (),
    tipo_casella: str = "",
    autorinnovo: bool = False,
) -> Campaign:
    """Record the campaign and, per company, its comunica request and POST intent (sent at
    most once by the comunica app's task); for a director with no PEC (``boxes``), first the
    registration of their box (the filing follows once it is active), renewed automatically
    when ``autorinnovo``. All or nothing: a director's box refused (:class:`Refused`) keeps
    nothing. The same ``key`` again (a double submit), or the same companies already in a
    campaign under way (a second tab), gives back that campaign, with no new request."""
    existing = Campaign.objects.filter(key=key).first()
    if existing is not None:
        return existing
    tipo = tipo_casella or director_boxes.DEFAULT_TIPO
    companies = [*titolari, *(new.titolare for new in boxes)]
    with transaction.atomic():
        # one confirmation at a time for these companies (two tabs sent together)
        list(Titolare.objects.select_for_update().filter(pk__in=[t.pk for t in companies]))
        if (same := campaign_of(companies)) is not None:
            return same
        try:
            with transaction.atomic():
                campaign = Campaign.objects.create(
                    key=key,
                    created_by=user,
                    price_each=creation.price(),
                    tipo_casella=tipo if boxes else "",
                    box_price=director_boxes.box_price(tipo) if boxes else 0,
                    autorinnovo=bool(boxes) and autorinnovo,
                )
        except IntegrityError:
            return Campaign.objects.get(key=key)
        for new in boxes:
            item = CampaignItem(campaign=campaign, titolare=new.titolare)
            director_boxes.register(item=item, new=new, user=user)
            item.save()
        for titolare in titolari:
            item = CampaignItem(campaign=campaign, titolare=titolare)
            file_company(item, filing_for(titolare), user=user)
            item.save()
    return campaign


def file_company(item: CampaignItem, filing: Filing, *, user) -> None:
    """The company's comunica request (intent ``compliance:<campaign>:<company>``): sets
    ``item.richiesta``, or ``item.problem`` when it cannot be made."""
    data, problem = validated(filing) if filing.ok else (None, filing.problem)
    if data is None:
        item.problem = problem[:300]
        return
    try:
        created = creation.create_richiesta(
            data=data,
            user=user,
            intent_key=f"compliance:{item.campaign.key}:{item.titolare_id}",
            titolare=item.titolare,
            casella=filing.director_box,
        )
    except ValidationError as exc:
        if item.casella_id and getattr(exc, "code", "") == "in_flight":
            # the same director's box being filed for another company they direct: this
            # company's filing waits for the next round
            return
        item.problem = " ".join(exc.messages)[:300]
    else:
        item.richiesta = created.richiesta


def file_item(item: CampaignItem) -> int:
    """A campaign item whose director's box is now active: its filing, made once (or the
    director's request already in the portal, linked). Returns 1 when a request was linked."""
    box = item.casella
    richiesta = director_boxes.filed_for(box, item.titolare)
    if richiesta is None:
        file_company(item, filing_for(item.titolare, box), user=item.campaign.created_by)
    else:
        item.richiesta = richiesta
    linked = CampaignItem.objects.filter(pk=item.pk, richiesta=None, problem="").update(
        richiesta=item.richiesta, problem=item.problem
    )
    return int(bool(linked and item.richiesta))


def advance() -> int:
    """Per campaign item whose director's box is now active: file its comunica (once); a box
    that will never be active ends the item with its reason. Returns how many were filed.
    It only reads the database and records intents: running it twice changes nothing."""
    filed = 0
    items = CampaignItem.objects.filter(richiesta=None, problem="").exclude(casella=None)
    for item in items.select_related("campaign", "casella", "titolare"):
        box = item.casella
        if box.stato in director_boxes.ENDED:
            reason = box.last_error or _("La casella dell'amministratore non è stata attivata.")
            CampaignItem.objects.filter(pk=item.pk, richiesta=None).update(problem=reason[:300])
        elif box.stato == Stato.EVASA:
            filed += file_item(item)
    return filed
