"""Celery tasks of the mailboxes app: thin, take ids, safe to run twice (the names are the ones
settings.CELERY_BEAT_SCHEDULE uses). The box intents, polls and callbacks' reads run through
the portal's tasks (portal/tasks.py), declared here and in services/polling.py."""

from __future__ import annotations

from celery import shared_task

from portal.remote_calls import Intents, register_intents
from portal.tasks import kick_poll

from .calls import handler_for
from .expiry import send_reminders
from .models import Casella, CasellaCall
from .operations.conservazione import purge_finished_preservation_documents
from .services import retention
from .services import sync as box_sync
from .services.polling import BOXES


def _after_call(call: CasellaCall) -> None:
    if call.is_activation:  # the box is in_evasione now: poll it soon
        kick_poll(BOXES.name)


register_intents(Intents(CasellaCall, handler_for, on_done=_after_call))


@shared_task(name="mailboxes.sync_account")
def sync_account() -> dict:
    return box_sync.sync_account()


@shared_task(name="mailboxes.purge_documents")
def purge_documents() -> int:
    return retention.purge_documents() + purge_finished_preservation_documents()


@shared_task(name="mailboxes.send_expiry_reminders")
def send_expiry_reminders() -> dict:
    """E-mail the office about boxes reaching EXPIRY_REMINDER_DAYS (once per box, threshold
    and expiry date); see mailboxes/expiry.py."""
    return send_reminders()


@shared_task(name="mailboxes.refresh_casella")
def refresh_casella(casella_pk: int) -> list:
    casella = Casella.objects.filter(pk=casella_pk).first()
    return box_sync.refresh_casella(casella) if casella else []
