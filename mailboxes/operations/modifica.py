"""More space: PATCH /pec/{id}/modifica, for an active Legalmail box; upgrades only, in
multiples of 1024 MB (512 for preservation). ABSOLUTE sizes are sent (current + added, computed
when the intent is recorded), so a repeat can never add twice. Confirmed when every size reached
its target."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openapi_pec import prices
from portal.history import Sentence

from ..models import Casella, CasellaCall
from .conservazione import MAX_MB as MAX_PRESERVATION_MB
from .conservazione import STEP as PRESERVATION_STEP
from .declare import declare
from .forms import AdminBatchForm, OperationForm, size_choices
from .handlers import OperationHandler, not_allowed
from .intents import once, record_intent, refuse
from .pricing import cost_text
from .rules import ALLOWED, Verdict, active_legalmail

KIND = "modifica"
DISK_STEP = 1024
#: Largest space (MB) one request may add, per field: a typo cannot cost a fortune.
MAX_ADD_MB = 20 * 1024

SIZE_LABELS = {
    "spazio_disco": gettext_lazy("spazio casella"),
    "spazio_storico": gettext_lazy("spazio archivio"),
    "spazio_conservazione": gettext_lazy("spazio conservazione"),
}


def modifica_price(*, disco_mb: int = 0, storico_mb: int = 0, conservazione_mb: int = 0):
    return prices.price(
        prices.Operation.MODIFICA,
        disco_mb=disco_mb,
        storico_mb=storico_mb,
        conservazione_mb=conservazione_mb,
    )


def price_of(casella: Casella, values: dict[str, Any]) -> Decimal:
    return modifica_price(
        disco_mb=values.get("disco_add") or 0,
        storico_mb=values.get("storico_add") or 0,
        conservazione_mb=values.get("conservazione_add") or 0,
    )


def allowed(casella: Casella) -> Verdict:
    if not (verdict := active_legalmail(casella)):
        return verdict
    if casella.spazio_disco is None and casella.spazio_storico is None:
        return Verdict(False, _("Spazio attuale sconosciuto: aggiorna lo stato da Openapi."))
    return ALLOWED


def modifica_targets(
    casella: Casella, *, disco_add: int = 0, storico_add: int = 0, conservazione_add: int = 0
) -> dict[str, int]:
    """The ABSOLUTE sizes to send for the space to add (validated; raises ValidationError)."""
    out: dict[str, int] = {}
    for name, add, step, cap, current in (
        ("spazio_disco", disco_add, DISK_STEP, MAX_ADD_MB, casella.spazio_disco),
        ("spazio_storico", storico_add, DISK_STEP, MAX_ADD_MB, casella.spazio_storico),
        (
            "spazio_conservazione",
            conservazione_add,
            PRESERVATION_STEP,
            MAX_PRESERVATION_MB,
            casella.spazio_conservazione,
        ),
    ):
        try:
            add = int(add or 0)
        except (TypeError, ValueError):
            raise refuse(_("Spazio non valido."), "size") from None
        if add == 0:
            continue
        if add < 0:
            raise refuse(_("Si può solo aumentare lo spazio, non ridurlo."), "size")
        if add % step:
            raise refuse(
                _("Lo spazio si aggiunge a multipli di %(step)d MB.") % {"step": step}, "size"
            )
        if add > cap:
            raise refuse(
                _("Al massimo %(max)d MB per richiesta.") % {"max": cap},
                "size",
            )
        if name == "spazio_conservazione" and not casella.conservazione:
            raise refuse(_("Attiva prima la conservazione a norma."), "size")
        out[name] = int(current or 0) + add
    if not out:
        raise refuse(_("Indica quanto spazio aggiungere."), "size")
    return out


def describe_sizes(targets: dict[str, int]) -> list[Sentence]:
    return [
        Sentence(gettext_lazy("%(what)s %(mb)d MB"), what=SIZE_LABELS[k], mb=v)
        for k, v in targets.items()
    ]


@once(KIND)
def enlarge(
    *,
    casella: Casella,
    disco_add: int = 0,
    storico_add: int = 0,
    conservazione_add: int = 0,
    intent_key: str,
    user,
) -> CasellaCall:
    """PATCH /pec/{id}/modifica with ABSOLUTE sizes (current + added, computed now), so a repeat
    can never add twice."""

    def compute(locked: Casella) -> dict[str, Any]:
        targets = modifica_targets(
            locked,
            disco_add=disco_add,
            storico_add=storico_add,
            conservazione_add=conservazione_add,
        )
        added = {k: v - int(getattr(locked, k) or 0) for k, v in targets.items()}
        return {"targets": targets, "added": added}

    # Validate before taking the lock too, for the price in the intent's history line.
    targets = modifica_targets(
        casella, disco_add=disco_add, storico_add=storico_add, conservazione_add=conservazione_add
    )
    added = {k: v - int(getattr(casella, k) or 0) for k, v in targets.items()}
    price = modifica_price(
        disco_mb=added.get("spazio_disco", 0),
        storico_mb=added.get("spazio_storico", 0),
        conservazione_mb=added.get("spazio_conservazione", 0),
    )
    return record_intent(
        casella,
        KIND,
        intent_key,
        user,
        price=price,
        message=Sentence(
            gettext_lazy("Aumento di spazio richiesto: %(what)s (%(cost)s)."),
            what=describe_sizes(targets),
            cost=cost_text(price),
        ),
        before_create=compute,
    )


class ModificaHandler(OperationHandler):
    """Absolute sizes; confirmed when every size reached its target."""

    kind = KIND
    endpoint = "PATCH /pec/{id}/modifica"
    not_for_type = gettext_lazy("Aumento di spazio non disponibile per questo tipo di casella.")
    not_sent = gettext_lazy("Aumento di spazio non inviato: per Openapi la casella è «%(stato)s».")

    def _targets(self, call) -> dict[str, int]:
        return {k: int(v) for k, v in (call.params.get("targets") or {}).items()}

    def precheck(self, call, current):
        super().precheck(call, current)
        if self.reached(call, current):
            raise not_allowed(
                _("Openapi mostra già lo spazio richiesto: nessuna modifica inviata, nessun costo.")
            )

    def send(self, client, call, casella):
        return client.modifica(casella.remote_id, **self._targets(call))

    def reached(self, call, current) -> bool:
        targets = self._targets(call)
        return bool(targets) and all((getattr(current, k) or 0) >= v for k, v in targets.items())

    def done_message(self, call, casella):
        return Sentence(
            gettext_lazy("Spazio aumentato: %(what)s."), what=describe_sizes(self._targets(call))
        )


class ModificaForm(OperationForm):
    disco_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio casella da aggiungere"), coerce=int
    )
    storico_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio archivio da aggiungere"), coerce=int
    )
    conservazione_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio di conservazione da aggiungere"), coerce=int, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        casella = self.casella
        self.fields["disco_add"].choices = size_choices(
            DISK_STEP, 10, lambda mb: modifica_price(disco_mb=mb)
        )
        self.fields["storico_add"].choices = size_choices(
            DISK_STEP, 10, lambda mb: modifica_price(storico_mb=mb)
        )
        self.fields["disco_add"].help_text = _("Ora: %(mb)s MB") % {"mb": casella.spazio_disco or 0}
        self.fields["storico_add"].help_text = _("Ora: %(mb)s MB") % {
            "mb": casella.spazio_storico or 0
        }
        if casella.conservazione:
            self.fields["conservazione_add"].choices = size_choices(
                PRESERVATION_STEP, 10, lambda mb: modifica_price(conservazione_mb=mb)
            )
            self.fields["conservazione_add"].help_text = _("Ora: %(mb)s MB") % {
                "mb": casella.spazio_conservazione or 0
            }
        else:
            del self.fields["conservazione_add"]
        for name in self.fields:
            self.initial.setdefault(name, 0)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.targets = modifica_targets(
                self.casella,
                disco_add=data.get("disco_add") or 0,
                storico_add=data.get("storico_add") or 0,
                conservazione_add=data.get("conservazione_add") or 0,
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages[0], code="size") from None
        return data

    def summary(self):
        labels = {
            "spazio_disco": _("Spazio casella"),
            "spazio_storico": _("Spazio archivio"),
            "spazio_conservazione": _("Spazio di conservazione"),
        }
        return [
            (labels[k], f"{getattr(self.casella, k) or 0} MB → {v} MB")
            for k, v in self.targets.items()
        ]


class ModificaAdminForm(AdminBatchForm):
    disco_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio casella da aggiungere (MB)"), coerce=int, initial=0
    )
    storico_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio archivio da aggiungere (MB)"), coerce=int, initial=0
    )
    conservazione_add = forms.TypedChoiceField(
        label=gettext_lazy("Spazio di conservazione da aggiungere (MB)"), coerce=int, initial=0
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        gb = [(n * DISK_STEP, f"+{n * DISK_STEP}") for n in range(0, 11)]
        self.fields["disco_add"].choices = gb
        self.fields["storico_add"].choices = gb
        self.fields["conservazione_add"].choices = [
            (n * PRESERVATION_STEP, f"+{n * PRESERVATION_STEP}") for n in range(0, 11)
        ]


SPEC = declare(
    __name__,
    label=gettext_lazy("Aumento spazio"),
    title=gettext_lazy("Aumenta lo spazio"),
    path="spazio",
    order=20,
    intro=lambda casella: _(
        "Lo spazio si può solo aumentare: a multipli di 1024 MB (512 MB per la "
        "conservazione). Il portale invia a Openapi le dimensioni finali, così una richiesta "
        "ripetuta non aggiunge spazio due volte."
    ),
)
