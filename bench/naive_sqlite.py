"""R8's naive peer for the demo: the portal's settings with Django's stock SQLite options (5 s
busy timeout, deferred transactions) instead of portal/config.py's (20 s, IMMEDIATE)."""

from portal.settings import *  # noqa: F403

DATABASES["default"]["OPTIONS"] = {}  # noqa: F405
