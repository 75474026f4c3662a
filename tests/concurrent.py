"""Truly concurrent requests for the tests: each job in its own thread (its own database
connection, its own test Client), all released at once by a barrier."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.test import Client


def at_once(*jobs: Callable[[], Any], timeout: float = 120) -> list[Any]:
    """Run the jobs together; return their results in order (the first error is re-raised)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    failures: list[BaseException] = []

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = job()
        except BaseException as exc:  # re-raised in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if failures:
        raise failures[0]
    assert not any(t.is_alive() for t in threads), "a concurrent request never finished"
    return results


def logged_in_clients(user, n: int) -> list[Client]:
    """``n`` browsers (tabs with their own cookies) of the same user."""
    clients = []
    for _ in range(n):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def poster(client: Client, url: str, data: Callable[[], dict] | dict) -> Callable[[], Any]:
    """A job posting ``data`` (a factory when each post needs fresh file objects)."""
    return lambda: client.post(url, data() if callable(data) else data)


def runner(run_open: Callable[[], list[str]], finished: Callable[[], bool], wait: float = 30):
    """A job playing the worker: runs the open intents as soon as they appear, until
    ``finished`` says the outcome is known."""

    def job() -> list[str]:
        states: list[str] = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            states += run_open()
            if finished():
                return states
            time.sleep(0.02)
        raise AssertionError("the intent was never run to its outcome")

    return job
