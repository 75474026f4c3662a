"""The transactional tests' flush tries again when PostgreSQL picked it as a deadlock victim
(the session's real worker finishing a task), and only then."""

import pytest
from django.db import OperationalError

from tests.plugins.flush import ATTEMPTS, retrying_flush


class Deadlock(Exception):
    sqlstate = "40P01"


class Other(Exception):
    sqlstate = "42P01"


def failing(times: int, cause: type[Exception]):
    calls = []

    def execute_sql_flush(self, sql_list):
        calls.append(sql_list)
        if len(calls) <= times:
            raise OperationalError("flush failed") from cause()
        return "flushed"

    return execute_sql_flush, calls


def test_a_deadlocked_flush_is_tried_again_until_it_empties_the_tables(monkeypatch):
    monkeypatch.setattr("tests.plugins.flush.time.sleep", lambda s: None)
    flush, calls = failing(2, Deadlock)
    assert retrying_flush(flush)(None, ["TRUNCATE x"]) == "flushed"
    assert len(calls) == 3


def test_another_database_error_is_not_hidden(monkeypatch):
    monkeypatch.setattr("tests.plugins.flush.time.sleep", lambda s: None)
    flush, calls = failing(1, Other)
    with pytest.raises(OperationalError):
        retrying_flush(flush)(None, ["TRUNCATE x"])
    assert len(calls) == 1


def test_a_deadlock_that_never_ends_still_fails_the_flush(monkeypatch):
    monkeypatch.setattr("tests.plugins.flush.time.sleep", lambda s: None)
    flush, calls = failing(ATTEMPTS + 1, Deadlock)
    with pytest.raises(OperationalError):
        retrying_flush(flush)(None, ["TRUNCATE x"])
    assert len(calls) == ATTEMPTS
