"""Openapi's answers in the user's language: its English messages mapped to sentences of ours.

Openapi answers an error with an English ``message`` and an internal ``error`` number (several
numbers per meaning: each endpoint has its own). The portal stores that message as it came
(``last_error``: the technical detail admins and support need) and shows people ``explain()``'s
sentence instead; an unknown message gets a sentence of ours, the original going under
"dettagli tecnici". Rules are matched by error number first, then by the message's shape (a
message stored without its number, e.g. a box's ``last_error``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from django.utils.translation import trans_real

from .history import Sentence

#: Openapi's field names as the portal's forms call them.
FIELDS = {
    "casella_pec": _("indirizzo PEC"),
    "tipo_casella": _("tipo di casella"),
    "nome_richiedente": _("nome del richiedente"),
    "cognome_richiedente": _("cognome del richiedente"),
    "cf_richiedente": _("codice fiscale del richiedente"),
    "codice_fiscale_richiedente": _("codice fiscale del richiedente"),
    "data_nascita_richiedente": _("data di nascita del richiedente"),
    "luogo_nascita_richiedente": _("luogo di nascita del richiedente"),
    "sesso_richiedente": _("sesso del richiedente"),
    "tipo_documento": _("tipo di documento"),
    "numero_documento": _("numero del documento"),
    "data_scadenza_documento": _("scadenza del documento"),
    "data_rilascio_documento": _("data di rilascio del documento"),
    "sottotipo_cliente": _("tipo di cliente"),
    "tipo_cliente": _("tipo di cliente"),
    "autorinnovo": _("rinnovo automatico"),
    "callback": _("indirizzo di notifica"),
    "documenti": _("documenti"),
    "spazio_disco": _("spazio della casella"),
    "spazio_storico": _("spazio dell'archivio"),
    "spazio_conservazione": _("spazio di conservazione"),
    "anni": _("anni di rinnovo"),
    "cf_piva": _("codice fiscale o partita IVA"),
    "qualifica": _("qualifica"),
    "pec_amministratore": _("PEC dell'amministratore"),
    "email_gestione_password": _("e-mail per la gestione della password"),
    "domain": _("dominio"),
}


@dataclass(frozen=True)
class Explained:
    text: str  #: the sentence shown (in the active language)
    detail: str  #: Openapi's own words and numbers, for "dettagli tecnici"
    known: bool


def _field(name: str) -> str:
    label = FIELDS.get(name.strip().lower())
    return str(label) if label else name.strip().replace("_", " ")


def _rule(codes, pattern: str, text) -> tuple[frozenset[int], re.Pattern[str], object]:
    """A rule: Openapi's error numbers, its message's shape (case-insensitive), our sentence."""
    return frozenset(codes), re.compile(pattern, re.I), text


# (error numbers, message pattern, sentence): the sentence's %(name)s are the pattern's groups.
_RULES: list[tuple[frozenset[int], re.Pattern[str], object]] = [
    _rule(
        {262, 290, 297, 279, 220, 351, 403},
        r"insufficient credit in wallet:?\s*(?P<credit>-?[\d.]+)?",
        _("Credito Openapi insufficiente (%(credit)s €): ricarica il conto e riprova."),
    ),
    _rule({200}, r"no pec linked to this account", _("Nessuna casella sul conto Openapi.")),
    _rule({202, 213, 266, 302}, r"no pec found", _("Openapi non trova la casella.")),
    _rule({332, 334, 354}, r"no request (found|linked)", _("Openapi non trova la richiesta.")),
    _rule(
        {201, 212, 265, 301, 333, 353}, r"^wrong id$", _("Identificativo non valido per Openapi.")
    ),
    _rule(
        {326},
        r"the domain (?P<domain>\S+) is non-existent",
        _("Il dominio %(domain)s non esiste o appartiene a un altro conto."),
    ),
    _rule({243}, r"already registered", _("L'indirizzo è già registrato.")),
    _rule({303}, r"already been revoked", _("La casella è già stata revocata.")),
    _rule(
        {304}, r"revoke the pec only if it is active", _("Si può revocare solo una casella attiva.")
    ),
    _rule(
        {267},
        r"activate the pec only when",
        _("I documenti si inviano solo a una casella registrata o con documenti respinti."),
    ),
    _rule(
        {296, 357},
        r"wrong file format,? (?P<what>[\w ]+) required",
        _("Formato del file non accettato da Openapi."),
    ),
    _rule(
        {295},
        r"a single pdf with the signed form",
        _("Per questo tipo di casella serve un unico PDF con modulo firmato e documento."),
    ),
    _rule(
        {325},
        r"only takes into account multiples of (?P<n>\d+)",
        _("Lo spazio va indicato in multipli di %(n)s MB."),
    ),
    _rule({282}, r"first activate the 'conservazione'", _("Prima va attivata la conservazione.")),
    _rule({293}, r"conservazione service is already active", _("La conservazione è già attiva.")),
    _rule({286}, r"only a space upgrade is allowed", _("Lo spazio si può solo aumentare.")),
    _rule(
        {276},
        r"downgrade of the 'tipo_casella' is not allowed",
        _("Il tipo di casella si può solo migliorare, non ridurre."),
    ),
    _rule(
        {272, 281},
        r"only if it has been processed",
        _("L'operazione è possibile solo su una casella attiva."),
    ),
    _rule(
        {203},
        r"renew only evaded or revoked",
        _("Si può rinnovare solo una casella attiva o revocata."),
    ),
    _rule(
        {217},
        r"maximum number of users reached:?\s*(?P<n>\d+)?",
        _("Raggiunto il numero massimo di utenti aggiuntivi (%(n)s)."),
    ),
    _rule(
        {390},
        r"this service cannot be activated on these boxes",
        _("Il servizio non è disponibile per Domicilio Digitale e PEC Massiva."),
    ),
    _rule(
        {355},
        r"only upload documents when stato is",
        _("La procura si carica solo quando la richiesta attende i documenti."),
    ),
    _rule(
        (),
        r"it doesn't exist yet",
        _("Openapi non ha ancora preparato il documento: riprova tra poco."),
    ),
    _rule(
        (),
        r"service temporarily unavailable|internal error",
        _("Openapi è momentaneamente non disponibile: riprova tra qualche minuto."),
    ),
    _rule(
        (),
        r"authorization is not valid",
        _("Openapi non ha accettato le credenziali del portale: avvisa l'amministratore."),
    ),
    _rule((), r"^(?P<field>[\w ]+?) required$", _("Openapi richiede un dato mancante: %(field)s.")),
    _rule(
        (),
        r"^(?:(?P<field>[\w]+) not valid|invalid (?P<field2>[\w]+))",
        _("Openapi non accetta il valore di: %(field)s."),
    ),
]

_BY_STATUS = {
    401: _("Openapi non ha accettato le credenziali del portale: avvisa l'amministratore."),
    403: _("Openapi non ha accettato le credenziali del portale: avvisa l'amministratore."),
    402: _("Credito Openapi insufficiente: ricarica il conto e riprova."),
    404: _("Openapi non trova quanto richiesto."),
    429: _("Openapi riceve troppe richieste: riprova tra qualche minuto."),
}


def _detail(message: str, code: int | None, status: int | None) -> str:
    numbers = ", ".join(
        part
        for part in (
            f"HTTP {status}" if status else "",
            f"error {code}" if code is not None else "",
        )
        if part
    )
    return f"{message} ({numbers})" if numbers and message else (message or numbers)


_UNAVAILABLE = _("Openapi è momentaneamente non disponibile: riprova tra qualche minuto.")
_UNKNOWN = _("Openapi ha rifiutato l'operazione con un messaggio che il portale non conosce.")
#: the sentence when a rule's pattern did not give its value (matched by number only)
_WITHOUT_VALUE = {
    "credit": _BY_STATUS[402],
    "n": _("Raggiunto il numero massimo di utenti aggiuntivi."),
    "domain": _("Il dominio non esiste o appartiene a un altro conto."),
    "field": _("Openapi non accetta uno dei dati inviati."),
}


def _ours(message: str) -> bool:
    """Is the message one of the portal's own (a msgid of its catalogue), e.g. a precondition
    it checked before calling Openapi?"""
    if not message:
        return False
    try:
        return message in trans_real.translation("en")._catalog
    except Exception:  # no catalogue: not ours to recognise
        return False


def sentence(message: str, *, code: int | None = None, status: int | None = None):
    """The explanation as a history sentence (made in the reader's language), and whether the
    message is one the portal knows."""
    message = (message or "").strip()
    if status is None and code is None and _ours(message):
        return Sentence(message), True
    for codes, pattern, text in _RULES:
        match = pattern.search(message)
        if not match and code is not None and code in codes:
            match = re.match(r"", "")
        if not match:
            continue
        values = {k: v for k, v in match.groupdict().items() if v}
        if "field2" in values:
            values["field"] = values.pop("field2")
        if "field" in values:
            values["field"] = _field(values["field"])
        if "credit" in values:
            try:
                values["credit"] = Decimal(values["credit"])
            except InvalidOperation:
                values.pop("credit")
        needed = set(re.findall(r"%\((\w+)\)s", str(text)))
        missing = needed - set(values)
        if missing:
            return Sentence(_WITHOUT_VALUE[sorted(missing)[0]]), True
        return Sentence(text, **{k: values[k] for k in needed}), True
    if status in _BY_STATUS:
        return Sentence(_BY_STATUS[status]), True
    if status is not None and status >= 500:
        return Sentence(_UNAVAILABLE), True
    if not message:
        return Sentence(""), True
    return Sentence(_UNKNOWN), False


def explain(message: str, *, code: int | None = None, status: int | None = None) -> Explained:
    """Openapi's ``message`` (with its error number and HTTP status when known) as a sentence."""
    line, known = sentence(message, code=code, status=status)
    return Explained(
        text=line.render(), detail=_detail((message or "").strip(), code, status), known=known
    )


def explain_call(call) -> Explained:
    """The error of a remote call (``portal.remote_calls.RemoteCall``)."""
    return explain(
        call.last_error,
        code=getattr(call, "error_code", None),
        status=getattr(call, "http_status", None),
    )


def explain_error(exc) -> Explained:
    """An ``openapi_pec.errors.OpenapiError`` (or one of openapi_company's)."""
    return explain(
        getattr(exc, "message", "") or "",
        code=getattr(exc, "error_code", None),
        status=getattr(exc, "status", None),
    )


def call_sentence(call, message: str = ""):
    """A failed call's error as a history sentence."""
    return sentence(
        message or call.last_error,
        code=getattr(call, "error_code", None),
        status=getattr(call, "http_status", None),
    )[0]


# --- Wallet movements ---------------------------------------------------------------------------

_OPERATIONS = {
    "registrazione": _("registrazione di una casella"),
    "rinnovo": _("rinnovo di una casella"),
    "modifica": _("aumento di spazio"),
    "conservazione": _("conservazione"),
    "trasformazione": _("cambio di tipo di casella"),
    "multiutenza": _("utente aggiuntivo"),
    "comunica": _("comunicazione PEC al Registro Imprese"),
}
_USAGE = re.compile(r"api usage\s*-\s*(?P<host>\S+)\s*(?P<op>.*)$", re.I)


def movement(description: str, amount) -> Explained:
    """A wallet movement's description (Openapi writes it in English) in the reader's language."""
    description = (description or "").strip()
    usage = _USAGE.match(description)
    if usage:
        op = usage.group("op").strip().lower()
        what = _OPERATIONS.get(op)
        if what is not None:
            text = Sentence(_("Addebito Openapi: %(what)s"), what=what).render()
        else:
            line = Sentence(_("Addebito Openapi per l'uso di %(host)s"), host=usage["host"])
            text = line.render()
        return Explained(text=text, detail=description, known=True)
    lowered = description.lower()
    if "recharge" in lowered or "top up" in lowered or "topup" in lowered:
        return Explained(text=str(_("Ricarica del conto")), detail=description, known=True)
    if "adjustment" in lowered:
        return Explained(text=str(_("Rettifica del conto")), detail=description, known=True)
    negative = amount is not None and Decimal(str(amount)) < 0
    return Explained(
        text=str(_("Addebito Openapi") if negative else _("Accredito sul conto")),
        detail=description,
        known=False,
    )
