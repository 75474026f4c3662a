"""Celery tasks of the signing links: thin, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import retention


@shared_task(name="signing.purge_links")
def purge_links() -> int:
    """Delete the links ended more than SIGNING_LINK_RETENTION_DAYS ago."""
    return retention.purge_links()
