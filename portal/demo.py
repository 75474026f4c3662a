"""The local demo's administrator, whose password ``create_demo_admin`` keeps in the data folder:
``make run`` prints it once everything is up and the login page shows it, in the demo only."""

from __future__ import annotations

import os

from django.conf import settings

CREDENTIALS_FILE = "demo-credentials.txt"


def demo_credentials() -> tuple[str, str] | None:
    """(user, password) of the demo administrator; None outside the local demo (Openapi
    credentials, a database server or a public host configured) or before it exists."""
    if not (settings.DEMO_MODE and settings.OPENAPI_DEMO):
        return None
    try:
        password = (settings.DATA_DIR / CREDENTIALS_FILE).read_text().strip()
    except OSError:
        return None
    return (os.environ.get("DEMO_ADMIN_USER", "admin"), password) if password else None
