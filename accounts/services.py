"""Writes and reads of the accounts app that views must not do themselves."""

from __future__ import annotations

from django.conf import settings

from .models import Preferenze


def save_language(*, user, code: str) -> None:
    """Remember ``code`` as ``user``'s language (a code the portal does not speak is ignored)."""
    if code in dict(settings.LANGUAGES):
        Preferenze.objects.update_or_create(user=user, defaults={"lingua": code})


def saved_language(*, user) -> str:
    """The language ``user`` chose last, or "" when they never chose one."""
    return Preferenze.objects.filter(user=user).values_list("lingua", flat=True).first() or ""
