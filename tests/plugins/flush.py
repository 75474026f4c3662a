"""The test database's flush and drop, sturdy against the session's real processes.

After a transactional test Django empties every table with one TRUNCATE. Under CI the session's
real Celery worker may still be finishing a task the test queued (a renewal it confirmed, say):
its transaction holds a row of one table and waits for another, the TRUNCATE holds the other and
waits for the first, and PostgreSQL aborts one of them as a deadlock. When it aborts the
TRUNCATE, the flush fails and the next test finds the previous test's rows (seen once in CI:
"couldn't be flushed", then "auth_user_username_key already exists").

A deadlock victim is rolled back whole, so the flush is simply tried again once the worker's
transaction has ended.
"""

from __future__ import annotations

import time

import pytest

DEADLOCK = "40P01"
ATTEMPTS = 5


def _is_deadlock(exc: BaseException) -> bool:
    cause = exc.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code == DEADLOCK


def retrying_flush(execute_sql_flush):
    from django.db import OperationalError

    def flush(self, sql_list):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return execute_sql_flush(self, sql_list)
            except OperationalError as exc:
                if attempt == ATTEMPTS or not _is_deadlock(exc):
                    raise
                time.sleep(0.2 * attempt)
        return None  # not reached

    flush.retries_deadlocks = True
    return flush


@pytest.fixture(scope="session", autouse=True)
def _flush_retries_deadlocks():
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush
    if not getattr(original, "retries_deadlocks", False):
        DatabaseOperations.execute_sql_flush = retrying_flush(original)
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, and before it drops the test database: end the sessions still on it.

    A process the tests started (a worker, a server thread's kept connection) can still hold a
    session when the run ends; PostgreSQL then refuses the DROP ("is being accessed by other
    users"), pytest only warns, and every CI run left its ``test_portal_<pid>`` database behind.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()
