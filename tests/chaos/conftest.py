import pytest


@pytest.fixture
def worker_env(worker_env):
    """The session's worker environment, with the timings of a fast chaos run.

    - OPENAPI_TIMEOUT 1 s: the sandbox's injected timeouts (1.5 s, then performed) become
      "outcome unknown" quickly;
    - REMOTE_CALL_SETTLE_GRACE 3 s: longer than the injected delay, so a late request has landed
      before "no trace at Openapi" allows a resend;
    - REMOTE_CALL_LEASE 30 s: longer than the longest claim (settle reads with their retries
      plus the call), so a live worker is never taken over; a killed one is after 30 s.
    """
    env = dict(worker_env)
    env.update(
        OPENAPI_TIMEOUT="1.0",
        REMOTE_CALL_LEASE="30",
        REMOTE_CALL_SETTLE_GRACE="3",
        REMOTE_CALL_BACKOFF_BASE="0.5",
        REMOTE_CALL_BACKOFF_CAP="4",
        LOG_LEVEL="INFO",
    )
    return env
