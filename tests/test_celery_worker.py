"""A task runs in a real Celery worker process that reads the test database."""

import pytest

from community.services import user_create
from core.tasks import worker_probe


@pytest.mark.worker
def test_task_is_executed_by_a_real_worker_reading_the_database(celery_worker_process, password):
    user_create(email="worker-probe@example.com", password=password, display_name="Probe")

    result = worker_probe.delay("hello")

    assert result.get(timeout=60) == {"echo": "hello", "members": 1}
