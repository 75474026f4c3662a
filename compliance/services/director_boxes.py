"""A campaign's directors without a PEC: each gets a holder (prefilled from the Registro
Imprese) and a box registered through the mailboxes app's own registration service (POST /pec,
one at-most-once intent per director, ``compliance:<campaign>:<company>:pec``); once the box
is active (evasa) the director's comunica is filed with the company's comunica intent
(``compliance:<campaign>:<company>``): filing.advance, run by a periodic task."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from comunica.models import RichiestaComunicazione, StatoRichiesta
from mailboxes.models import Casella, Stato, Titolare
from mailboxes.services import registration
from openapi_pec import prices
from openapi_pec.types import TipoCasella, TipoCliente

from ..choices import Kind
from ..models import CampaignItem, CompanyCheck, Finding

#: The boxes' type a campaign proposes.
DEFAULT_TIPO = TipoCasella.STANDARD.value
#: States of a director's box that will never become active: the campaign item stops there.
#: (A registration refused, non_registrata, can be retried from the box's page: it waits.)
ENDED = (Stato.REVOCATA, Stato.CHIUSA, Stato.REGISTRAZIONE_ANNULLATA)
#: Boxes not counted as the director's PEC when the campaign looks for one.
DEAD = (Stato.NON_REGISTRATA, *ENDED)


@dataclass
class NewBox:
    """A company whose obliged director has no PEC in the portal: the director as the
    Registro Imprese gives them, and (once the office filled them in) the box's details."""

    titolare: Titolare
    director: dict
    requester: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    casella_pec: str = ""

    @property
    def name(self) -> str:
        return f"{self.director.get('nome', '')} {self.director.get('cognome', '')}".strip()


def live_items():
    """Campaign items still under way: a box being registered, a filing not yet made, or a
    filing made and not yet evasa (before the findings are recomputed, the company would
    otherwise be offered, and charged, again)."""
    return CampaignItem.objects.filter(problem="").exclude(
        richiesta__stato=StatoRichiesta.COMUNICAZIONE_EVASA
    )


def waiting_holders():
    """Companies a campaign is already handling: no second campaign takes them."""
    return live_items().values("titolare")


class Refused(Exception):
    """A director's box the registration service would not record (its message in Italian):
    the campaign is not started, nothing of it is kept."""

    def __init__(self, titolare_pk: int, messages: list[str]):
        super().__init__(" ".join(messages))
        self.titolare_pk = titolare_pk
        self.messages = messages


def candidates(holders) -> list[NewBox]:
    """The companies whose director has no PEC in the portal (and no campaign under way)."""
    pks = (
        Finding.objects.filter(kind=Kind.DIRECTOR_NO_PEC, titolare__in=holders)
        .exclude(titolare__in=waiting_holders())
        .values_list("titolare", flat=True)
    )
    checks = CompanyCheck.objects.filter(titolare__in=pks).select_related("titolare")
    out = [NewBox(c.titolare, c.director) for c in checks if c.director]
    return sorted(out, key=lambda b: (b.titolare.denominazione, b.titolare.pk))


def box_price(tipo_casella: str):
    """Charged when the box is registered: its first year."""
    return registration.registration_price(tipo_casella)


def yearly_price(tipo_casella: str):
    """Charged at each expiry when the box renews automatically: one more year."""
    return prices.price(prices.Operation.RINNOVO, tipo_casella)


def _director_holder(director: dict, details: dict, company: Titolare) -> Titolare:
    """The director as a holder: found by codice fiscale, else created from the Registro
    Imprese's data and the office's details (blank fields of a known one are completed)."""
    cf = director["codice_fiscale"].upper()
    person = Titolare.objects.select_for_update().filter(codice_fiscale__iexact=cf).first()
    if person is None:
        return Titolare.objects.create(
            tipo_cliente=TipoCliente.PRIVATO.value,
            nome=director.get("nome", ""),
            cognome=director.get("cognome", ""),
            codice_fiscale=cf,
            nazione="IT",
            note=_("Amministratore di %(company)s") % {"company": company.display_name},
            **details,
        )
    changed = [name for name, value in details.items() if value and not getattr(person, name)]
    for name in changed:
        setattr(person, name, details[name])
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
    return person


def _known_box(person: Titolare) -> Casella | None:
    """A box the director already has in the portal (registered meanwhile, or by another
    campaign's double): used rather than registering a second one."""
    return person.caselle.exclude(stato__in=DEAD).order_by("-created_at").first()


def register(*, item: CampaignItem, new: NewBox, user) -> None:
    """Record the director's holder and box registration (one intent per campaign and
    company: a repeated confirmation gives back the same box), with the campaign's automatic
    renewal choice. Sets ``item.casella``; raises :class:`Refused` when it cannot be
    registered (the caller's transaction then keeps nothing)."""
    campaign = item.campaign
    intent_key = f"compliance:{campaign.key}:{item.titolare_id}:pec"
    if recorded := registration.registration_intent(intent_key):
        item.casella = recorded.casella
        return
    requester = {
        **new.requester,
        # who the director is comes from the Registro Imprese, not from the form
        "codice_fiscale": new.director["codice_fiscale"].upper(),
    }
    try:
        with transaction.atomic():
            person = _director_holder(new.director, new.details, item.titolare)
            if box := _known_box(person):
                item.casella = box
                return
            call = registration.request_registration(
                titolare=person,
                tipo_casella=campaign.tipo_casella,
                casella_pec=new.casella_pec,
                richiedente=requester,
                autorinnovo=campaign.autorinnovo,
                intent_key=intent_key,
                user=user,
            )
    except ValidationError as exc:
        raise Refused(item.titolare_id, exc.messages) from exc
    item.casella = call.casella


def filed_for(box: Casella, company: Titolare) -> RichiestaComunicazione | None:
    """The company's comunica of this director's box already in the portal (filed by hand
    meanwhile). Another company's (the same person directs both) is not this one's."""
    codes = [c for c in (company.partita_iva, company.codice_fiscale) if c]
    return (
        RichiestaComunicazione.objects.filter(
            casella_pec__iexact=box.casella_pec, pec_amministratore=True, cf_piva__in=codes
        )
        .exclude(stato=StatoRichiesta.NON_INVIATA)
        .first()
    )
