"""Creating, sending, revoking and using signing links. The uploads go through the services the
office's pages use (mailboxes.services.activation, the preservation operation,
comunica.services.procura_upload): the same checks, the same at-most-once call, the same
retention."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comunica.models import ComunicaCallKind, Evento, RichiestaComunicazione
from comunica.services import procura_upload
from comunica.services.calls import open_calls
from comunica.services.history import record as record_comunica
from mailboxes import selectors as mailbox_selectors
from mailboxes.models import Casella, TipoEvento
from mailboxes.operations import conservazione
from mailboxes.operations.rules import check
from mailboxes.services import activation
from mailboxes.services.history import record as record_box
from portal.history import Sentence

from . import tokens
from .models import LinkFirma, Scopo

log = logging.getLogger(__name__)


def office_name() -> str:
    return settings.OFFICE_NAME or str(settings.PORTAL_NAME)


# --------------------------------------------------------------------------- which steps


def box_steps(casella: Casella) -> list[str]:
    """The steps of this box a holder can do through a link now."""
    steps = []
    if casella.can_upload and not mailbox_selectors.attivazione_in_corso(casella):
        steps.append(Scopo.ATTIVAZIONE)
    if check(casella, conservazione.KIND):
        steps.append(Scopo.CONSERVAZIONE)
    return steps


def comunica_steps(richiesta: RichiestaComunicazione) -> list[str]:
    if (
        richiesta.can_upload
        and not open_calls(kind=ComunicaCallKind.UPLOAD, richiesta=richiesta).exists()
    ):
        return [Scopo.PROCURA]
    return []


def step_open(link: LinkFirma) -> bool:
    """The link's step still waits for the holder (done some other way: the link is over)."""
    if link.casella_id:
        return link.scopo in box_steps(link.casella)
    return link.scopo in comunica_steps(link.richiesta)


# --------------------------------------------------------------------------- the office's side


@dataclass
class NewLink:
    link: LinkFirma
    token: str  #: shown once to the office (and e-mailed); never stored

    @property
    def path(self) -> str:
        return reverse("signing:link", args=[self.token])


def default_email(target) -> str:
    if isinstance(target, Casella):
        richiedente = getattr(target, "richiedente", None)
        if richiedente is not None and richiedente.email:
            return richiedente.email
        return target.titolare.email if target.titolare_id else ""
    return target.email


def create_link(
    *,
    scopo: str,
    user,
    casella: Casella | None = None,
    richiesta: RichiestaComunicazione | None = None,
    email: str = "",
    spazio: int | None = None,
    base_url: str = "",
) -> NewLink:
    """A new link for one step of one object (the earlier usable links of that step are
    revoked: one link at a time). E-mailed to ``email`` when given."""
    if (casella is None) == (richiesta is None):
        raise ValueError("a link is for a box or a comunica request")
    steps = box_steps(casella) if casella else comunica_steps(richiesta)
    if scopo not in steps:
        raise ValidationError(
            _("Questo passaggio ora non attende il cliente: il link non si può creare."),
            code="state",
        )
    params = {}
    if scopo == Scopo.CONSERVAZIONE:
        spazio = int(spazio or conservazione.STEP)
        if spazio <= 0 or spazio % conservazione.STEP or spazio > conservazione.MAX_MB:
            raise ValidationError(
                _("Lo spazio di conservazione va da 512 a %(max)d MB, a multipli di 512.")
                % {"max": conservazione.MAX_MB},
                code="size",
            )
        params["spazio_conservazione"] = spazio
    token = tokens.new_token()
    now = timezone.now()
    with transaction.atomic():
        LinkFirma.objects.filter(casella=casella, richiesta=richiesta, scopo=scopo).usable(
            now
        ).update(revoked_at=now, revoked_by=user)
        link = LinkFirma.objects.create(
            token_hash=tokens.digest(token),
            scopo=scopo,
            casella=casella,
            richiesta=richiesta,
            params=params,
            email=email,
            created_by=user,
            created_at=now,
            expires_at=now + dt.timedelta(days=settings.SIGNING_LINK_DAYS),
        )
        _history(
            link,
            Sentence(
                gettext_lazy(
                    "Creato un link di firma per il cliente (%(what)s), valido fino al %(until)s."
                ),
                what=link.get_scopo_display(),
                until=timezone.localtime(link.expires_at).strftime("%d/%m/%Y"),
            ),
            user=user,
        )
    new = NewLink(link, token)
    if email:
        send_link(new, base_url=base_url)
    return new


def send_link(new: NewLink, *, base_url: str = "") -> bool:
    """E-mail the link to the holder: who asks, what to do, until when. False when the mail
    server refused it (the office copies the link instead)."""
    link = new.link
    base = (settings.PORTAL_PUBLIC_URL or base_url).rstrip("/")
    until = timezone.localtime(link.expires_at).strftime("%d/%m/%Y")
    body = _(
        "Buongiorno,\n\n%(office)s le chiede di firmare e caricare: %(what)s (%(object)s).\n\n"
        "Apra questo link, scarichi il modulo già compilato, lo firmi e lo carichi dalla stessa "
        "pagina:\n%(url)s\n\nIl link vale fino al %(until)s ed è solo per lei: non lo inoltri. "
        "Non serve alcun account.\n\n%(office)s\n"
    ) % {
        "office": office_name(),
        "what": link.get_scopo_display(),
        "object": subject_of(link),
        "url": base + new.path,
        "until": until,
    }
    try:
        send_mail(
            _("%(office)s: documenti da firmare") % {"office": office_name()},
            body,
            None,
            [link.email],
            fail_silently=False,
        )
    except Exception as exc:  # the link stands: the office copies it (the page says so)
        log.warning("signing link %s: e-mail not sent: %s", link.pk, type(exc).__name__)
        return False
    LinkFirma.objects.filter(pk=link.pk).update(sent_at=timezone.now())
    link.sent_at = timezone.now()
    _history(
        link,
        Sentence(gettext_lazy("Link di firma inviato per e-mail a %(email)s."), email=link.email),
        user=link.created_by,
    )
    return True


def resend(*, link: LinkFirma, user, base_url: str = "") -> NewLink:
    """A fresh link for the same step (the token of the old one is not kept, so it cannot be
    sent again): the old one is revoked, the new one e-mailed to the same address."""
    return create_link(
        scopo=link.scopo,
        user=user,
        casella=link.casella,
        richiesta=link.richiesta,
        email=link.email,
        spazio=link.params.get("spazio_conservazione"),
        base_url=base_url,
    )


def revoke(*, link: LinkFirma, user) -> bool:
    now = timezone.now()
    done = LinkFirma.objects.filter(pk=link.pk).usable(now).update(revoked_at=now, revoked_by=user)
    if done:
        _history(link, Sentence(gettext_lazy("Link di firma revocato.")), user=user)
    return bool(done)


# --------------------------------------------------------------------------- the holder's side


def resolve(token: str) -> LinkFirma | None:
    """The usable link of this token, or None (wrong, expired, revoked, used, step done: the
    caller shows one neutral page for all of them)."""
    if not tokens.well_formed(token):
        return None
    link = (
        LinkFirma.objects.select_related("casella", "richiesta", "created_by")
        .filter(token_hash=tokens.digest(token))
        .first()
    )
    if link is None or not tokens.matches(token, link.token_hash):
        return None
    if not link.is_usable() or not step_open(link):
        return None
    return link


def used_by(token: str, intent_key: str) -> LinkFirma | None:
    """The link this token named if the upload with ``intent_key`` used it (a repeated submit
    of the same form gets the same answer)."""
    if not tokens.well_formed(token) or not intent_key:
        return None
    link = LinkFirma.objects.filter(token_hash=tokens.digest(token), used_at__isnull=False).first()
    if link and tokens.matches(token, link.token_hash) and link.intent_key == intent_key:
        return link
    return None


def mark_opened(link: LinkFirma) -> None:
    now = timezone.now()
    LinkFirma.objects.filter(pk=link.pk).update(last_opened_at=now)
    if LinkFirma.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=now):
        _history(link, Sentence(gettext_lazy("Il cliente ha aperto il link di firma.")))


def subject_of(link: LinkFirma) -> str:
    """What the link is about, as the holder may read it."""
    if link.casella_id:
        return link.casella.casella_pec
    return f"{link.richiesta.ragione_sociale} · {link.richiesta.casella_pec}"


def upload(*, link: LinkFirma, data: dict, intent_key: str, original_name: str = ""):
    """The holder's upload: through the office's service for the link's step, once. The link is
    used in the same transaction; the office is told after commit."""
    with transaction.atomic():
        locked = LinkFirma.objects.select_for_update().get(pk=link.pk)
        if not locked.is_usable():
            raise ValidationError(_("Questo link non è più valido."), code="link")
        if link.scopo == Scopo.ATTIVAZIONE:
            result = activation.upload_documents(
                casella=link.casella,
                modulo=data["modulo"],
                identita=data["identita"],
                intent_key=intent_key,
                user=None,
            )
        elif link.scopo == Scopo.CONSERVAZIONE:
            # A paid operation: the office member who chose the space asked for it.
            result = conservazione.enable_preservation(
                casella=link.casella,
                modulo=data["modulo"],
                identita=data["identita"],
                spazio=link.params.get("spazio_conservazione", conservazione.STEP),
                intent_key=intent_key,
                user=link.created_by,
            )
        else:
            result = procura_upload.upload_procura(
                richiesta=link.richiesta,
                info=data["p7m"],
                original_name=original_name,
                user=None,
                intent_key=intent_key,
            )
        # The documents are the client's (uploaded_by stays empty); the call is the office
        # member's who sent the link: they hear of its failure as of their own.
        if link.scopo == Scopo.ATTIVAZIONE:
            type(result).objects.filter(pk=result.pk, requested_by__isnull=True).update(
                requested_by=link.created_by
            )
        elif link.scopo == Scopo.PROCURA:
            result.calls.filter(requested_by__isnull=True).update(requested_by=link.created_by)
        now = timezone.now()
        LinkFirma.objects.filter(pk=link.pk).update(used_at=now, intent_key=intent_key)
        _history(
            link,
            Sentence(
                gettext_lazy("Il cliente ha caricato i documenti dal link di firma (%(what)s)."),
                what=link.get_scopo_display(),
            ),
        )
        transaction.on_commit(lambda: notify_office(link.pk))
    return result


def notify_office(link_pk: int) -> None:
    """E-mail the office member who created the link: the client has uploaded."""
    link = LinkFirma.objects.select_related("created_by", "casella", "richiesta").get(pk=link_pk)
    if not link.created_by or not link.created_by.email:
        return
    base = settings.PORTAL_PUBLIC_URL.rstrip("/")
    if link.casella_id:
        url = base + reverse("mailboxes:casella_detail", args=[link.casella_id])
    else:
        url = base + reverse("comunica:richiesta_detail", args=[link.richiesta_id])
    send_mail(
        _("Il cliente ha caricato i documenti: %(object)s") % {"object": subject_of(link)},
        _(
            "%(what)s caricati dal cliente tramite il link di firma.\n\n"
            "Dettagli nel portale: %(url)s\n"
        )
        % {"what": link.get_scopo_display(), "url": url},
        None,
        [link.created_by.email],
        fail_silently=True,
    )


def _history(link: LinkFirma, message: Sentence, *, user=None) -> None:
    if link.casella_id:
        record_box(link.casella, TipoEvento.DOCUMENTI, message, user=user)
    else:
        record_comunica(
            link.richiesta, Evento.Tipo.PROCURA, message, stato=link.richiesta.stato, user=user
        )
