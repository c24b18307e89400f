"""Celery tasks of the community app: thin, idempotent, named."""

from celery import shared_task


@shared_task(name="community.ping")
def ping(value: str) -> str:
    """Echoes its argument; proves a worker is consuming the queue (health and tests)."""
    return value
