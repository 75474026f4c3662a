"""Celery tasks of the cockpit: thin, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from accounts import roles

from .selectors import common, home


@shared_task(name=common.RECOUNT_TASK)
def recount_office_totals(user_pk: int) -> None:
    """Count the office totals of the cockpit again (boxes per status, renewal plan, expiry
    buckets) as the office member who found them old would see them, and keep them."""
    user = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    if user is None or not roles.is_office(user):
        common.recount(lambda: None)  # nothing to count for: let the next page ask again
        return
    common.recount(lambda: home.home(user))
