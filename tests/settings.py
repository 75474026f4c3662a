"""The portal's settings for the test suite: the same module, with a private data folder.

Each run gets its own DATA_DIR (SQLite test database, file broker, private uploads), which the
Celery worker processes started by the tests inherit through the environment.
"""

import os
import tempfile

os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="pec-portal-tests-"))
os.environ.setdefault("DJANGO_DEBUG", "true")

from portal.settings import *  # noqa: F403

# A test-only app with a concrete RemoteCall, to test the runner on its own.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.remote_calls_app"]  # noqa: F405

# One test database per run, so that runs side by side (two engineers, CI) never share one.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_portal_{os.getpid()}"}  # noqa: F405
