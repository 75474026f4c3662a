"""What the compliance page can find about a client company, and what to do about each."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    # The company's own PEC at the Registro Imprese.
    PEC_MISSING = "pec_missing", _("Nessuna PEC registrata al Registro Imprese")
    PEC_NOT_MANAGED = "pec_not_managed", _("PEC registrata diversa dalla casella gestita")
    PEC_BOX_INACTIVE = "pec_box_inactive", _("PEC registrata revocata o scaduta")
    PEC_BOX_EXPIRING = "pec_box_expiring", _("PEC registrata in scadenza")
    PEC_SHARED = "pec_shared", _("Stessa PEC registrata per più imprese")
    PEC_OFFICE = "pec_office", _("PEC dello studio registrata per il cliente")
    # The director's own PEC (DL 159/2025).
    DIRECTOR_NO_PEC = "director_no_pec", _("Amministratore senza PEC")
    DIRECTOR_PEC_NOT_DISTINCT = (
        "director_pec_not_distinct",
        _("PEC dell'amministratore uguale a una PEC d'impresa"),
    )
    DIRECTOR_PEC_TO_FILE = (
        "director_pec_to_file",
        _("PEC dell'amministratore da comunicare al Registro Imprese"),
    )
    # The company itself.
    CEASED = "ceased", _("Impresa cessata")
    CHECK_FAILED = "check_failed", _("Verifica non riuscita")


#: What to do, one line per kind (the page's action text).
ACTIONS = {
    Kind.PEC_MISSING: _("Registrare una casella per l'impresa e comunicarla al Registro Imprese."),
    Kind.PEC_NOT_MANAGED: _("Comunicare al Registro Imprese la casella gestita dallo studio."),
    Kind.PEC_BOX_INACTIVE: _(
        "Registrare una nuova casella e comunicarla: una PEC revocata o scaduta vale come assente."
    ),
    Kind.PEC_BOX_EXPIRING: _("Rinnovare la casella prima della scadenza."),
    Kind.PEC_SHARED: _(
        "Ogni impresa deve avere una PEC propria: registrare una casella e comunicarla."
    ),
    Kind.PEC_OFFICE: _(
        "La PEC dello studio non può essere quella del cliente: registrare una casella "
        "dell'impresa e comunicarla."
    ),
    Kind.DIRECTOR_NO_PEC: _(
        "Registrare una PEC personale dell'amministratore e comunicarla al Registro Imprese."
    ),
    Kind.DIRECTOR_PEC_NOT_DISTINCT: _(
        "Registrare per l'amministratore una PEC personale, diversa da ogni PEC d'impresa."
    ),
    Kind.DIRECTOR_PEC_TO_FILE: _(
        "Comunicare al Registro Imprese la PEC dell'amministratore (nessun diritto né bollo)."
    ),
    Kind.CEASED: _("Non rinnovare le caselle dell'impresa cessata; verificarne la chiusura."),
    Kind.CHECK_FAILED: _("Ripetere la verifica più tardi."),
}

#: How urgent each kind is: "bad" (sanctions or suspended filings), "warn", "info".
SEVERITY = {
    Kind.PEC_MISSING: "bad",
    Kind.PEC_NOT_MANAGED: "warn",
    Kind.PEC_BOX_INACTIVE: "bad",
    Kind.PEC_BOX_EXPIRING: "warn",
    Kind.PEC_SHARED: "bad",
    Kind.PEC_OFFICE: "bad",
    Kind.DIRECTOR_NO_PEC: "bad",
    Kind.DIRECTOR_PEC_NOT_DISTINCT: "bad",
    Kind.DIRECTOR_PEC_TO_FILE: "warn",
    Kind.CEASED: "info",
    Kind.CHECK_FAILED: "warn",
}
