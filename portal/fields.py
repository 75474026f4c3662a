"""Model fields declared the same way in every app."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def optional_link(to, verbose_name=None, *, related_name: str = "+") -> models.ForeignKey:
    """A link that may be empty, and is emptied when the row it points to is deleted."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
        verbose_name=verbose_name,
    )


def user_link(verbose_name=None, *, related_name: str = "+") -> models.ForeignKey:
    """Who did something: a user, left empty when that user is deleted."""
    return optional_link(settings.AUTH_USER_MODEL, verbose_name, related_name=related_name)
