from celery import shared_task
from django.core.cache import cache


@shared_task(name="portal.ping")
def ping(key: str) -> None:
    """Write ``key`` to the shared cache: proves a worker process is consuming the broker."""
    cache.set(f"ping:{key}", "pong", 300)


@shared_task(name="portal.sweep_private_files")
def sweep_private_files() -> dict:
    """Delete the uploaded files no row refers to (see portal/private_files.py)."""
    from . import private_files

    return private_files.sweep()
