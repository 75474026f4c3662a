"""Forms of the comunica flow: the request (and its confirmation), the .p7m upload, the search."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.forms import IntentForm

from . import validators
from .models import QualificaChoices, RichiestaComunicazione, StatoRichiesta
from .p7m import P7mRejected, validate_p7m

DIRECTOR_RULE = _(
    "Per la PEC dell'amministratore, l'indirizzo deve essere diverso dalla PEC dell'impresa: "
    "la PEC personale dell'amministratore non può coincidere con quella della società."
)


class RichiestaForm(forms.ModelForm):
    pec_amministratore = forms.TypedChoiceField(
        label=_("Quale PEC si comunica"),
        choices=[
            ("0", _("La PEC dell'impresa")),
            ("1", _("La PEC personale dell'amministratore (unico o delegato)")),
        ],
        coerce=lambda v: v in ("1", "True", "true", True),
        widget=forms.RadioSelect,
        initial="0",
    )
    titolare = forms.IntegerField(widget=forms.HiddenInput, required=False)
    casella = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = RichiestaComunicazione
        fields = [
            "pec_amministratore",
            "casella_pec",
            "pec_impresa",
            "ragione_sociale",
            "cf_piva",
            "comune",
            "provincia",
            "nome",
            "cognome",
            "cf",
            "qualifica",
            "email",
            "cellulare",
        ]
        labels = {"casella_pec": _("PEC da comunicare (di qualunque gestore)")}
        help_texts = {
            "casella_pec": _(
                "Può essere una casella di qualunque gestore, non solo una registrata dal portale."
            ),
            "pec_impresa": DIRECTOR_RULE,
            "cf_piva": _("Partita IVA (11 cifre) o codice fiscale (16 caratteri) dell'impresa."),
            "cf": _("Il firmatario della procura: lo stesso codice fiscale del certificato."),
        }
        widgets = {
            "provincia": forms.TextInput(attrs={"maxlength": 2, "size": 2, "class": "upper"}),
            "cellulare": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualifica"].choices = [("", "---------"), *QualificaChoices.choices]

    def clean_casella_pec(self):
        return self.cleaned_data["casella_pec"].strip().lower()

    def clean_pec_impresa(self):
        return (self.cleaned_data.get("pec_impresa") or "").strip().lower()

    def clean_cf_piva(self):
        return validators.validate_cf_piva(self.cleaned_data["cf_piva"])

    def clean_cf(self):
        return validators.validate_codice_fiscale(self.cleaned_data["cf"])

    def clean_provincia(self):
        return validators.validate_provincia(self.cleaned_data["provincia"])

    def clean_cellulare(self):
        return validators.validate_cellulare(self.cleaned_data["cellulare"])

    def clean_ragione_sociale(self):
        return " ".join(self.cleaned_data["ragione_sociale"].split())

    def clean_comune(self):
        return " ".join(self.cleaned_data["comune"].split())

    def clean(self):
        data = super().clean()
        if data.get("pec_amministratore"):
            pec, impresa = data.get("casella_pec"), data.get("pec_impresa")
            if not impresa:
                self.add_error(
                    "pec_impresa",
                    _("Per la PEC dell'amministratore, indicare anche la PEC dell'impresa."),
                )
            elif pec and pec == impresa:
                self.add_error("casella_pec", DIRECTOR_RULE)
        return data


class RichiestaConfermaForm(RichiestaForm, IntentForm):
    """The same data, carried as hidden fields, plus the intent key: one submit, one request."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = forms.HiddenInput()


class ProcuraUploadForm(IntentForm):
    file = forms.FileField(
        label=_("Procura firmata digitalmente (.p7m)"),
        help_text=_("Il file .p7m prodotto dal software di firma (firma CAdES del PDF scaricato)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".p7m,application/pkcs7-mime"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PDF_MAX_BYTES
        if upload.size > limit:  # size first: nothing is read from an oversized file
            raise forms.ValidationError(
                str(P7mRejected("too_large", max=f"{limit / (1024 * 1024):.0f}").message),
                code="too_large",
            )
        data = upload.read()
        try:
            self.p7m = validate_p7m(data, max_bytes=limit)
        except P7mRejected as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        self.raw = data
        return upload


class InviaComunqueForm(IntentForm):
    conferma = forms.BooleanField(
        label=_("Ho controllato: inviare comunque questa procura a Openapi"), required=True
    )


class SearchForm(forms.Form):
    TIPO_CHOICES = [
        ("", _("Tutte")),
        ("impresa", _("PEC dell'impresa")),
        ("amministratore", _("PEC dell'amministratore")),
    ]
    q = forms.CharField(
        label=_("Cerca"),
        required=False,
        widget=forms.SearchInput(
            attrs={"placeholder": _("Indirizzo, impresa, CF/P.IVA, richiedente")}
        ),
    )
    stato = forms.ChoiceField(
        label=_("Stato"), required=False, choices=[("", _("Tutti")), *StatoRichiesta.choices]
    )
    tipo = forms.ChoiceField(label=_("PEC"), required=False, choices=TIPO_CHOICES)
