"""The box columns of an import: a row may carry, besides its holder (new or already in the
portal), one box: of another provider (created at once, its expiry watched) or a new Openapi
box (registered afterwards, in one batch the user confirms with its total price).

Each field is judged as the forms judge it (the requester through the registration's own form),
with the reason per field; dates may be dd/mm/yyyy, yyyy-mm-dd or Excel serial numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from mailboxes.choices import NO_TYPE, Gestore
from mailboxes.forms import RichiedenteForm
from mailboxes.models import Casella, Evento, Stato, TipoCasellaChoices, TipoEvento
from mailboxes.services.address import expected_domain
from mailboxes.services.registration import registration_price
from portal import history
from portal.history import Sentence
from portal.search import fold

from . import columns
from .other_providers import ADDED, expiry_problem

#: What a row asks for its box.
OTHER, REGISTER = "altro_gestore", "registra"

BOX_COLUMNS = columns.BOX
REQUESTER_FIELDS = columns.REQUESTER_FIELDS
REQUESTER_COLUMNS = columns.REQUESTER
COLUMNS = BOX_COLUMNS + REQUESTER_COLUMNS
#: What importing reads into a row's box: its columns, and those the boxes export adds for
#: reading (state, activation date, Openapi id), which are never written.
INFO_KEYS = columns.INFO_KEYS
KEYS = {c.field for c in COLUMNS} | INFO_KEYS
DATE_KEYS = {"data_scadenza", "r_data_nascita", "r_data_rilascio_documento"}
DATE_KEYS |= {"r_data_scadenza_documento"}
PROVIDERS = dict(columns.PROVIDERS)
TYPES = dict(columns.TYPES)
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
#: Excel's serial numbers of plausible dates (1900 to 2199).
SERIALS = range(1, 109575)
YES = {"si", "sì", "s", "yes", "y", "x", "1", "true", "vero"}
NO = {"no", "n", "0", "false", "falso", ""}


def date_text(value: Any) -> str:
    """A date cell as dd/mm/yyyy (a date, an Excel serial number, or text in a known format);
    other text as it is, for the reason to quote."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value if value is not None else "").strip()
    if (isinstance(value, int | float) and not isinstance(value, bool)) or text.isdigit():
        try:
            number = float(value) if not isinstance(value, str) else int(text)
        except (TypeError, ValueError):
            return text
        if int(number) in SERIALS:
            return from_excel(number).date().strftime("%d/%m/%Y")
        return text
    parsed = parse_date(text)
    return parsed.strftime("%d/%m/%Y") if parsed else text[:40]


def parse_date(text: str) -> dt.date | None:
    for form in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def has_box(box: dict[str, str]) -> bool:
    return any(v for k, v in box.items() if k not in INFO_KEYS)


#: The providers by their folded value or name (and a few short forms).
PROVIDERS |= {"register it": Gestore.REGISTER, "aruba pec": Gestore.ARUBA}
PROVIDERS |= {"infocert": Gestore.INFOCERT, "poste": Gestore.POSTE, "": Gestore.OPENAPI}
TYPES |= {fold(v.removeprefix("Legalmail ")): v for v in TYPES.values()}


def known_boxes(addresses: Iterable[str]) -> dict[str, str]:
    """address -> the codice fiscale of its holder ("" without one), for the boxes of the
    portal among ``addresses``."""
    out: dict[str, str] = {}
    # an address with a NUL is no box's (and PostgreSQL refuses it in a query)
    wanted = sorted({a for a in addresses if a and "\x00" not in a})
    for i in range(0, len(wanted), 900):
        rows = Casella.objects.filter(casella_pec__in=wanted[i : i + 900]).values_list(
            "casella_pec", "titolare__codice_fiscale"
        )
        out.update((address, cf or "") for address, cf in rows)
    return out


def judge(row, code: str, known: dict[str, str], seen: dict[str, int]) -> None:
    """Judge the box of ``row`` (whose holder has codice fiscale ``code``): its errors go in
    ``row.errors``; ``row.action`` and ``row.box_clean`` say what importing it does;
    ``row.box_present``: the same box of the same holder is already in the portal."""
    box = row.box
    label = {c.field: str(c.header) for c in COLUMNS}
    address = box.get("casella_pec", "").strip().lower()

    def error(key: str, message: str) -> None:
        row.errors.setdefault(label[key], []).append(message)

    if not address:
        error("casella_pec", _("Manca l'indirizzo della casella (la riga ha dati di casella)."))
        return
    try:
        validate_email(address)
    except ValidationError:
        error("casella_pec", _("«%(value)s» non è un indirizzo PEC valido.") % {"value": address})
        return
    if address in seen:
        error(
            "casella_pec",
            _("Casella ripetuta: è già alla riga %(n)d del file.") % {"n": seen[address]},
        )
        return
    seen[address] = row.number
    if address in known:
        if known[address] == code:
            # the same box of the same holder (or, both without one, an unassigned box)
            row.box_present = True
        else:
            error(
                "casella_pec",
                _("La casella è già nel portale con un altro titolare.")
                if known[address]
                else _("La casella è già nel portale, senza titolare: collegala a un titolare."),
            )
        return
    if not code:
        error("casella_pec", _("Manca il titolare della casella: scrivi il suo codice fiscale."))
        return
    gestore = PROVIDERS.get(fold(box.get("gestore", "")))
    if gestore is None:
        error(
            "gestore",
            _(
                "Gestore sconosciuto «%(value)s»: scrivi Openapi (o lascia vuoto) oppure uno "
                "di: %(names)s."
            )
            % {
                "value": box.get("gestore", ""),
                "names": ", ".join(str(label) for v, label in Gestore.choices if v != "openapi"),
            },
        )
        return
    if gestore == Gestore.OPENAPI and box.get("remote_id"):
        # A row of a boxes export: the box is on Openapi already, never registered again.
        error(
            "casella_pec",
            _(
                "La casella è già registrata su Openapi ma non è nel portale: non si registra "
                "di nuovo; la sincronizzazione con Openapi la riporta nel portale."
            ),
        )
    elif gestore == Gestore.OPENAPI:
        _judge_registration(row, address, error)
    else:
        _judge_other(row, address, gestore, error)


def _judge_other(row, address: str, gestore: str, error) -> None:
    text = row.box.get("data_scadenza", "")
    expiry = parse_date(text) if text else None
    if not text:
        error("data_scadenza", _("Manca la scadenza della casella (gg/mm/aaaa)."))
    elif expiry is None:
        message = _("Data non valida «%(value)s»: scrivi gg/mm/aaaa.") % {"value": text}
        error("data_scadenza", message)
    elif problem := expiry_problem(expiry):
        error("data_scadenza", problem)
    if row.errors:
        return
    row.action = OTHER
    row.box_clean = {"casella_pec": address, "gestore": gestore, "data_scadenza": expiry}


def _judge_registration(row, address: str, error) -> None:
    box = row.box
    tipo = TYPES.get(fold(box.get("tipo_casella", "")))
    if tipo is None:
        error(
            "tipo_casella",
            _("Tipo di casella «%(value)s» sconosciuto: scrivi uno di %(names)s.")
            % {"value": box.get("tipo_casella", ""), "names": ", ".join(TipoCasellaChoices.values)},
        )
    else:
        local, domain = address.split("@", 1)
        expected = expected_domain(tipo)
        if len(local) < 3:
            error("casella_pec", _("Il nome della casella (prima di @) ha almeno 3 caratteri."))
        elif domain != expected:
            error(
                "casella_pec",
                _("Per una casella %(tipo)s l'indirizzo deve finire in @%(domain)s.")
                % {"tipo": tipo, "domain": expected},
            )
    auto = fold(box.get("autorinnovo", ""))
    if auto not in YES | NO:
        error("autorinnovo", _("Scrivi sì o no."))
    form = RichiedenteForm(data={f: box.get(f"r_{f}", "") for f in REQUESTER_FIELDS})
    if not form.is_valid():
        for name, messages in form.errors.items():
            # the form's own checks across fields are about the codice fiscale
            key = f"r_{name}" if name in REQUESTER_FIELDS else "r_codice_fiscale"
            for message in messages:
                error(key, message)
    if row.errors:
        return
    row.action = REGISTER
    row.price = registration_price(tipo)
    row.box_clean = {
        "casella_pec": address,
        "tipo_casella": tipo,
        "autorinnovo": auto in YES,
        "richiedente": form.cleaned_data,
    }


def create_other_boxes(rows: list, holders: dict[str, int], *, user) -> int:
    """Create the other providers' boxes of ``rows`` (their holders' pks by codice fiscale in
    ``holders``), with their history line; an address created meanwhile is skipped."""
    boxes = [
        Casella(
            titolare_id=holders[r.code],
            casella_pec=r.box_clean["casella_pec"],
            gestore=r.box_clean["gestore"],
            tipo_casella=NO_TYPE,
            stato=Stato.EVASA,
            data_scadenza=r.box_clean["data_scadenza"],
        )
        for r in rows
        if r.code in holders
    ]
    Casella.objects.bulk_create(boxes, batch_size=500, ignore_conflicts=True)
    addresses = [b.casella_pec for b in boxes]
    created = []
    for i in range(0, len(addresses), 900):
        created += Casella.objects.filter(
            casella_pec__in=addresses[i : i + 900], eventi__isnull=True
        ).exclude(gestore=Gestore.OPENAPI)
    now = timezone.now()
    Evento.objects.bulk_create(
        [
            Evento(
                casella=c,
                at=now,
                tipo=TipoEvento.IMPORT,
                **history.stored(Sentence(ADDED, gestore=Gestore(c.gestore).label)),
                a_stato=Stato.EVASA,
                user=user,
            )
            for c in created
        ],
        batch_size=1000,
    )
    return len(created)


def total_price(rows) -> Decimal:
    return sum((r.price for r in rows if r.action == REGISTER), Decimal("0"))
