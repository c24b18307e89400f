"""Celery tasks of the core app."""

from celery import shared_task
from django.contrib.auth import get_user_model


@shared_task(name="core.worker_probe")
def worker_probe(value: str) -> dict[str, object]:
    """Echoes its argument with the number of members the worker sees in the database.

    Proves end to end that a worker consumes this deployment's queue and reads its database.
    """
    return {"echo": value, "members": get_user_model().objects.count()}
