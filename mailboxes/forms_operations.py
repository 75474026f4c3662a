"""Forms of the operations on active boxes; every choice carries its price. The services in
mailboxes/operations.py check everything again (a forced request is refused there)."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.pdf import check_pdf

from . import operations
from .models import Casella, TipoCasellaChoices


def _price(amount) -> str:
    return _("%(price)s € + IVA") % {"price": operations.euro(amount)}


class IntentForm(forms.Form):
    intent_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_intent_key(self):
        value = self.cleaned_data.get("intent_key") or ""
        if not value:
            return ""
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValidationError(_("Richiesta non valida: ricomincia."), code="intent") from None


class RinnovoForm(forms.Form):
    anni = forms.TypedChoiceField(label=_("Durata del rinnovo"), coerce=int)

    def __init__(self, *args, casella: Casella, **kwargs):
        super().__init__(*args, **kwargs)
        self.casella = casella
        self.fields["anni"].choices = [
            (
                n,
                ngettext("%(n)d anno", "%(n)d anni", n) % {"n": n}
                + f" — {_price(operations.renewal_price(casella.tipo_casella, n))}",
            )
            for n in range(1, operations.MAX_YEARS + 1)
        ]
        self.initial.setdefault("anni", 1)

    def price(self):
        return operations.renewal_price(self.casella.tipo_casella, self.cleaned_data["anni"])

    def summary(self):
        n = self.cleaned_data["anni"]
        return [(_("Rinnovo"), ngettext("%(n)d anno", "%(n)d anni", n) % {"n": n})]


def _size_choices(step: int, count: int, price_of) -> list[tuple[int, str]]:
    out = [(0, _("nessuno"))]
    for i in range(1, count + 1):
        mb = step * i
        out.append((mb, f"+{mb} MB — {_price(price_of(mb))}"))
    return out


class ModificaForm(forms.Form):
    disco_add = forms.TypedChoiceField(label=_("Spazio casella da aggiungere"), coerce=int)
    storico_add = forms.TypedChoiceField(label=_("Spazio archivio da aggiungere"), coerce=int)
    conservazione_add = forms.TypedChoiceField(
        label=_("Spazio di conservazione da aggiungere"), coerce=int, required=False
    )

    def __init__(self, *args, casella: Casella, **kwargs):
        super().__init__(*args, **kwargs)
        self.casella = casella
        self.fields["disco_add"].choices = _size_choices(
            1024, 10, lambda mb: operations.modifica_price(disco_mb=mb)
        )
        self.fields["storico_add"].choices = _size_choices(
            1024, 10, lambda mb: operations.modifica_price(storico_mb=mb)
        )
        self.fields["disco_add"].help_text = _("Ora: %(mb)s MB") % {"mb": casella.spazio_disco or 0}
        self.fields["storico_add"].help_text = _("Ora: %(mb)s MB") % {
            "mb": casella.spazio_storico or 0
        }
        if casella.conservazione:
            self.fields["conservazione_add"].choices = _size_choices(
                512, 10, lambda mb: operations.modifica_price(conservazione_mb=mb)
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
            self.targets = operations.modifica_targets(
                self.casella,
                disco_add=data.get("disco_add") or 0,
                storico_add=data.get("storico_add") or 0,
                conservazione_add=data.get("conservazione_add") or 0,
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages[0], code="size") from None
        return data

    def price(self):
        d = self.cleaned_data
        return operations.modifica_price(
            disco_mb=d.get("disco_add") or 0,
            storico_mb=d.get("storico_add") or 0,
            conservazione_mb=d.get("conservazione_add") or 0,
        )

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


class TrasformazioneForm(forms.Form):
    tipo = forms.ChoiceField(label=_("Nuovo tipo"))

    def __init__(self, *args, casella: Casella, **kwargs):
        super().__init__(*args, **kwargs)
        self.casella = casella
        self.fields["tipo"].choices = [
            (
                t,
                f"{TipoCasellaChoices(t).label} — "
                f"{_price(operations.trasformazione_price(casella.tipo_casella, t))}",
            )
            for t in operations.higher_types(casella.tipo_casella)
        ]

    def price(self):
        return operations.trasformazione_price(self.casella.tipo_casella, self.cleaned_data["tipo"])

    def summary(self):
        return [
            (
                _("Tipo"),
                f"{self.casella.get_tipo_casella_display()} → "
                f"{TipoCasellaChoices(self.cleaned_data['tipo']).label}",
            )
        ]


class MultiutenzaForm(forms.Form):
    nome = forms.CharField(label=_("Nome"), max_length=100)
    cognome = forms.CharField(label=_("Cognome"), max_length=100)
    descrizione = forms.CharField(
        label=_("Descrizione"), max_length=200, help_text=_("Es. «Ufficio amministrazione».")
    )
    email_gestione_password = forms.EmailField(
        label=_("E-mail per la password"),
        help_text=_("Openapi vi invia le credenziali del nuovo utente."),
    )

    def __init__(self, *args, casella: Casella, **kwargs):
        super().__init__(*args, **kwargs)
        self.casella = casella

    def price(self):
        return operations.multiutenza_price()

    def summary(self):
        d = self.cleaned_data
        return [
            (_("Utente"), f"{d['nome']} {d['cognome']}"),
            (_("Descrizione"), d["descrizione"]),
            (_("E-mail per la password"), d["email_gestione_password"]),
        ]


class RevocaForm(forms.Form):
    conferma = forms.CharField(
        label=_("Scrivi l'indirizzo della casella per confermare"), max_length=254
    )
    intent_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, casella: Casella, **kwargs):
        super().__init__(*args, **kwargs)
        self.casella = casella
        self.fields["conferma"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "placeholder": casella.casella_pec}
        )
        self.initial.setdefault("intent_key", str(uuid.uuid4()))

    def clean_conferma(self):
        value = (self.cleaned_data.get("conferma") or "").strip()
        if value.lower() != self.casella.casella_pec.lower():
            raise ValidationError(
                _("L'indirizzo scritto non corrisponde: scrivi esattamente %(address)s.")
                % {"address": self.casella.casella_pec},
                code="conferma",
            )
        return value

    def clean_intent_key(self):
        try:
            return str(uuid.UUID(self.cleaned_data["intent_key"]))
        except ValueError:
            raise ValidationError(_("Richiesta non valida: ricomincia."), code="intent") from None


def _preservation_choices():
    return [
        (mb, f"{mb} MB — {_price(operations.conservazione_price(mb))}")
        for mb in range(512, 512 * 10 + 1, 512)
    ]


class ConservazioneForm(forms.Form):
    spazio = forms.TypedChoiceField(label=_("Spazio di conservazione"), coerce=int)

    def __init__(self, *args, casella: Casella, **kwargs):
        super().__init__(*args, **kwargs)
        self.casella = casella
        self.fields["spazio"].choices = _preservation_choices()
        self.initial.setdefault("spazio", 512)

    def price(self):
        return operations.conservazione_price(self.cleaned_data["spazio"])

    def summary(self):
        return [(_("Spazio di conservazione"), f"{self.cleaned_data['spazio']} MB")]


class ConservazioneDocumentiForm(forms.Form):
    modulo = forms.FileField(label=_("Modulo di conservazione firmato (PDF)"))
    identita = forms.FileField(label=_("Documento d'identità del richiedente (PDF)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("modulo", "identita"):
            self.fields[name].widget.attrs["accept"] = "application/pdf,.pdf"

    def clean_modulo(self):
        return check_pdf(self.cleaned_data["modulo"])

    def clean_identita(self):
        return check_pdf(self.cleaned_data["identita"])

    def clean(self):
        data = super().clean()
        modulo, identita = data.get("modulo"), data.get("identita")
        if modulo and identita and modulo.sha256 == identita.sha256:
            raise ValidationError(
                _("Hai caricato due volte lo stesso file: servono il modulo e il documento."),
                code="same_file",
            )
        return data


class RinnovoMultiploForm(forms.Form):
    caselle = forms.TypedMultipleChoiceField(
        label=_("Caselle"),
        coerce=int,
        error_messages={"required": _("Seleziona almeno una casella da rinnovare.")},
    )
    anni = forms.TypedChoiceField(label=_("Durata del rinnovo"), coerce=int, initial=1)

    def __init__(self, *args, renewable: list[Casella], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anni"].choices = [
            (n, ngettext("%(n)d anno", "%(n)d anni", n) % {"n": n})
            for n in range(1, operations.MAX_YEARS + 1)
        ]
        self.renewable = {c.pk: c for c in renewable}
        self.fields["caselle"].choices = [(c.pk, c.casella_pec) for c in renewable]

    def selected(self) -> list[Casella]:
        return [self.renewable[pk] for pk in self.cleaned_data["caselle"] if pk in self.renewable]
