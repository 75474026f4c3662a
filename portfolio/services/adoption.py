"""Adopting the boxes the sync imported: giving them their holder, one or many at once."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mailboxes import selectors as mailbox_selectors
from mailboxes.models import Casella, Evento, TipoEvento, Titolare
from portal import history
from portal.history import Sentence

#: Boxes given a holder in one request at most.
MAX_BULK = 500


def adopt(user, caselle: list[int], titolare: Titolare) -> int:
    """Give ``titolare`` to the boxes ``caselle`` that still have no holder; return how many
    got it. Only boxes and holders the user may see; a box adopted meanwhile by someone else
    keeps its holder (the rows are locked and re-read)."""
    if not mailbox_selectors.titolari_for(user).filter(pk=titolare.pk).exists():
        raise PermissionDenied
    return adopt_many(user, {pk: titolare for pk in caselle})


def adopt_many(user, assignments: dict[int, Titolare]) -> int:
    """Give each box its holder (box pk -> holder), as :func:`adopt`; one history line each."""
    visible = set(
        mailbox_selectors.titolari_for(user)
        .filter(pk__in={t.pk for t in assignments.values()})
        .values_list("pk", flat=True)
    )
    if any(t.pk not in visible for t in assignments.values()):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        boxes = list(
            mailbox_selectors.caselle_for(user)
            .select_for_update(of=("self",))
            .filter(pk__in=list(assignments)[:MAX_BULK], titolare__isnull=True)
            .order_by("pk")
        )
        for box in boxes:
            box.titolare = assignments[box.pk]
            box.updated_at = now
        Casella.objects.bulk_update(boxes, ["titolare", "updated_at"], batch_size=500)
        Evento.objects.bulk_create(
            [
                Evento(
                    casella=box,
                    at=now,
                    tipo=TipoEvento.OPERAZIONE,
                    **history.stored(
                        Sentence(
                            gettext_lazy("Casella collegata al titolare %(titolare)s."),
                            titolare=box.titolare.display_name,
                        )
                    ),
                    a_stato=box.stato,
                    user=user,
                )
                for box in boxes
            ],
            batch_size=500,
        )
    return len(boxes)
