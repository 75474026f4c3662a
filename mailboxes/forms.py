"""Forms: everything POST /pec needs is checked here, before anything is sent."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import roles
from openapi_pec import prices
from openapi_pec.types import SOTTOTIPI_CLIENTE, TipoCliente
from portal.forms import IntentForm, normalized
from portal.pdf import check_pdf

from . import validators
from .choices import SOTTOTIPI_PER_TIPO, TIPO_CASELLA_DESCRIPTIONS
from .italy import ESTERO
from .models import PERSON_TYPES, Casella, Richiedente, Stato, TipoCasellaChoices, Titolare
from .services.address import check_address

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


#: Text fields checked and normalized by validators.py (an optional one left empty stays empty).
PROVINCIA = normalized(validators.validate_provincia)
NAZIONE = normalized(validators.validate_nazione)
PHONE = normalized(validators.validate_phone)


class TitolareForm(forms.ModelForm):
    class Meta:
        model = Titolare
        fields = [
            "tipo_cliente",
            "sottotipo_cliente",
            "sottotipo_cliente_altro",
            "denominazione",
            "cognome",
            "nome",
            "codice_fiscale",
            "partita_iva",
            "indirizzo",
            "cap",
            "comune",
            "provincia",
            "nazione",
            "email",
            "telefono",
            "commercialisti",
            "note",
        ]
        field_classes = {
            "codice_fiscale": normalized(validators.validate_cf_or_piva),
            "partita_iva": normalized(validators.validate_partita_iva),
            "provincia": PROVINCIA,
            "nazione": NAZIONE,
            "telefono": PHONE,
        }
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self.fields["commercialisti"].queryset = User.objects.filter(
            groups__name=roles.ACCOUNTANT, is_active=True
        ).order_by("username")
        self.fields["commercialisti"].required = False
        self.fields["sottotipo_cliente"].help_text = _(
            "Obbligatorio per imprese, professionisti e PA locali."
        )
        # the browser offers only the chosen type's subtypes (static/js/titolare_form.js)
        self.fields["tipo_cliente"].widget.attrs["data-subtypes"] = json.dumps(SOTTOTIPI_PER_TIPO)
        self.fields["provincia"].help_text = _("Sigla di due lettere; EE per l'estero.")

    def clean(self):
        data = super().clean()
        tipo = data.get("tipo_cliente")
        sotto = data.get("sottotipo_cliente") or ""
        if tipo:
            allowed = SOTTOTIPI_CLIENTE.get(TipoCliente(tipo), {})
            if allowed and not sotto:
                self.add_error(
                    "sottotipo_cliente", _("Scegli il sottotipo per questo tipo di cliente.")
                )
            elif allowed and sotto not in allowed:
                self.add_error(
                    "sottotipo_cliente",
                    _("Il sottotipo %(sotto)s non esiste per questo tipo di cliente.")
                    % {"sotto": sotto},
                )
            elif not allowed and sotto:
                self.add_error(
                    "sottotipo_cliente", _("Questo tipo di cliente non ha sottotipi: lascia vuoto.")
                )
            if sotto == "X" and not data.get("sottotipo_cliente_altro"):
                self.add_error("sottotipo_cliente_altro", _("Descrivi il sottotipo «Altro»."))
            if tipo in PERSON_TYPES:
                for name in ("cognome", "nome"):
                    if not data.get(name):
                        self.add_error(name, _("Obbligatorio per una persona."))
            elif not data.get("denominazione"):
                self.add_error("denominazione", _("Scrivi la ragione sociale o la denominazione."))
            cf = data.get("codice_fiscale") or ""
            if tipo == TipoCliente.PRIVATO and cf and len(cf) != 16:
                self.add_error(
                    "codice_fiscale", _("Il codice fiscale di una persona ha 16 caratteri.")
                )
        nazione = data.get("nazione")
        if nazione == "IT":
            if data.get("provincia") == ESTERO:
                self.add_error("provincia", _("EE è solo per gli indirizzi all'estero."))
        elif nazione and data.get("provincia") and data.get("provincia") != ESTERO:
            self.add_error("provincia", _("Per un indirizzo all'estero la provincia è EE."))
        return data


def price_label(amount) -> str:
    """A yearly price next to a choice (as mailboxes.operations.pricing.price_label)."""
    return gettext("%(price)s € + IVA") % {"price": number_format(amount, 2)}


def autorinnovo_field() -> forms.BooleanField:
    """The choice of automatic renewal, as every registration asks it (the form of a new box,
    the compliance campaign's directors' boxes): unticked unless the office ticks it."""
    return forms.BooleanField(
        label=_("Rinnovo automatico alla scadenza (addebitato sul credito Openapi)"),
        help_text=_(
            "Alla scadenza Openapi rinnova la casella per un anno e addebita il prezzo annuale "
            "del tipo scelto (indicato accanto al tipo) sul credito Openapi."
        ),
        required=False,
    )


class IndirizzoForm(forms.Form):
    """The first part of a new box: holder, type and address (checked live as you type)."""

    titolare = forms.ModelChoiceField(queryset=Titolare.objects.none(), label=_("Titolare"))
    tipo_casella = forms.ChoiceField(choices=TipoCasellaChoices.choices, label=_("Tipo di casella"))
    casella_pec = forms.CharField(label=_("Indirizzo della casella"), max_length=254)
    autorinnovo = autorinnovo_field()

    def __init__(self, *args, titolari=None, check_remote=True, **kwargs):
        super().__init__(*args, **kwargs)
        # each type with its yearly price (registration = the first year); the one-line
        # descriptions are listed under the select (``type_lines``)
        self.fields["tipo_casella"].choices = [
            (code, f"{label} — {price_label(prices.price(prices.Operation.RINNOVO, code))}")
            for code, label in TipoCasellaChoices.choices
        ]
        self.fields["titolare"].queryset = (
            titolari if titolari is not None else Titolare.objects.all()
        )
        self.check_remote = check_remote
        self.fields["casella_pec"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "placeholder": "nome@dominio"}
        )
        url = reverse("mailboxes:check_address")
        for name, trigger in (
            ("casella_pec", "input changed delay:400ms"),
            ("tipo_casella", "change"),
        ):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-trigger": trigger,
                    "hx-target": "#address-answer",
                    "hx-swap": "outerHTML",
                    "hx-include": "#id_tipo_casella, #id_casella_pec",
                    "hx-sync": "closest fieldset:replace",
                    "hx-indicator": "#verifica-indirizzo",
                }
            )

    def type_lines(self):
        """(name, one-line description, price) of every type, for the list under the select."""
        return [
            (
                label,
                TIPO_CASELLA_DESCRIPTIONS.get(code, ""),
                price_label(prices.price(prices.Operation.RINNOVO, code)),
            )
            for code, label in TipoCasellaChoices.choices
        ]

    def clean_casella_pec(self):
        return self.cleaned_data["casella_pec"].strip().lower()

    def clean(self):
        data = super().clean()
        if self.check_remote and data.get("tipo_casella") and data.get("casella_pec"):
            result = check_address(tipo_casella=data["tipo_casella"], address=data["casella_pec"])
            if not result.ok:
                self.add_error(result.field, result.message)
        return data


class RichiedenteForm(forms.ModelForm):
    """The requester (who signs the form) and their ID document."""

    class Meta:
        model = Richiedente
        fields = [
            "cognome",
            "nome",
            "codice_fiscale",
            "sesso",
            "data_nascita",
            "nazione_nascita",
            "comune_nascita",
            "provincia_nascita",
            "email",
            "telefono",
            "cellulare",
            "tipo_documento",
            "numero_documento",
            "documento_rilasciato_da",
            "data_rilascio_documento",
            "data_scadenza_documento",
        ]
        field_classes = {
            "codice_fiscale": normalized(validators.validate_codice_fiscale_persona),
            "nazione_nascita": NAZIONE,
            "provincia_nascita": PROVINCIA,
            "telefono": PHONE,
            "cellulare": PHONE,
        }
        widgets = {
            "data_nascita": DATE,
            "data_rilascio_documento": DATE,
            "data_scadenza_documento": DATE,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paese_da_cf = ""  # the country a codice fiscale of one born abroad names
        self.fields["nazione_nascita"].help_text = _("Codice di due lettere, es. IT.")
        for name in ("data_nascita", "data_rilascio_documento", "data_scadenza_documento"):
            self.fields[name].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        # derived from the codice fiscale when left empty (and still editable)
        for name in ("data_nascita", "sesso"):
            self.fields[name].required = False
            self.fields[name].help_text = _("Se vuoto, ricavato dal codice fiscale.")
        self.fields["nazione_nascita"].required = False
        self.fields["comune_nascita"].help_text = _("Se vuoto, ricavato dal codice fiscale.")
        self.fields["provincia_nascita"].help_text = _(
            "Sigla di due lettere; EE se nato all'estero. Se vuota, ricavata dal codice fiscale."
        )

    def _derive(self, data):
        """Birth date, sex and birth place left empty: from the codice fiscale (the place as it
        was on the birth date; nothing when the code does not tell it)."""
        cf = data.get("codice_fiscale") or ""
        derived = validators.derived_from_cf(cf)
        for name in ("data_nascita", "sesso"):
            if data.get(name) or name in self.errors:
                continue
            if name in derived:
                data[name] = derived[name]
                if name == "data_nascita":
                    try:
                        data[name] = self.clean_data_nascita(derived[name])
                    except ValidationError as exc:
                        self.add_error(name, exc)
            else:
                self.add_error(name, _("Obbligatorio (non ricavabile dal codice fiscale)."))
        if data.get("data_nascita"):
            derived = validators.derived_from_cf(cf, born=data["data_nascita"])
        for name in ("comune_nascita", "provincia_nascita", "nazione_nascita"):
            if not data.get(name) and name not in self.errors and name in derived:
                data[name] = derived[name]
        self.paese_da_cf = derived.get("paese", "")
        if not data.get("nazione_nascita") and "nazione_nascita" not in self.errors:
            self.add_error(
                "nazione_nascita", _("Obbligatorio (non ricavabile dal codice fiscale).")
            )

    def clean_data_nascita(self, value=None):
        value = value or self.cleaned_data["data_nascita"]
        if not value:
            return value
        value = validators.validate_past(value)
        today = dt.date.today()
        age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
        if age < 18:
            raise ValidationError(_("Il richiedente deve essere maggiorenne."), code="minor")
        if age > 120:
            raise ValidationError(_("La data di nascita non è plausibile."), code="too_old")
        return value

    def clean_data_rilascio_documento(self):
        return validators.validate_past(self.cleaned_data["data_rilascio_documento"])

    def clean_data_scadenza_documento(self):
        value = self.cleaned_data["data_scadenza_documento"]
        if value and value <= dt.date.today():
            raise ValidationError(
                _("Il documento d'identità è scaduto: serve un documento valido."), code="expired"
            )
        return value

    def clean_numero_documento(self):
        value = self.cleaned_data["numero_documento"].replace(" ", "").upper()
        if not (5 <= len(value) <= 20) or not value.isalnum():
            raise ValidationError(
                _("Il numero del documento ha da 5 a 20 lettere e cifre."), code="doc_number"
            )
        return value

    def clean(self):
        data = super().clean()
        self._derive(data)
        cf = data.get("codice_fiscale")
        if cf:
            wrong = validators.cf_mismatches(
                cf,
                nome=data.get("nome", ""),
                cognome=data.get("cognome", ""),
                data_nascita=data.get("data_nascita"),
                sesso=data.get("sesso", ""),
                nazione_nascita=data.get("nazione_nascita", ""),
            )
            labels = {
                "cognome": _("Il cognome non corrisponde al codice fiscale."),
                "nome": _("Il nome non corrisponde al codice fiscale."),
                "data_nascita": _("La data di nascita non corrisponde al codice fiscale."),
                "sesso": _("Il sesso non corrisponde al codice fiscale."),
                "nazione_nascita": _(
                    "Il codice fiscale è di una persona nata all'estero (%(paese)s): indica il "
                    "codice di due lettere del paese."
                )
                % {"paese": self.paese_da_cf or "?"},
            }
            for name in wrong:
                if name in data:
                    self.add_error(name, labels[name])
        rilascio, scadenza = (
            data.get("data_rilascio_documento"),
            data.get("data_scadenza_documento"),
        )
        if rilascio and scadenza and scadenza <= rilascio:
            self.add_error("data_scadenza_documento", _("La scadenza viene dopo il rilascio."))
        nascita = data.get("data_nascita")
        if nascita and rilascio and rilascio < nascita:
            self.add_error(
                "data_rilascio_documento", _("Il documento è stato rilasciato prima della nascita.")
            )
        if data.get("nazione_nascita") == "IT":
            if not data.get("comune_nascita"):
                self.add_error("comune_nascita", _("Obbligatorio per chi è nato in Italia."))
            if not data.get("provincia_nascita"):
                self.add_error("provincia_nascita", _("Obbligatoria per chi è nato in Italia."))
            elif data.get("provincia_nascita") == ESTERO:
                self.add_error("provincia_nascita", _("EE è solo per chi è nato all'estero."))
        elif data.get("nazione_nascita") and data.get("provincia_nascita") not in ("", ESTERO):
            self.add_error("provincia_nascita", _("Per chi è nato all'estero la provincia è EE."))
        return data


class SignedDocumentsForm(forms.Form):
    """A signed form (``modulo``) and the requester's ID document (``identita``): two PDFs, each
    checked by content, not the same file twice. A subclass names its form in the label."""

    modulo = forms.FileField()
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


class DocumentiForm(SignedDocumentsForm, IntentForm):
    """The signed activation form and the ID document, for the box's activation."""

    modulo = forms.FileField(label=_("Modulo di attivazione firmato (PDF)"))

    def __init__(self, *args, casella: Casella | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.casella = casella


class FiltriForm(forms.Form):
    q = forms.CharField(label=_("Cerca"), required=False)
    stato = forms.ChoiceField(label=_("Stato"), required=False)
    tipo = forms.ChoiceField(label=_("Tipo"), required=False)
    titolare = forms.ChoiceField(label=_("Titolare"), required=False)
    scadenza_entro = forms.IntegerField(
        label=_("Scade entro (giorni)"), required=False, min_value=0, max_value=3650
    )
    azione = forms.BooleanField(label=_("Solo da fare"), required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, titolari=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stato"].choices = [("", _("Tutti")), *Stato.choices]
        self.fields["tipo"].choices = [("", _("Tutti")), *TipoCasellaChoices.choices]
        self.fields["titolare"].choices = [
            ("", _("Tutti")),
            *((str(t.pk), t.display_name) for t in (titolari or [])),
        ]
        self.fields["q"].widget.attrs["placeholder"] = _("indirizzo, titolare, codice fiscale")
