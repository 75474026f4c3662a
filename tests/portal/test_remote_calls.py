"""The at-most-once runner against a fake Openapi that loses answers, times out and dies.

The unit tests pin each branch; the Hypothesis state machine throws random interleavings of
workers, faults, crashes and clock jumps at it and checks that no intent is ever performed twice
and that every intent ends performed once the faults stop.
"""

import contextlib
import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from openapi_pec import errors
from portal.remote_calls import (
    CallHandler,
    CallState,
    Confirmed,
    NotPerformed,
    due_calls,
    run_call,
    settle_grace,
)
from tests.remote_calls_app.models import Intent

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class Killed(BaseException):
    """The worker dies mid-call (SIGKILL): nothing after this point runs."""


class FakeOpenapi:
    """Counts how often each intent was performed; requests may land late."""

    def __init__(self):
        self.performed: dict[int, int] = {}
        self.late: list[tuple[dt.datetime, int]] = []  # (arrival time, intent pk)
        self.now = T0
        self.fault = "ok"
        self.read_fails = False

    def land_late_requests(self):
        for arrival, pk in [x for x in self.late if x[0] <= self.now]:
            self.late.remove((arrival, pk))
            self.performed[pk] = self.performed.get(pk, 0) + 1

    def perform(self, pk):
        fault = self.fault
        if fault == "refused":
            raise errors.TransientError(503, "service unavailable", None)
        if fault == "permanent":
            raise errors.PreconditionFailed(428, "wrong state", 203)
        if fault == "late":  # the client gives up; the request lands a little later
            self.late.append((self.now + dt.timedelta(seconds=30), pk))
            raise errors.OutcomeUnknown(None, "read timeout", None)
        self.performed[pk] = self.performed.get(pk, 0) + 1
        if fault == "lost":
            raise errors.OutcomeUnknown(None, "connection dropped", None)
        if fault == "killed":
            raise Killed
        return {"ok": True}


class Handler(CallHandler):
    def __init__(self, server: FakeOpenapi):
        self.server = server
        self.applied: list[int] = []
        self.failed: list[int] = []

    def perform(self, call):
        return self.server.perform(call.pk)

    def confirm(self, call):
        self.server.land_late_requests()
        if self.server.read_fails:
            raise errors.TransientError(503, "read failed", None)
        if self.server.performed.get(call.pk):
            return Confirmed({"ok": True})
        return NotPerformed()

    def apply(self, call, result):
        self.applied.append(call.pk)

    def on_failed(self, call, error):
        self.failed.append(call.pk)


_keys = itertools.count()


def new_intent():
    return Intent.objects.create(kind="rinnovo", intent_key=f"k{next(_keys)}", next_attempt_at=T0)


@pytest.fixture
def server():
    return FakeOpenapi()


@pytest.fixture
def handler(server):
    return Handler(server)


pytestmark = pytest.mark.django_db


def test_a_done_call_is_never_sent_again(server, handler):
    intent = new_intent()
    assert run_call(Intent, intent.pk, handler, now=T0) == CallState.DONE
    assert run_call(Intent, intent.pk, handler, now=T0 + dt.timedelta(hours=1)) == CallState.DONE
    assert server.performed == {intent.pk: 1}
    assert handler.applied == [intent.pk]


def test_a_lost_answer_is_settled_by_reading_not_by_resending(server, handler):
    intent = new_intent()
    server.fault = "lost"
    assert run_call(Intent, intent.pk, handler, now=T0) == CallState.UNCLEAR
    server.fault = "ok"
    later = T0 + dt.timedelta(minutes=5)
    assert run_call(Intent, intent.pk, handler, now=later) == CallState.DONE
    assert server.performed == {intent.pk: 1}
    assert handler.applied == [intent.pk]


def test_no_trace_within_the_grace_period_does_not_resend(server, handler):
    intent = new_intent()
    server.fault = "late"
    run_call(Intent, intent.pk, handler, now=T0)
    server.fault = "ok"
    # 20 s later the request has not landed yet: the runner must wait, not send again.
    assert run_call(Intent, intent.pk, handler, now=T0 + dt.timedelta(seconds=20)) in (
        CallState.UNCLEAR
    )
    assert server.performed == {}
    # Once it landed, settling finds it.
    final = run_call(Intent, intent.pk, handler, now=T0 + settle_grace() + dt.timedelta(1))
    assert final == CallState.DONE
    assert server.performed == {intent.pk: 1}


def test_not_performed_after_the_grace_period_is_sent_again(server, handler):
    intent = new_intent()
    server.fault = "refused"
    assert run_call(Intent, intent.pk, handler, now=T0) == CallState.PENDING
    assert Intent.objects.get(pk=intent.pk).last_error == "service unavailable"
    server.fault = "ok"
    assert run_call(Intent, intent.pk, handler, now=T0 + dt.timedelta(hours=1)) == CallState.DONE
    assert server.performed == {intent.pk: 1}


def test_a_worker_killed_mid_call_is_settled_after_its_lease(server, handler):
    intent = new_intent()
    server.fault = "killed"
    with pytest.raises(Killed):
        run_call(Intent, intent.pk, handler, now=T0)
    server.fault = "ok"
    # Another worker, while the lease holds, leaves it alone.
    assert run_call(Intent, intent.pk, handler, now=T0 + dt.timedelta(seconds=5)) == (
        CallState.IN_FLIGHT
    )
    assert intent.pk in due_calls(Intent, now=T0 + dt.timedelta(hours=1)).values_list(
        "pk", flat=True
    )
    assert run_call(Intent, intent.pk, handler, now=T0 + dt.timedelta(hours=1)) == CallState.DONE
    assert server.performed == {intent.pk: 1}


def test_a_permanent_error_fails_once_with_the_api_message(server, handler):
    intent = new_intent()
    server.fault = "permanent"
    assert run_call(Intent, intent.pk, handler, now=T0) == CallState.FAILED
    intent.refresh_from_db()
    assert intent.last_error == "wrong state"
    assert intent.error_code == 203
    assert handler.failed == [intent.pk]
    server.fault = "ok"
    assert run_call(Intent, intent.pk, handler, now=T0 + dt.timedelta(hours=1)) == (
        CallState.FAILED
    )
    assert server.performed == {}


def test_an_unreadable_account_keeps_the_call_unclear(server, handler):
    intent = new_intent()
    server.fault = "lost"
    run_call(Intent, intent.pk, handler, now=T0)
    server.read_fails = True
    assert run_call(Intent, intent.pk, handler, now=T0 + dt.timedelta(hours=1)) == (
        CallState.UNCLEAR
    )
    assert server.performed == {intent.pk: 1}


class ClaimAndSettle(RuleBasedStateMachine):
    """Random interleavings of runs, faults, kills and clock jumps on a few intents."""

    def __init__(self):
        super().__init__()
        Intent.objects.all().delete()
        self.server = FakeOpenapi()
        self.handler = Handler(self.server)
        self.pks = [new_intent().pk for _ in range(3)]

    @rule(
        index=st.integers(0, 2),
        fault=st.sampled_from(["ok", "ok", "lost", "late", "refused", "killed"]),
    )
    def run_a_worker(self, index, fault):
        self.server.fault = fault
        self.server.read_fails = fault == "refused"
        with contextlib.suppress(Killed):
            run_call(Intent, self.pks[index], self.handler, now=self.server.now)

    @rule(seconds=st.sampled_from([1, 10, 45, 100, 600, 3600]))
    def time_passes(self, seconds):
        self.server.now += dt.timedelta(seconds=seconds)

    @invariant()
    def nothing_performed_twice(self):
        self.server.land_late_requests()
        assert all(n <= 1 for n in self.server.performed.values()), self.server.performed

    @invariant()
    def applied_only_when_performed(self):
        assert len(self.handler.applied) == len(set(self.handler.applied))
        for pk in self.handler.applied:
            assert self.server.performed.get(pk) == 1

    @rule()
    def faults_stop_and_everything_settles(self):
        self.server.fault, self.server.read_fails = "ok", False
        for _ in range(6):
            self.server.now += dt.timedelta(hours=1)
            for pk in self.pks:
                run_call(Intent, pk, self.handler, now=self.server.now)
        for intent in Intent.objects.filter(pk__in=self.pks):
            performed = self.server.performed.get(intent.pk, 0)
            if intent.state == CallState.FAILED:  # Openapi refused it 8 times: never performed
                assert performed == 0
                assert "tentativi" in intent.last_error
            else:
                assert intent.state == CallState.DONE
                assert performed == 1


ClaimAndSettle.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.django_db
def test_claim_and_settle_state_machine():
    ClaimAndSettle.TestCase().runTest()


def test_the_grace_period_counts_from_the_end_of_a_slow_attempt(server, monkeypatch):
    """Settling and sending take real time: a late request must not be resent because the
    send was timestamped when the run *started* (found by the chaos run)."""
    monkeypatch.setattr("portal.remote_calls.timezone.now", lambda: server.now)

    class SlowHandler(Handler):
        def confirm(self, call):
            verdict = super().confirm(call)
            server.now += dt.timedelta(seconds=50)  # slow reads, with their retries
            return verdict

        def perform(self, call):
            server.now += dt.timedelta(seconds=20)  # the client waits, then gives up
            return super().perform(call)

    handler = SlowHandler(server)
    intent = new_intent()
    server.fault = "lost"  # performed once, answer lost
    run_call(Intent, intent.pk, handler)
    server.performed.clear()  # pretend that one never landed: settle will say "not performed"
    server.now += settle_grace() + dt.timedelta(seconds=1)
    server.fault = "late"  # the resend lands 30 s after the client gave up
    run_call(Intent, intent.pk, handler)
    server.fault = "ok"
    for _ in range(10):
        server.now += dt.timedelta(seconds=5)
        run_call(Intent, intent.pk, handler)
    server.now += dt.timedelta(hours=1)
    assert run_call(Intent, intent.pk, handler) == CallState.DONE
    server.land_late_requests()
    assert server.performed == {intent.pk: 1}
