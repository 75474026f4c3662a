import pytest
from django.conf import settings


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_consumes_the_broker(celery_worker_process):
    # wait_ready() already proved one round trip; a second shows the worker keeps consuming.
    celery_worker_process.wait_ready(timeout=30)
    assert celery_worker_process.proc.poll() is None
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert "redis://" in celery_worker_process.log()
