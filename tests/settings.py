"""The portal's settings for the test suite: the same module, with a private data folder.

Each run gets its own DATA_DIR (SQLite test database, file broker, private uploads), which the
Celery worker processes started by the tests inherit through the environment.

DEBUG is off, as in production. On SQLite the suite runs as the zero-config demo; on PostgreSQL
(CI) as a deployment on this machine: its own secret key, loopback hosts, the built-in sandbox
for Openapi and plain http.
"""

import os
import secrets
import tempfile

os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="pec-portal-tests-"))
if os.environ.get("DATABASE_URL"):
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
    os.environ.setdefault("OPENAPI_ALLOW_DEMO", "true")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("STATIC_MANIFEST", "false")  # no collectstatic before the tests

from portal.settings import *  # noqa: F403

# A test-only app with a concrete RemoteCall, to test the runner on its own.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.remote_calls_app"]  # noqa: F405

# The cockpit's totals are counted on every page (tests/cockpit/test_cache.py turns the cache on).
COCKPIT_CACHE_SECONDS = 0

# The test servers (live_server for the browser) speak plain http.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

# One test database per run, so that runs side by side (two engineers, CI) never share one.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_portal_{os.getpid()}"}  # noqa: F405
