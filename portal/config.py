"""The blocks of portal/settings.py that compute a value from others: the settings module reads
the environment and declares every setting; these build the larger values it needs.

Plain functions over plain values (no Django setup, no app): settings.py imports them while
Django is still starting.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SQLITE_ENGINE = "django.db.backends.sqlite3"
DATABASE_ENGINES = ("django.db.backends.postgresql", SQLITE_ENGINE)


def demo_secret_key(path: Path) -> str:
    """This installation's own random key, made on first start and shared by its processes.

    A key published in the source would let anyone sign sessions and callback secrets.
    """
    if not path.is_file():
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()


def database(env: Any, url: str, data_dir: Path, errors: list[tuple[str, str]]) -> dict:
    """DATABASES["default"] for ``url`` (PostgreSQL), or the demo's SQLite file in
    ``data_dir`` when there is none or it is malformed (then recorded in ``errors``)."""
    sqlite_url = f"sqlite:///{data_dir / 'portal.sqlite3'}"
    try:
        config = env.db_url_config(url or sqlite_url)
        if config.get("ENGINE") not in DATABASE_ENGINES:
            raise ValueError("unsupported database")
    except Exception:
        errors.append(("DATABASE_URL", "malformed URL (expected postgres://user@host/db)"))
        config = env.db_url_config(sqlite_url)
    if config["ENGINE"] == SQLITE_ENGINE:
        # A file, not memory, so a real Celery worker process sees what the tests write.
        config["TEST"] = {"NAME": str(data_dir / "test-portal.sqlite3")}
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    else:
        config["CONN_HEALTH_CHECKS"] = True
    return config


def next_redis_db(redis_url: str) -> str:
    """The same Redis server, the next database: the cache's, so that clearing the cache can
    never drop queued tasks."""
    parts = urlsplit(redis_url)
    return urlunsplit(parts._replace(path=f"/{int(parts.path.strip('/') or 0) + 1}"))


def file_broker_options(folder: Path) -> dict[str, Any]:
    """kombu's filesystem transport in ``folder`` (portal/broker.py), shared by web, worker
    and beat."""
    return {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "temp_folder": str(folder / "tmp"),
        "quarantine_folder": str(folder / "quarantine"),
        "store_processed": False,
        # How long the worker waits before looking again when the queue is empty or its
        # prefetch is full (kombu's default, 1 s, caps it at about two tasks a second).
        "polling_interval": 0.1,
    }


def every(task: str, seconds: float, expires: float, *args: str) -> dict[str, Any]:
    """A CELERY_BEAT_SCHEDULE entry: ``task`` every ``seconds``, dropped if still queued
    ``expires`` seconds later (just under the period, so a stalled worker never piles up)."""
    entry: dict[str, Any] = {"task": task, "schedule": seconds, "options": {"expires": expires}}
    if args:
        entry["args"] = list(args)
    return entry


def private_storage(location: Path, bucket: str, **s3: str | None) -> dict[str, Any]:
    """STORAGES["default"]: an S3 bucket (private objects, short signed URLs, encrypted at rest)
    when ``bucket`` is set, else files under ``location`` readable by the portal's user only.
    ``s3``: access_key, secret_key, region_name, endpoint_url."""
    if bucket:
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                **s3,
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
                "object_parameters": {"ServerSideEncryption": "AES256"},
            },
        }
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(location),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }


def logging_config(level: str) -> dict[str, Any]:
    """One line per event at ``level``; documents and credentials are never logged."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": "portal.log_redaction.RedactSecrets"},
            "request_lines": {"()": "portal.log_redaction.RequestLineFilter"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "django.server": {
                "()": "django.utils.log.ServerFormatter",
                "format": "[{server_time}] {message}",
                "style": "{",
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["redact"],
            },
            "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR", "filters": ["request_lines"]},
            # runserver's access log (the demo): no query strings, no callback secrets
            "django.server": {
                "handlers": ["django.server"],
                "level": "INFO",
                "propagate": False,
                "filters": ["request_lines"],
            },
        },
    }
